"""`send_at: {at: ..., outside_window: defer}`: a national send at 20:30 Eastern on a
Saturday goes then to everyone whose window is open, and every other recipient goes at
their own next open time, as extra waves shown in the plan; the times the sandbox
received (over real HTTP) are each inside that recipient's window."""

import sqlite3
from collections import Counter
from datetime import UTC, datetime

from conftest import sandbox_accounts, write_workspace

from reconciler import api
from reconciler.config import load_config
from reconciler.policy.where import place_of
from reconciler.render.text import render_text
from reconciler.validate import errors_of, validate_directory

NEW_YORK = "+12125550123"
FLORIDA = "+13055550123"        # 20:00 end
RHODE_ISLAND = "+14015550123"   # Sat 10:00-17:00, no Sundays
LOS_ANGELES = "+12135550123"    # 17:30 there: open
UTAH = "+18015550123"           # 18:30 there: open
LOUISIANA = "+15045550123"      # 19:30 there: open until 20:00
PARIS = "+33612345678"          # 01:30 on Sunday there: WhatsApp takes the default 08:00
PHONES = [NEW_YORK, FLORIDA, RHODE_ISLAND, LOS_ANGELES, UTAH, LOUISIANA, PARIS]
AT = "2027-03-20T20:30:00-04:00"  # a Saturday


def workspace(root, url, send_at=f"{{at: {AT}, outside_window: defer}}"):
    contacts = ", ".join(f"{{phone: '{p}'}}" for p in PHONES)
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              wa: {{type: connectly, base_url: "{url}", business_id: "${{TEST_BUSINESS}}",
                   api_key: "${{TEST_KEY}}"}}
            """,
        "wa.yaml": f"""
            kind: Sender
            name: num
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: nation
            provider: wa
            spec: {{contacts: [{contacts}]}}
            ---
            kind: Campaign
            name: national
            provider: wa
            spec:
              sender: num
              contact_groups: [nation]
              send_at: {send_at}
              purpose: marketing
              connectly: {{campaign_version: "1"}}
            """,
    })
    return root


def received(data_dir):
    """(recipient, send_at) of every delivery the sandbox recorded."""
    out = []
    for path in data_dir.rglob("*.db"):
        db = sqlite3.connect(path)
        try:
            if db.execute("SELECT 1 FROM sqlite_master WHERE name='deliveries'").fetchone():
                out += db.execute("SELECT recipient, send_at FROM deliveries").fetchall()
        finally:
            db.close()
    return out


def test_a_deferred_national_send_reaches_each_recipient_inside_their_window(
        tmp_path, sandbox_server):
    ws = sandbox_accounts(workspace(tmp_path / "ws", sandbox_server.url))
    _, diagnostics = validate_directory(ws)
    assert errors_of(diagnostics) == []  # deferral is not a refusal
    before = datetime(2027, 3, 20, 12, tzinfo=UTC)
    plan = api.plan(ws, now=before).plan
    [send] = [a for a in plan.actions if a.op == "send"]
    waves = send.data["waves"]
    assert sum(w["recipients"] for w in waves) == len(PHONES)
    by_time = {(w["zone"], w["send_at"]): w for w in waves}
    assert by_time[("America/New_York", "2027-03-20T20:30:00-04:00")]["recipients"] == 1
    florida = by_time[("America/New_York", "2027-03-21T08:00:00-04:00")]
    assert florida["deferred_by"] == "us-fl-ftsa"
    rhode_island = by_time[("America/New_York", "2027-03-22T09:00:00-04:00")]
    assert rhode_island["deferred_by"] == "us-ri-solicitation"
    assert by_time[("Europe/Paris", "2027-03-21T08:00:00+01:00")]["deferred_by"] == \
        "default-quiet-hours"
    text = render_text(plan)
    assert "wave America/New_York: 2027-03-21 08:00 local = 2027-03-21T12:00Z, 1 recipient" in text
    assert "(deferred: us-fl-ftsa closed at the send time)" in text

    outcome = api.apply(ws, now=before, clock=lambda: before)
    assert outcome.result.ok, outcome.result.failed
    seen = received(tmp_path / "sandbox-data")
    assert sorted(r for r, _ in seen) == sorted(PHONES)  # each once
    config, _ = load_config(ws, None, None)
    policy = config.send_policy
    for phone, send_at in seen:
        when = datetime.fromisoformat(send_at)
        place = place_of(phone, None, None)
        rules = policy.applicable(place, "whatsapp", "marketing")
        assert rules and all(r.is_open(when, z) for r in rules for z in place.zones), \
            (phone, send_at)
    assert Counter(s for _, s in seen)["2027-03-20T20:30:00-04:00"] >= 1
    assert api.plan(ws, now=before).plan.has_changes is False


def test_deferral_on_an_account_with_one_send_time_is_refused_by_validate(tmp_path):
    write_workspace(tmp_path, {
        "campaignctl.yaml": "providers:\n  sched: {type: scheduled-campaigns, base_url: sandbox}\n",
        "c.yaml": f"""
            kind: Campaign
            name: c
            provider: sched
            spec:
              send_at: {{at: {AT}, outside_window: defer}}
              state: scheduled
              scheduled-campaigns: {{list: 1, segments: [1], domain: 1}}
            """})
    _, diagnostics = validate_directory(tmp_path)
    [msg] = [d.message for d in errors_of(diagnostics)]
    assert "`outside_window: defer` needs an account that sends each batch" in msg


def test_a_malformed_deferral_says_how_to_write_it(tmp_path):
    ws = workspace(tmp_path, "https://connectly.invalid",
                   send_at="{at: 2027-03-20T20:30:00, outside_window: later}")
    _, diagnostics = validate_directory(ws)
    [msg] = [d.message for d in errors_of(diagnostics)]
    assert "deferred send time:" in msg and "outside_window: defer" in msg
