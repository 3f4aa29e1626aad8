"""`apply --parallelism N` as a user runs it on the example workspace (the in-process
sandbox): out of range is refused before any vendor call; a saved plan applies with it;
with 1, the actions run one at a time in the plan's order; a second apply writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

EXAMPLE = Path(__file__).parents[2] / "campaigns"


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CAMPAIGNCTL_ENV", "staging")
    target = tmp_path / "ws"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".campaignctl",
                                                                  "campaignctl.lineage"))
    return target


def requests(ws: Path) -> list[dict]:
    journal = ws / ".campaignctl" / "staging" / "sandbox" / "requests.jsonl"
    if not journal.exists():
        return []
    return [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]


def writes(ws: Path) -> list[dict]:
    return [r for r in requests(ws) if r["method"] not in ("GET", "HEAD")]


@pytest.mark.parametrize("value", ["0", "257", "-3"])
def test_parallelism_out_of_range_is_refused_before_any_call(ws, value):
    r = run_cli("apply", str(ws), "--auto-approve", "--parallelism", value)
    assert r.returncode == 1
    assert f"--parallelism must be a whole number from 1 to 256 (1: one action at a time), " \
           f"not {value}" in r.stderr
    assert "Traceback" not in r.stderr
    assert requests(ws) == []


def test_saved_plan_applies_one_at_a_time_in_plan_order_then_writes_nothing(ws):
    plan_file = ws.parent / "plan.json"
    assert run_cli("plan", str(ws), "-o", str(plan_file)).returncode == 0
    planned = [f"{a['op']} {a['address']}" for a in json.loads(plan_file.read_text())["actions"]
               if a["op"] not in ("refuse", "warn")]
    r = run_cli("apply", str(plan_file), "--parallelism", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    # A CI log has a numbered line per finished action: one at a time, they are the plan.
    done = [line.split("done: ", 1)[1] for line in r.stderr.splitlines() if "] done: " in line]
    assert done == planned
    assert f"{len(planned)} done, 0 failed, 0 skipped" in r.stdout
    before = len(writes(ws))
    again = run_cli("apply", str(ws), "--auto-approve", "--parallelism", "256")
    assert again.returncode == 0, again.stderr
    assert len(writes(ws)) == before
