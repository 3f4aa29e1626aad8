"""Recipients whose send outcome is unknown need a decision, every time: `plan
--detailed-exitcode` exits 2 while any is outstanding (a nightly drift job goes red), and
`apply --resend-unknown=COUNT` resends only when the plan would resend exactly the COUNT
the operator decided on, with or without --auto-approve."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import run_cli
from send_helpers import sms_workspace


def deliveries(sandbox) -> dict:
    return sandbox.get("/_sandbox/octopush/deliveries").json()


@pytest.fixture
def unknown_ws(tmp_path, sandbox_server):
    """400 recipients in one batch whose response was lost: delivered by the vendor, but
    nobody here knows it."""
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 400, batch_size=400)
    assert run_cli("plan", str(ws)).returncode == 0  # its cost simulation is cached
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/v1/public/sms-campaign/send", "kind": "lose_response", "times": 1}]})
    failed = run_cli("apply", str(ws), "--auto-approve")
    assert failed.returncode == 1 and "UNKNOWN" in failed.stderr
    httpx.delete(sandbox_server.url + "/_sandbox/faults")
    assert deliveries(sandbox_server)["total"] == 400
    return ws


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_detailed_exitcode_is_2_while_outcomes_are_unknown(unknown_ws, fmt):
    plan = run_cli("plan", str(unknown_ws), "--detailed-exitcode", "--format", fmt)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Traceback" not in plan.stderr
    text = (json.loads(plan.stdout)["summary"]["text"] if fmt == "json" else plan.stdout)
    assert "No changes. The outcome of 400 recipients is unknown (Campaign/promo: 400)" in text
    assert "resend them (`apply --resend-unknown=400`)" in text
    assert "settle them (`campaignctl state ledger settle`)" in text
    assert "matches the manifests" not in text


def test_a_settled_batch_ends_the_outstanding_decision(unknown_ws):
    assert run_cli("state", "ledger", "settle", "1", str(unknown_ws), "--sent").returncode == 0
    plan = run_cli("plan", str(unknown_ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "The live state matches the manifests" in plan.stdout


@pytest.mark.parametrize("args, says", [
    (["--resend-unknown"], "needs the number of recipients you decided to send again"),
    (["--resend-unknown=399"], "--resend-unknown=399, but this plan would send 400"),
    (["--resend-unknown=401", "--auto-approve"], "--resend-unknown=401, but this plan"),
    (["--resend-unknown", "--auto-approve"], "re-run with --resend-unknown=400"),
    (["--resend-unknown=0", "--auto-approve"], "--resend-unknown=0, but this plan would send 400"),
])
def test_resend_without_the_right_count_sends_nothing(unknown_ws, sandbox_server, args, says):
    before = deliveries(sandbox_server)["total"]
    out = run_cli("apply", str(unknown_ws), *args)
    assert out.returncode == 1, out.stdout + out.stderr
    assert says in out.stderr and "nothing was sent" in out.stderr.lower()
    assert "Traceback" not in out.stderr
    assert deliveries(sandbox_server)["total"] == before
    # the batch stays unknown: the decision is still outstanding
    assert run_cli("plan", str(unknown_ws), "--detailed-exitcode").returncode == 2


def test_a_count_that_is_no_number_is_a_usage_error(unknown_ws, sandbox_server):
    out = run_cli("apply", "--resend-unknown", str(unknown_ws))
    assert out.returncode == 1 and "e.g. --resend-unknown=609" in out.stderr
    assert deliveries(sandbox_server)["total"] == 400


def test_resend_with_the_plans_count_is_the_operators_decision(unknown_ws, sandbox_server):
    out = run_cli("apply", str(unknown_ws), "--resend-unknown=400", "--auto-approve")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "400 recipients whose outcome was unknown are sent AGAIN" in out.stdout
    log = deliveries(sandbox_server)
    assert log["total"] == 800 and log["distinct_recipients"] == 400  # as decided
    plan = run_cli("plan", str(unknown_ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
