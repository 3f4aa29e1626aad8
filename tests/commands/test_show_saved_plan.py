"""`campaignctl show PLANFILE`: a saved plan printed as `plan` printed it, in every format,
from the file alone (no API, no credentials, not even the workspace), under a first line
that says its signature was not checked; a damaged file is refused with a clear message.
Verification against the state (`--workspace`): tests/hostile/test_plan_tampering.py."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_IDS,
    EXAMPLE_SECRETS,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
)

from reconciler.engine.actions import Action
from reconciler.engine.plan import Plan
from reconciler.engine.saved import read_saved, save_plan
from reconciler.engine.signing import PlanKey
from reconciler.render.text import render_text

FORMATS = ("text", "json", "markdown")


@pytest.fixture
def saved_plans(tmp_path, sandbox_server):
    """For each format: (what `plan --format F -o FILE` printed, FILE), planned over real
    HTTP with credentials; then the sandbox is stopped and the workspace removed."""
    ws = example_on_real_accounts(tmp_path / "ws", sandbox_server.url)
    secrets = {name: f"secret-{name.lower()}-0123456789" for name in EXAMPLE_SECRETS}
    secrets["CAMPAIGNCTL_ENV"] = EXAMPLE_ENV
    secrets.update(EXAMPLE_IDS)
    sandbox_accounts(ws, secrets, EXAMPLE_ENV)
    out = {}
    for fmt in FORMATS:
        plan_file = tmp_path / f"plan-{fmt}.json"
        r = run_cli("plan", str(ws), "--format", fmt, "-o", str(plan_file), env=secrets)
        assert r.returncode == 0, r.stderr
        assert "Plan: " in r.stdout or '"has_changes": true' in r.stdout
        out[fmt] = (r.stdout, plan_file)
    sandbox_server.stop()
    shutil.rmtree(ws)
    return out, secrets


def no_secrets_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in EXAMPLE_SECRETS and k != "CAMPAIGNCTL_ENV"}


def test_show_prints_what_plan_printed_in_every_format_and_refuses_a_damaged_file(
        saved_plans, tmp_path):
    plans, secrets = saved_plans
    for fmt in FORMATS:
        printed, plan_file = plans[fmt]
        # No sandbox, no workspace, no secret in the environment: only the file.
        r = run_cli("show", str(plan_file), "--format", fmt, cwd=tmp_path,
                    env={**no_secrets_env(), "HTTPS_PROXY": "http://127.0.0.1:9",
                         "HTTP_PROXY": "http://127.0.0.1:9"})
        assert r.returncode == 0, r.stderr
        # Unverified (no state to check its signature with): said first, then the plan.
        banner = f"UNVERIFIED PLAN: its signature was not checked, and anyone can edit a " \
                 f"plan file. To verify it against the state that signed it: campaignctl " \
                 f"show {plan_file} --workspace DIR [--env NAME]"
        if fmt == "json":  # stdout stays a JSON document; the verdict is stderr's first line
            assert r.stdout == printed and r.stderr.splitlines()[0] == banner
        else:
            assert r.stdout == f"{banner}\n\n{printed}", fmt
        assert not any(s in r.stdout + r.stderr for s in secrets.values() if s.startswith("secret"))
    # Text by default.
    r = run_cli("show", str(plans["text"][1]), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.split("\n\n", 1)[1] == plans["text"][0]

    # An edited file without its state to check it: shown, never as if it were verified.
    doc = json.loads(plans["json"][1].read_text())
    doc["actions"][0]["reason"] = "edited by hand"
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(doc))
    r = run_cli("show", str(damaged))
    assert r.returncode == 0 and r.stdout.startswith("UNVERIFIED PLAN: ")
    doc["format_version"] = 1
    damaged.write_text(json.dumps(doc))
    r = run_cli("show", str(damaged))
    assert r.returncode == 1 and r.stdout == ""
    assert "format_version 1 is not supported" in r.stderr and "Plan again" in r.stderr
    assert "Traceback" not in r.stderr

    truncated = tmp_path / "truncated.json"
    truncated.write_text(plans["json"][1].read_text()[:200])
    r = run_cli("show", str(truncated))
    assert r.returncode == 1 and "not a JSON plan file" in r.stderr
    assert "Traceback" not in r.stderr

    r = run_cli("show", str(tmp_path / "missing.json"))
    assert r.returncode == 1 and "cannot read the plan file" in r.stderr


def test_show_repeats_the_safety_stop_the_plan_printed(tmp_path):
    plan = Plan(actions=[Action("delete", "Message", "old", "mail", "no longer in the manifests")],
                live_fingerprint="f" * 64, workspace_digest="d" * 64)
    message = "the plan deletes 2 of 4 managed resources (50%), above max_delete_percent 25"
    save_plan(plan, tmp_path / "p.json", tmp_path, [message], key=PlanKey(b"k" * 32))
    text = render_text(read_saved(tmp_path / "p.json").view())
    assert f"Safety: {message}" in text
