"""Every JSON output of the command line carries a format_version and validates against its
schema in schemas/: `apply --format json` (a stream of events, one per line) of a real
apply against the sandbox over HTTP, with batches sent and a batch whose outcome is
unknown; and plan, status, validate and `state ledger unknown`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from conftest import run_cli
from send_helpers import sms_workspace

SCHEMAS = Path(__file__).parent.parent.parent / "schemas"
SMS_PATH = "/v1/public/sms-campaign/send"


def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft202012Validator(schema)


def events_of(stdout: str) -> list[dict]:
    check = validator("apply-events.schema.json")
    events = [json.loads(line) for line in stdout.splitlines()]
    for event in events:
        check.validate(event)
        assert event["format_version"] == 1
    return events


def test_apply_json_streams_versioned_events_that_validate(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 1200, batch_size=500)
    refused = run_cli("apply", str(ws), "--format", "json")
    assert refused.returncode == 1 and "--auto-approve" in refused.stderr
    assert [e["type"] for e in events_of(refused.stdout)] == ["error"]

    r = run_cli("apply", str(ws), "--auto-approve", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    events = events_of(r.stdout)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "apply_started" and kinds[-1] == "summary"
    assert kinds.count("action_started") == kinds.count("action_done") == events[0]["actions"]
    sent = [e for e in events if e["type"] == "batch_sent"]
    assert [e["recipients"] for e in sent] == [500, 500, 200]
    assert {e["address"] for e in sent} == {"Campaign/promo"}
    summary = events[-1]
    assert summary["ok"] and summary["done"] == events[0]["actions"] and not summary["failed"]
    assert summary["writes"] >= 3

    again = run_cli("apply", str(ws), "--auto-approve", "--format", "json")
    assert again.returncode == 0
    (only,) = events_of(again.stdout)  # nothing to do: the summary alone
    assert only["type"] == "summary" and only["planned"] == 0 and only["ok"]


def test_an_unknown_batch_is_an_event_and_every_json_output_validates(tmp_path,
                                                                      sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 300, batch_size=500)
    assert sandbox_server.post("/_sandbox/faults", {"seed": 1, "rules": [
        {"path_prefix": SMS_PATH, "kind": "lose_response", "probability": 1.0}]},
    ).status_code == 200
    r = run_cli("apply", str(ws), "--auto-approve", "--format", "json")
    assert r.returncode == 1, r.stdout + r.stderr
    events = events_of(r.stdout)
    (unknown,) = [e for e in events if e["type"] == "batch_unknown"]
    assert unknown["address"] == "Campaign/promo" and unknown["recipients"] == 300
    (failed,) = [e for e in events if e["type"] == "action_failed"]
    assert failed["address"] == "Campaign/promo" and "UNKNOWN" in failed["error"]
    assert events[-1]["type"] == "summary" and not events[-1]["ok"]
    assert events[-1]["failures"][0]["address"] == "Campaign/promo"

    for args, schema in ((("state", "ledger", "unknown", str(ws)), "ledger-unknown"),
                         (("validate", str(ws)), "validate"),
                         (("status", str(ws)), "status"),
                         (("plan", str(ws)), "plan")):
        out = run_cli(*args, "--format", "json")
        doc = json.loads(out.stdout)
        validator(f"{schema}.schema.json").validate(doc)
        assert isinstance(doc["format_version"], int), args
    assert json.loads(run_cli("state", "ledger", "unknown", str(ws), "--format", "json")
                      .stdout)["unknown_batches"][0]["recipients"] == 300
