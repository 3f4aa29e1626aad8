"""The send ledger for people, end to end over real HTTP: a batch whose response was lost
is listed by `state ledger unknown`, settled, and never resent; sends made before
campaignctl are recorded with `state ledger import` and never sent again."""

from __future__ import annotations

import json

import httpx
from conftest import run_cli
from send_helpers import sms_workspace


def ok(result) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Traceback" not in out
    return out


def test_a_lost_response_is_listed_settled_and_never_resent(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 400, batch_size=200)
    ok(run_cli("plan", str(ws)))  # its cost simulation is cached: the apply only sends
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/v1/public/sms-campaign/send", "kind": "lose_response", "times": 1}]})
    failed = run_cli("apply", str(ws), "--auto-approve")
    assert failed.returncode == 1 and "UNKNOWN" in failed.stderr
    httpx.delete(sandbox_server.url + "/_sandbox/faults")

    listed = ok(run_cli("state", "ledger", "unknown", str(ws)))
    assert "batch 1: Campaign/promo on sms (octopush), 200 recipients" in listed
    assert "requested at 20" in listed and "check with octopush" in listed
    data = json.loads(ok(run_cli("state", "ledger", "unknown", str(ws), "--format", "json")))
    assert [b["batch"] for b in data["unknown_batches"]] == [1]
    shown = ok(run_cli("state", "show", "Campaign/promo", str(ws)))
    assert "unknown: 200" in shown and "batch 1, unknown, 200 recipients" in shown
    plan = ok(run_cli("plan", str(ws)))
    assert "outcome unknown for 200 recipients" in plan

    bad = run_cli("state", "ledger", "settle", "7", str(ws), "--sent")
    assert bad.returncode == 1 and "no batch 7" in bad.stderr
    ok(run_cli("state", "ledger", "settle", "1", str(ws), "--sent"))
    again = run_cli("state", "ledger", "settle", "1", str(ws), "--not-sent")
    assert again.returncode == 1 and "not unknown" in again.stderr
    assert "No batch has an unknown outcome" in ok(run_cli("state", "ledger", "unknown", str(ws)))
    plan = ok(run_cli("plan", str(ws)))
    assert "outcome unknown" not in plan and "200 new recipients" in plan
    ok(run_cli("apply", str(ws), "--auto-approve"))
    final = run_cli("plan", str(ws), "--detailed-exitcode")
    assert final.returncode == 0, final.stdout + final.stderr
    log = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert log["duplicates"] == [] and log["total"] == log["distinct_recipients"] == 400
    status = json.loads(ok(run_cli("status", str(ws), "--format", "json")))["campaigns"][0]
    # handed over for 2031 (sms_workspace's send time): scheduled, not "sent"
    assert (status["state"], status["sent"], status["unknown"]) == ("scheduled", 400, 0)
    assert status["delivery"] == "scheduled for 2031-01-07 09:00 Europe/Paris"


def test_sends_made_before_campaignctl_are_never_sent_again(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 400, batch_size=200)
    (tmp_path / "earlier.csv").write_text("phone\n+33610000000\n+33 6 10 00 00 01\n")
    out = ok(run_cli("state", "ledger", "import", "Campaign/promo", str(tmp_path / "earlier.csv"),
                     str(ws)))
    assert "recorded 2 recipients of Campaign/promo as sent" in out
    same = ok(run_cli("state", "ledger", "import", "Campaign/promo",
                      str(tmp_path / "earlier.csv"), str(ws)))
    assert "nothing new to record" in same
    (tmp_path / "bad.csv").write_text("phone\nnot-a-phone\n")
    bad = run_cli("state", "ledger", "import", "Campaign/promo", str(tmp_path / "bad.csv"),
                  str(ws))
    assert bad.returncode == 1 and "bad.csv:2:1" in bad.stderr and "nothing was recorded" in bad.stderr
    plan = json.loads(ok(run_cli("plan", str(ws), "--format", "json")))
    [send] = [a for a in plan["actions"] if a["op"] == "send"]
    assert send["send"]["recipients"] == 398 and send["send"]["already_sent"] == 2
    ok(run_cli("apply", str(ws), "--auto-approve"))
    log = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert log["total"] == log["distinct_recipients"] == 398  # not the two sent before
