"""What is sent is in the plan: every send and email campaign create shows the text (or
subject and first lines), the sender, SMS segments and a placeholder sample, in text, JSON
and Markdown, and never a real contact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import run_cli

EXAMPLE = Path(__file__).parent.parent / "campaigns"
CONTACTS = ("ada@example.com", "ann@example.com", "+33612345678", "+14155550123", "Lovelace")


def test_sends_show_their_content_in_every_format(tmp_path, monkeypatch):
    monkeypatch.setenv("CAMPAIGNCTL_ENV", "staging")  # the example's sandbox environment
    ws = tmp_path / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    sms = ws / "sms.yaml"
    sms.write_text(sms.read_text().replace('text: "Acme spring sale:', 'text: "Hi {first_name}! Acme spring sale:'))
    r = run_cli("plan", str(ws), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    content = {a["address"]: a["content"] for a in doc["actions"] if a["content"]}
    assert content["Campaign/spring-sale-sms"] == {
        "channel": "sms", "sender": "ACME", "segments": 1, "encoding": "GSM-7",
        "text": "Hi {first_name}! Acme spring sale: 20% off everything until Sunday. STOP au 36111",
        "sample": "Hi <first_name>! Acme spring sale: 20% off everything until Sunday. STOP au "
                  "36111",
        # Linus opted out (sms-stop): the samples are of the audience after opt-outs
        "samples": [{"to": "<phone>", "values": {"first_name": "A**"}},
                    {"to": "<phone>", "values": {"first_name": "A***"}},
                    {"to": "<phone>", "values": {"first_name": "G****"}}]}
    assert content["Campaign/spring-sale"] == {
        "channel": "email", "sender": "Acme Newsletter <news@acme.example>",
        "subject": "Spring sale starts now", "body_format": "plain_text",
        "first_lines": ["Hello,", "Our spring sale starts today: 20% off everything until Sunday.",
                        "Acme Inc., 100 Main Street, Springfield, IL 62701, USA"],
        "body": ("Hello,\n\nOur spring sale starts today: 20% off everything until Sunday.\n\n"
                 "Acme Inc., 100 Main Street, Springfield, IL 62701, USA\n"
                 "Unsubscribe: https://acme.example/unsubscribe\n")}
    assert content["Campaign/spring-sale-whatsapp"] == {
        "channel": "whatsapp", "sender": "+14155550100", "template": "spring_sale version 2",
        "variables": {"discount": "20%"},
        "sample": "discount=20%, first_name=<first_name>, last_name=<last_name>",
        # the first 3 recipients: address and values masked, a missing value as null
        "samples": [{"to": "<phone>", "values": {"first_name": "A**", "last_name": None}},
                    {"to": "<phone>", "values": {"first_name": "A***", "last_name": None}},
                    {"to": "<phone>", "values": {"first_name": "G****", "last_name": None}}]}
    text = run_cli("plan", str(ws)).stdout
    assert "text: 'Hi {first_name}! Acme spring sale" in text
    assert "SMS segments per recipient: 1 (GSM-7)" in text
    assert "subject: 'Spring sale starts now'" in text and "from: ACME" in text
    markdown = run_cli("plan", str(ws), "--format", "markdown").stdout
    assert "template: spring_sale version 2" in markdown
    assert "sample: 'Hi <first_name>! Acme spring sale" in markdown
    for out in (r.stdout, text, markdown):
        assert not any(c in out for c in CONTACTS)
