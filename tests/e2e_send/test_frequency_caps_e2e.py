"""Frequency caps across campaigns against the sandbox over real HTTP (Octopush SMS and
Connectly WhatsApp), with the run's clock pinned: what the sandbox received, per number."""

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta

from conftest import sandbox_accounts, write_workspace

from reconciler import api

FLORIDA, NEW_YORK = "+13055550123", "+12125550123"
NOON = datetime(2027, 3, 23, 16, tzinfo=UTC)  # 12:00 in Florida and New York, a Tuesday


def campaign(name, account, phones, late=None):
    contacts = ", ".join(f"{{phone: '{p}'}}" for p in phones)
    extra = ("  message: promo\n  octopush: {purpose: wholesale}\n" if account == "sms"
             else "  connectly: {campaign_version: '1'}\n")
    return f"""
---
kind: ContactGroup
name: {name}-people
provider: {account}
spec: {{contacts: [{contacts}]}}
---
kind: Campaign
name: {name}
provider: {account}
spec:
  sender: {account}-num
  contact_groups: [{name}-people]
  send_at: now
{extra}""" + (f"  late: {late}\n" if late else "")


def workspace(root, url, campaigns, policy=""):
    write_workspace(root, {
        "campaignctl.yaml": f"""
providers:
  sms: {{type: octopush, base_url: "{url}", api_login: "${{TEST_LOGIN}}", api_key: "${{TEST_KEY_123}}"}}
  wa: {{type: connectly, base_url: "{url}", business_id: "${{TEST_BUSINESS}}", api_key: "${{TEST_KEY}}"}}
""" + policy,
        "all.yaml": """
kind: Sender
name: sms-num
provider: sms
spec: {sms_id: ACME}
---
kind: Sender
name: wa-num
provider: wa
spec: {phone: "+14155550100"}
---
kind: Message
name: promo
provider: sms
spec: {channel: sms, text: "Acme: 20% off. STOP au 36111"}
""" + "".join(campaigns),
    })
    return sandbox_accounts(root)


def received(data_dir) -> Counter:
    """How many deliveries the sandbox recorded per number."""
    out: Counter = Counter()
    for path in data_dir.rglob("*.db"):
        db = sqlite3.connect(path)
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name='deliveries'").fetchone():
                out.update(r for (r,) in db.execute("SELECT recipient FROM deliveries"))
        finally:
            db.close()
    return out


def apply_at(ws, when):
    outcome = api.apply(ws, now=when, clock=lambda: when)
    assert outcome.result is None or outcome.result.ok, outcome.result.failed
    return outcome


def test_the_fourth_sms_to_a_florida_number_waits_for_its_24_hours(tmp_path, sandbox_server):
    data, ws = tmp_path / "sandbox-data", tmp_path / "ws"
    first = [campaign(f"c{i}", "sms", [FLORIDA]) for i in (1, 2, 3)]
    for hour in (0, 1, 2):
        workspace(ws, sandbox_server.url, first[:hour + 1])
        apply_at(ws, NOON + timedelta(hours=hour))
    assert received(data) == {FLORIDA: 3}
    workspace(ws, sandbox_server.url,
              first + [campaign("c4", "sms", [FLORIDA, NEW_YORK], late="send-next-window")])
    plan = api.plan(ws, now=NOON + timedelta(hours=3)).plan
    [send] = [a for a in plan.actions if a.name == "c4"]
    assert send.send.recipients == 1
    assert send.data["frequency"][0]["eligible_from"] == (NOON + timedelta(days=1)).isoformat()
    apply_at(ws, NOON + timedelta(hours=3))
    assert received(data) == {FLORIDA: 3, NEW_YORK: 1}
    apply_at(ws, NOON + timedelta(hours=23))  # still inside the 24 hours: nothing
    assert received(data) == {FLORIDA: 3, NEW_YORK: 1}
    apply_at(ws, NOON + timedelta(days=1, minutes=1))
    assert received(data) == {FLORIDA: 4, NEW_YORK: 1}
    apply_at(ws, NOON + timedelta(days=1, hours=1))  # exactly once
    assert received(data) == {FLORIDA: 4, NEW_YORK: 1}


def test_a_workspace_cap_across_sms_and_whatsapp(tmp_path, sandbox_server):
    data, ws = tmp_path / "sandbox-data", tmp_path / "ws"
    policy = ("policy:\n  frequency:\n    - {name: fatigue, channels: [sms, whatsapp], "
              "purposes: [marketing], max: 2, per: 7d}\n")
    both = [campaign("a-sms", "sms", [NEW_YORK]), campaign("b-wa", "wa", [NEW_YORK])]
    workspace(ws, sandbox_server.url, both, policy)
    apply_at(ws, NOON)
    assert received(data) == {NEW_YORK: 2}
    workspace(ws, sandbox_server.url, both + [
        campaign("c-wa", "wa", [NEW_YORK, FLORIDA], late="send-next-window"),
        campaign("d-sms", "sms", [NEW_YORK])], policy)  # dropped: no late
    plan = api.plan(ws, now=NOON + timedelta(days=1)).plan
    held = {a.name: a.data["frequency"][0] for a in plan.actions if "frequency" in a.data}
    assert {n: (r["cap"], r["held_back"], r["late"]) for n, r in held.items()} == {
        "c-wa": ("fatigue", 1, "send-next-window"), "d-sms": ("fatigue", 1, "drop")}
    apply_at(ws, NOON + timedelta(days=1))
    assert received(data) == {NEW_YORK: 2, FLORIDA: 1}
    apply_at(ws, NOON + timedelta(days=7, minutes=1))
    # c-wa sends its held recipient once the week is over; d-sms dropped it for good
    assert received(data) == {NEW_YORK: 3, FLORIDA: 1}
    assert not api.plan(ws, now=NOON + timedelta(days=30)).plan.has_changes
