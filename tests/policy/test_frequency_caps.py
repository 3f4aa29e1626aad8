"""Frequency caps across campaigns: the pack's Florida cap (3 marketing messages in 24
hours) and a workspace cap across SMS and WhatsApp, with the clock pinned and the vendor
APIs answering at their documented shapes."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import write_workspace

import reconciler.providers.base as base
from reconciler import api
from reconciler.policy.frequency import Delivery, check_recipient
from reconciler.policy.pack import load_pack

FLORIDA, NEW_YORK = "+13055550123", "+12125550123"
OCTOPUSH = "  sms: {type: octopush, base_url: 'https://api.octopush.invalid', " \
           "api_login: '${TEST_LOGIN}', api_key: '${TEST_SMS_KEY}'}\n"
CONNECTLY = "  wa: {type: connectly, base_url: 'https://connectly.invalid', " \
            "business_id: '${TEST_BUSINESS}', api_key: '${TEST_KEY}'}\n"


@pytest.fixture
def vendor(monkeypatch):
    """Octopush (POST /sms-campaign/send) and Connectly (campaign sends): who got what."""
    sent: list[tuple[str, str]] = []  # (channel, phone)

    def handle(request):
        body = json.loads(request.content) if request.content else {}
        if "octopush" in request.url.host:
            sent.extend(("sms", x["phone_number"]) for x in body.get("recipients", []))
            return httpx.Response(201, json={"sms_ticket": f"t{len(sent)}", "total_cost": 0.05,
                                              "number_of_contacts": len(body["recipients"])})
        sent.extend(("whatsapp", e["client"]) for e in body)
        return httpx.Response(200, json={"data": [
            {"id": f"i{k}", "client": e["client"], "status": "accepted"}
            for k, e in enumerate(body)]})
    monkeypatch.setattr(base, "resolve", lambda url, *_: (url, httpx.MockTransport(handle)))
    monkeypatch.setenv("TEST_LOGIN", "me@acme.example")
    monkeypatch.setenv("TEST_KEY", "k" * 32)
    monkeypatch.setenv("TEST_SMS_KEY", "s" * 32)
    monkeypatch.setenv("TEST_BUSINESS", "biz-1")
    return sent


def campaign(name, account, phones, **extra):
    contacts = ", ".join(f"{{phone: '{p}'}}" for p in phones)
    vendor_block = ("  octopush: {purpose: wholesale}\n  message: promo\n" if account == "sms"
                    else "  connectly: {campaign_version: '1'}\n")
    return f"""
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
{vendor_block}""" + "".join(f"  {k}: {v}\n" for k, v in extra.items())


def workspace(root, campaigns, config=""):
    files = {
        "campaignctl.yaml": "providers:\n" + OCTOPUSH + CONNECTLY + config,
        "senders.yaml": """
kind: Sender
name: sms-num
provider: sms
spec: {sms_id: Acme}
---
kind: Sender
name: wa-num
provider: wa
spec: {phone: "+14155550100"}
---
kind: Message
name: promo
provider: sms
spec: {channel: sms, text: "Promo -20%. STOP au 36111"}
""",
    }
    for i, text in enumerate(campaigns):
        files[f"c{i}.yaml"] = text
    write_workspace(root, files)
    return root


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


def pinned(when):
    return dict(now=when, clock=lambda: when)


def sends(plan):
    return {a.name: a for a in plan.actions if a.op == "send"}


NOON = at("2027-03-23T12:00:00-04:00")  # a Tuesday, inside every window


def apply_at(ws, when):
    outcome = api.apply(ws, **pinned(when))
    assert outcome.result is None or outcome.result.ok, outcome.result.failed
    return outcome


def test_the_fourth_sms_to_a_florida_number_in_24_hours_is_held_back_for_it_only(
        tmp_path, vendor):
    for hour in (0, 1, 2):  # three campaigns, added and applied one an hour
        ws = workspace(tmp_path, [campaign(f"c{i}", "sms", [FLORIDA]) for i in range(1, hour + 2)])
        apply_at(ws, NOON + timedelta(hours=hour))
    assert vendor == [("sms", FLORIDA)] * 3
    # The fourth, to Florida and New York, an hour later.
    workspace(tmp_path, [campaign(f"c{i}", "sms", [FLORIDA]) for i in (1, 2, 3)]
              + [campaign("c4", "sms", [FLORIDA, NEW_YORK], late="send-next-window")])
    later = NOON + timedelta(hours=3)
    plan = api.plan(ws, **pinned(later)).plan
    send = sends(plan)["c4"]
    assert send.send.recipients == 1
    [row] = send.data["frequency"]
    assert row["cap"] == "us-fl-frequency" and row["held_back"] == 1
    assert "501.616(6)(b)" in row["source"]
    # the first of the three leaves the window 24 hours after it was sent
    assert row["eligible_from"] == (NOON + timedelta(hours=24)).isoformat()
    assert "1 recipient held back by us-fl-frequency" in send.reason
    apply_at(ws, later)
    assert vendor[3:] == [("sms", NEW_YORK)]  # New York got it; Florida did not
    # Before the window ends, nothing more is planned: the held recipient stays held.
    early = NOON + timedelta(hours=23, minutes=59)
    assert "c4" not in sends(api.plan(ws, **pinned(early)).plan)
    apply_at(ws, early)
    assert len(vendor) == 4
    # After it, a later apply sends it, once.
    after = NOON + timedelta(hours=24, minutes=1)
    assert sends(api.plan(ws, **pinned(after)).plan)["c4"].send.recipients == 1
    apply_at(ws, after)
    assert vendor[4:] == [("sms", FLORIDA)]
    apply_at(ws, after + timedelta(hours=1))
    assert len(vendor) == 5 and not api.plan(ws, **pinned(after)).plan.has_changes


def test_campaigns_planned_together_count_against_later_ones_in_address_order(tmp_path,
                                                                              vendor):
    ws = workspace(tmp_path, [campaign(f"c{i}", "sms", [FLORIDA]) for i in (4, 3, 2, 1)])
    plan = api.plan(ws, **pinned(NOON)).plan
    assert sorted(sends(plan)) == ["c1", "c2", "c3"]  # c4 is last by address
    [held] = [a for a in plan.actions if a.name == "c4"]
    assert "nothing to send now" in held.reason and "us-fl-frequency" in held.reason
    # without `late: send-next-window`, the drop is recorded so that no later apply sends it
    assert held.op == "update" and "dropped from this send" in held.reason
    apply_at(ws, NOON)
    assert vendor == [("sms", FLORIDA)] * 3
    next_day = NOON + timedelta(days=2)
    assert not api.plan(ws, **pinned(next_day)).plan.has_changes
    apply_at(ws, next_day)
    assert vendor == [("sms", FLORIDA)] * 3


def test_a_dropped_recipient_never_gets_the_campaign_the_others_do(tmp_path, vendor):
    for hour in (0, 1, 2):
        ws = workspace(tmp_path, [campaign(f"c{i}", "sms", [FLORIDA]) for i in range(1, hour + 2)])
        apply_at(ws, NOON + timedelta(hours=hour))
    ws = workspace(tmp_path, [campaign(f"c{i}", "sms", [FLORIDA]) for i in (1, 2, 3)]
                   + [campaign("c4", "sms", [FLORIDA, NEW_YORK])])
    send = sends(api.plan(ws, **pinned(NOON + timedelta(hours=3))).plan)["c4"]
    assert send.send.recipients == 1 and send.data["frequency"][0]["late"] == "drop"
    assert "dropped from this send" in send.reason
    apply_at(ws, NOON + timedelta(hours=3))
    assert vendor[3:] == [("sms", NEW_YORK)]
    after = NOON + timedelta(days=2)
    assert not api.plan(ws, **pinned(after)).plan.has_changes
    apply_at(ws, after)
    assert vendor[3:] == [("sms", NEW_YORK)]


def test_a_workspace_cap_counts_sms_and_whatsapp_together(tmp_path, vendor):
    config = ("policy:\n  frequency:\n    - {name: fatigue, channels: [sms, whatsapp], "
              "purposes: [marketing], max: 2, per: 7d}\n")
    ws = workspace(tmp_path, [campaign("a-sms", "sms", [NEW_YORK]),
                              campaign("b-wa", "wa", [NEW_YORK])], config)
    apply_at(ws, NOON)
    assert sorted(vendor) == [("sms", NEW_YORK), ("whatsapp", NEW_YORK)]
    workspace(tmp_path, [campaign("a-sms", "sms", [NEW_YORK]),
                         campaign("b-wa", "wa", [NEW_YORK]),
                         campaign("c-wa", "wa", [NEW_YORK, FLORIDA], late="send-next-window")],
              config)
    next_day = NOON + timedelta(days=1)
    send = sends(api.plan(ws, **pinned(next_day)).plan)["c-wa"]
    [row] = send.data["frequency"]
    assert (row["cap"], row["held_back"]) == ("fatigue", 1)
    assert row["eligible_from"] == (NOON + timedelta(days=7)).isoformat()
    apply_at(ws, next_day)
    assert vendor[2:] == [("whatsapp", FLORIDA)]
    week_later = NOON + timedelta(days=7, minutes=1)
    apply_at(ws, week_later)
    assert vendor[3:] == [("whatsapp", NEW_YORK)]
    assert not api.plan(ws, **pinned(week_later)).plan.has_changes


def test_a_message_scheduled_ahead_counts_at_its_send_time():
    [cap] = [c for c in load_pack().caps if c.name == "us-fl-frequency"]
    t = at("2027-03-23T12:00:00+00:00")
    ahead = [Delivery(t + timedelta(hours=h), "sms", "marketing") for h in (2, 3, 4)]
    # three already due later that day: a fourth now would make four in 24 hours
    name, when = check_recipient(ahead, [cap], "sms", "marketing", t)
    assert name == "us-fl-frequency" and when == t + timedelta(hours=26)
    # transactional messages and other channels are not counted by it
    assert check_recipient(ahead, [cap], "sms", "transactional", t) is None
    assert check_recipient(ahead, [cap], "email", "marketing", t) is None


def test_the_plan_shows_per_campaign_who_is_held_back_by_which_cap_until_when(tmp_path,
                                                                              vendor):
    from reconciler.render.markdown import render_markdown
    from reconciler.render.text import render_text

    ws = workspace(tmp_path, [campaign(f"c{i}", "sms", [FLORIDA]) for i in (1, 2, 3)]
                   + [campaign("c4", "sms", [FLORIDA, NEW_YORK], late="send-next-window")])
    plan = api.plan(ws, **pinned(NOON)).plan
    for text in (render_text(plan), render_markdown(plan)):
        assert ("held back by us-fl-frequency: 1 recipient, eligible from "
                "2027-03-24T16:00:00+00:00; sent by an apply once eligible "
                "(late: send-next-window)") in text
        assert "Fla. Stat. 501.616(6)(b)" in text


def test_sends_handed_over_for_later_count_at_their_send_time_not_when_recorded(tmp_path,
                                                                                vendor):
    tomorrow = "2027-03-24T10:00:00-04:00"
    scheduled = [campaign(f"c{i}", "sms", [FLORIDA]).replace("send_at: now",
                                                             f"send_at: {tomorrow}")
                 for i in (1, 2, 3)]
    ws = workspace(tmp_path, scheduled)
    apply_at(ws, NOON)  # handed to Octopush today, to go out tomorrow at 10:00
    assert vendor == [("sms", FLORIDA)] * 3
    # A send now, 22 hours before them, would make four in 24 hours; one two days earlier
    # would not (the ledger recorded them today: that is not when they reach the person).
    workspace(tmp_path, scheduled + [campaign("c4", "sms", [FLORIDA], late="send-next-window")])
    [held] = [a for a in api.plan(ws, **pinned(NOON)).plan.actions if a.name == "c4"]
    assert held.op == "warn" and held.data["frequency"][0]["eligible_from"] == \
        at("2027-03-25T10:00:00-04:00").isoformat()
    earlier = dict(now=NOON - timedelta(days=2), clock=lambda: NOON - timedelta(days=2))
    assert sends(api.plan(ws, **earlier).plan)["c4"].send.recipients == 1


def test_every_cap_of_the_pack_is_sourced_dated_and_in_the_readme():

    pack = load_pack()
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert {c.jurisdiction for c in pack.caps} >= {"US-FL", "US-OK", "US-MD"}
    for cap in pack.caps:
        assert cap.source and cap.checked and cap.url, cap.name
        assert (cap.max, cap.period) == (3, timedelta(hours=24)), cap.name
        assert f"`{cap.name}`" in readme, cap.name


@pytest.mark.parametrize("entry,expected", [
    ("{name: x, max: 0, per: 24h}", "greater than or equal to 1"),
    ("{name: x, max: 2, per: a week}", "write a count and a unit"),
    ("{name: us-fl-frequency, max: 2, per: 7d}", "already a rule name"),
])
def test_a_malformed_workspace_cap_is_refused_with_its_line(tmp_path, entry, expected):
    from reconciler.validate import errors_of, validate_directory

    ws = workspace(tmp_path, [campaign("c1", "sms", [FLORIDA])],
                   f"policy:\n  frequency:\n    - {entry}\n")
    _, diagnostics = validate_directory(ws)
    messages = [f"{Path(d.location.path).name}:{d.location.line}: {d.message}"
                for d in errors_of(diagnostics)]
    assert any(expected in m and m.startswith("campaignctl.yaml:") for m in messages), messages


def test_a_vendor_scheduled_campaign_counts_for_its_audience_at_its_send_time(tmp_path):
    from reconciler.policy.frequency import scheduled_history
    from reconciler.validate import errors_of, validate_directory

    def email_campaign(name, state):
        return f"""
---
kind: Campaign
name: {name}
provider: mail
spec:
  message: hello
  sender: news
  contact_groups: [readers]
  send_at: 2027-03-24T09:00:00-04:00
  timezone: America/New_York
  state: {state}
"""
    write_workspace(tmp_path, {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
                            'policy:\n  email: {postal_address: "Acme Inc., 1 Main St"}\n'
                            "  frequency:\n    - {name: one-email, channels: [email], max: 1, "
                            "per: 7d}\n",
        "m.yaml": """
kind: Sender
name: news
provider: mail
spec: {email: news@acme.example, description: Acme}
---
kind: Message
name: hello
provider: mail
spec: {channel: email, subject: Hello, body: "Hi. Acme Inc., 1 Main St. Unsubscribe: https://acme.example/u"}
---
kind: ContactGroup
name: readers
provider: mail
spec: {contacts: [{email: a@x.example}, {email: b@x.example}]}
""" + email_campaign("weekly", "active") + email_campaign("paused-one", "paused"),
    })
    ws, diagnostics = validate_directory(tmp_path)
    assert errors_of(diagnostics) == []
    history: dict = {}
    caps = ws.config.send_policy.caps
    scheduled_history(ws, history, caps, set(), NOON - timedelta(days=14))
    # the active campaign, once per reader, at its send time; the paused one is not counted
    assert history == {a: [Delivery(at("2027-03-24T09:00:00-04:00"), "email", "marketing")]
                       for a in ("a@x.example", "b@x.example")}
    assert check_recipient(history["a@x.example"], caps, "email", "marketing", NOON) == (
        "one-email", at("2027-03-31T09:00:00-04:00"))
    # a send-only account's campaigns are counted from its ledger instead
    history = {}
    scheduled_history(ws, history, caps, {"mail"}, NOON - timedelta(days=14))
    assert history == {}
