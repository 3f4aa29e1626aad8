"""Octopush SMS end to end: the real CLI against the sandbox over real HTTP."""

import httpx
from conftest import run_cli
from send_helpers import phones, sms_workspace, write_csv

SMS_PATH = "/v1/public/sms-campaign/send"


def test_10000_then_300_more_each_recipient_exactly_once(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 10_000)
    assert run_cli("validate", str(ws)).returncode == 0
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 0, plan.stderr
    assert "recipients: 10,000 in 20 batches" in plan.stdout
    assert "estimated messages: 10,000" in plan.stdout  # priced by one simulation request

    httpx.delete(sandbox_server.url + "/_sandbox/requests")
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    sends = sandbox_server.get(f"/_sandbox/requests?method=POST&path_prefix={SMS_PATH}").json()
    # Exactly the 20 frames (the plan's simulation was cached, so the apply made none).
    assert len(sends) == 20 and all(e["status"] == 200 for e in sends)
    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["total"] == delivered["distinct_recipients"] == 10_000

    write_csv(ws / "customers.csv", phones(10_300))
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    assert "recipients: 300 in 1 batch," in plan.stdout
    assert "already sent: 10,000" in plan.stdout
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0 and "No changes" in plan.stdout
    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["total"] == delivered["distinct_recipients"] == 10_300
    assert delivered["duplicates"] == []
