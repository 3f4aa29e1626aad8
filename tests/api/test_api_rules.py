"""reconciler.api enforces what the command line enforces: a library caller gets the same
refusal as `campaignctl apply`, and nothing reaches the vendor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from reconciler import api
from reconciler.engine.safety import UnsafePlan


def vendor_writes(ws: Path) -> list[str]:
    """The write calls the built-in sandbox received, from its request journal."""
    journal = ws / ".campaignctl" / "sandbox" / "requests.jsonl"
    return [f"{r['method']} {r['path']}" for r in map(json.loads, journal.read_text().splitlines())
            if r["method"] in ("POST", "PUT", "PATCH", "DELETE")]


@pytest.fixture
def applied_then_removed(tmp_path) -> Path:
    """The issue's example: `init ws && apply ws --auto-approve`, then campaigns.yaml gone
    (the plan would cancel Campaign/welcome, scheduled to send)."""
    ws = tmp_path / "ws"
    assert run_cli("init", str(ws)).returncode == 0
    done = run_cli("apply", str(ws), "--auto-approve")
    assert done.returncode == 0, done.stdout + done.stderr
    (ws / "campaigns.yaml").unlink()
    return ws


def test_the_api_refuses_to_cancel_a_scheduled_campaign_as_the_cli_does(applied_then_removed):
    ws = applied_then_removed
    before = vendor_writes(ws)
    cli = run_cli("apply", str(ws), "--auto-approve")
    assert cli.returncode == 1 and "safety.max_cancel_scheduled is 0" in cli.stderr

    with pytest.raises(UnsafePlan) as refused:
        api.apply(ws)
    assert str(refused.value) in cli.stderr  # the same refusal, word for word
    assert vendor_writes(ws) == before  # nothing cancelled, at the vendor
    assert "- delete Campaign/welcome" in run_cli("plan", str(ws)).stdout  # still live

    result = api.plan(ws)  # the verdict is part of the plan
    assert [v.setting for v in result.violations] == ["max_cancel_scheduled"]
    assert result.view.safety == [str(v) for v in result.violations]


def test_a_saved_plan_gets_the_same_gate_and_force_lets_it_through(applied_then_removed,
                                                                   tmp_path):
    ws = applied_then_removed
    saved = tmp_path / "plan.json"
    api.plan(ws, out=saved)
    before = vendor_writes(ws)
    seen = []
    with pytest.raises(UnsafePlan):
        api.apply(saved, on_review=seen.append)
    assert vendor_writes(ws) == before
    assert seen and seen[0].blocked and seen[0].saved == saved

    done = api.apply(saved, force=True)
    assert done.result.ok and [a.address for a in done.result.done] == ["Campaign/welcome"]
    assert vendor_writes(ws) != before


def test_a_fresh_plan_is_confirmed_only_once_it_passed_the_gate(applied_then_removed):
    ws = applied_then_removed
    asked = []
    with pytest.raises(UnsafePlan):
        api.apply(ws, confirm=lambda plan: asked.append(plan) or True)
    assert asked == []  # never asked about a plan the gate refuses
    declined = api.apply(ws, force=True, confirm=lambda plan: False)
    assert declined.result is None and declined.plan.has_changes
