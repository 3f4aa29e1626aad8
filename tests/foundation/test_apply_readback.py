"""apply reads back only the accounts it wrote to."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conftest import write_workspace

from reconciler import api

FILES = {
    "campaignctl.yaml": """
        providers:
          mail: {type: email-campaigns, base_url: sandbox}
          sched: {type: scheduled-campaigns, base_url: sandbox}
        """,
    "m.yaml": """
        kind: Message
        name: hello
        provider: mail
        spec: {channel: email, subject: Hi, body: BODY}
        ---
        kind: Campaign
        name: winter
        provider: sched
        spec:
          title: Winter
          send_at: 2030-01-15T09:00:00+01:00
          state: scheduled
          scheduled-campaigns: {list: 12, segments: [3, 7], domain: 4}
        """,
}


def journal(ws) -> list[dict]:
    path = ws / ".campaignctl" / "sandbox" / "requests.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return [json.loads(line) for line in lines]


def test_read_back_skips_accounts_the_apply_did_not_touch(tmp_path):
    ws = write_workspace(tmp_path / "ws", FILES)
    options = dict(now=datetime(2026, 1, 1, tzinfo=UTC))
    assert api.apply(ws, **options).result.ok
    journal(ws)
    (ws / "m.yaml").write_text((ws / "m.yaml").read_text().replace("BODY", "NEW BODY"))
    outcome = api.apply(ws, **options)
    assert outcome.result.ok and outcome.drift == []
    requests = journal(ws)
    sched = [e["method"] for e in requests if e["path"].startswith("/campaign")]
    message_lists = [e for e in requests
                     if e["method"] == "GET" and e["path"].startswith("/email/message/")]
    # The scheduled campaign is read once (by the plan), not again by the read-back;
    # the account written to is read by the plan and by the read-back.
    assert sched == ["GET"]
    assert len(message_lists) == 2
