"""Send windows in the recipient's own time (reconciler/policy), as `validate` and `plan`
report them, with real numbers of each covered jurisdiction. The clock is pinned: plans
pass now=..., validate only looks at the manifests' fixed times."""

from datetime import UTC, datetime

import pytest
from conftest import write_workspace

from reconciler import api
from reconciler.validate import errors_of, validate_directory

PARIS = "+33612345678"        # France, Europe/Paris
PARIS_2 = "+33698765432"
NEW_YORK = "+12125550123"     # New York, NY
LOS_ANGELES = "+12135550123"  # Los Angeles, CA
SAN_FRANCISCO = "+14155550123"
FLORIDA = "+13055550123"      # Miami
OKLAHOMA = "+14055550123"
MARYLAND = "+14105550123"
MISSISSIPPI = "+16015550123"
NEW_JERSEY = "+12015550123"
CONNECTICUT = "+12035550123"
TEXAS = "+12145550123"
RHODE_ISLAND = "+14015550123"
IDAHO = "+12085550123"        # area code 208: America/Boise and America/Los_Angeles
LONDON = "+447400123456"      # no rule in the pack: the default window

PACK_CNIL = "https://www.cnil.fr/fr/la-prospection-commerciale-par-sms-mms"
TCPA = "47 CFR 64.1200(c)(1)"


def sms_workspace(root, phones, send_at, purpose="wholesale", config="", extra_spec=""):
    contacts = "  contacts:\n" + "\n".join(f"    - {{phone: '{p}'}}" for p in phones) if phones \
        else "  file: people.csv"
    write_workspace(root, {
        "campaignctl.yaml": """
            providers:
              sms: {type: octopush, base_url: sandbox}
            """ + config,
        "m.yaml": f"""
kind: Message
name: promo
provider: sms
spec: {{channel: sms, text: "Promo -20%. STOP au 36111"}}
---
kind: ContactGroup
name: people
provider: sms
spec:
{contacts}
---
kind: Campaign
name: promo
provider: sms
spec:
  message: promo
  contact_groups: [people]
  send_at: {send_at}
  octopush: {{purpose: {purpose}}}
{extra_spec}
""",
    })
    return root


def errors(root) -> list[str]:
    _, diagnostics = validate_directory(root)
    return [f"{d.location.path}:{d.location.line}: {d.message}" for d in errors_of(diagnostics)]


def test_marketing_sms_at_2030_paris_on_a_tuesday_is_refused_with_rule_and_source(tmp_path):
    ws = sms_workspace(tmp_path, [PARIS, PARIS_2], "2027-03-23T20:30:00+01:00")  # a Tuesday
    [msg] = errors(ws)
    assert "m.yaml:" in msg and "Campaign/promo" in msg
    assert "rule fr-commercial-sms closed for 2 recipients in Europe/Paris" in msg
    assert "Tue 2027-03-23 20:30" in msg and "Mon-Sat 08:00-20:00, Sun closed" in msg
    assert PACK_CNIL in msg  # its source
    assert "first allowed time 2027-03-24T08:00:00+01:00" in msg


def test_the_same_on_a_french_public_holiday_is_refused(tmp_path):
    # 14 July 2027 is a Wednesday: 10:00 is inside the weekday hours, but a holiday.
    ws = sms_workspace(tmp_path, [PARIS], "2027-07-14T10:00:00+02:00")
    [msg] = errors(ws)
    assert "rule fr-commercial-sms closed for 1 recipient in Europe/Paris" in msg
    assert "closed on public holidays" in msg and PACK_CNIL in msg
    assert "first allowed time 2027-07-15T08:00:00+02:00" in msg
    # the day before is fine
    sms_workspace(tmp_path, [PARIS], "2027-07-13T10:00:00+02:00")
    assert errors(tmp_path) == []


def test_a_transactional_alert_at_2030_is_allowed(tmp_path):
    ws = sms_workspace(tmp_path, [PARIS, NEW_YORK], "2027-03-23T20:30:00+01:00",
                       purpose="alert")
    assert errors(ws) == []


def test_us_send_at_0900_new_york_refused_because_of_los_angeles_with_their_count(tmp_path):
    ws = sms_workspace(tmp_path, [NEW_YORK, LOS_ANGELES, SAN_FRANCISCO],
                       "2027-03-23T09:00:00-04:00")
    [msg] = errors(ws)
    assert "send time 2027-03-23T09:00:00-04:00 is outside the send window for 2 " in msg
    assert "rule us-tcpa closed for 2 recipients in America/Los_Angeles" in msg
    assert "06:00" in msg and TCPA in msg
    assert "first allowed time 2027-03-23T08:00:00-07:00" in msg
    assert "America/New_York" not in msg  # New York is inside the window


def test_florida_at_2030_eastern_refused_while_new_york_passes(tmp_path):
    ws = sms_workspace(tmp_path, [NEW_YORK, FLORIDA], "2027-03-23T20:30:00-04:00")
    [msg] = errors(ws)
    assert "rule us-fl-ftsa closed for 1 recipient in America/New_York" in msg
    assert "501.616" in msg and "us-tcpa" not in msg
    sms_workspace(tmp_path, [NEW_YORK], "2027-03-23T20:30:00-04:00")
    assert errors(tmp_path) == []


@pytest.mark.parametrize("phone,send_at,rule", [
    (OKLAHOMA, "2027-03-23T20:30:00-05:00", "us-ok-tsa"),          # 20:30 Central
    (MARYLAND, "2027-03-23T20:30:00-04:00", "us-md-spam-calls"),
    (MISSISSIPPI, "2027-03-21T10:00:00-05:00", "us-ms-tsa"),       # a Sunday
    (MISSISSIPPI, "2027-07-06T08:30:00-05:00", "us-ms-tsa-cst"),   # 07:30 CST in summer
    (NEW_JERSEY, "2027-03-23T21:30:00-04:00", "us-nj-dnc"),
    (CONNECTICUT, "2027-03-23T08:30:00-04:00", "us-ct-telemarketing"),
    (TEXAS, "2027-03-21T11:00:00-05:00", "us-tx-solicitation"),    # Sunday before noon
    (RHODE_ISLAND, "2027-03-20T17:30:00-04:00", "us-ri-solicitation"),  # Saturday 17:30
    (RHODE_ISLAND, "2027-09-06T10:00:00-04:00", "us-ri-solicitation"),  # Labor Day
    (LONDON, "2027-03-23T21:30:00+00:00", "default-quiet-hours"),
])
def test_each_state_rule_refuses_what_only_it_forbids(tmp_path, phone, send_at, rule):
    ws = sms_workspace(tmp_path, [phone], send_at)
    [msg] = errors(ws)
    assert f"rule {rule} closed for 1 recipient" in msg


@pytest.mark.parametrize("phone,send_at", [
    (OKLAHOMA, "2027-03-23T19:30:00-05:00"),
    (TEXAS, "2027-03-21T12:30:00-05:00"),
    (RHODE_ISLAND, "2027-03-22T10:00:00-04:00"),
    (MISSISSIPPI, "2027-07-06T09:30:00-05:00"),
])
def test_inside_every_window_passes(tmp_path, phone, send_at):
    assert errors(sms_workspace(tmp_path, [phone], send_at)) == []


def test_a_number_in_two_zones_must_be_inside_the_window_in_both(tmp_path):
    # 08:30 in Boise is 07:30 in Los Angeles: area code 208 covers both zones.
    ws = sms_workspace(tmp_path, [IDAHO], "2027-03-23T08:30:00-06:00")
    [msg] = errors(ws)
    assert "rule us-tcpa closed for 1 recipient in America/Boise + America/Los_Angeles" in msg


def test_the_contacts_timezone_column_wins_over_the_number(tmp_path):
    # Florida's panhandle is on Central time: a Miami number said to be there is there.
    # (A column that contradicts the area code adds to it: tests/policy/test_jurisdictions.py)
    write_workspace(tmp_path, {"people.csv": f"phone,timezone\n{FLORIDA},America/Chicago\n"})
    ws = sms_workspace(tmp_path, [], "2027-03-23T08:30:00-04:00")
    [msg] = errors(ws)
    assert "rule us-tcpa closed for 1 recipient in America/Chicago at" in msg
    assert "America/New_York" not in msg and "uncertain" not in msg
    (ws / "people.csv").write_text(f"phone,timezone\n{NEW_YORK},Mars/Olympus\n")
    [msg] = errors(ws)
    assert "people.csv:2" in msg and "unknown time zone 'Mars/Olympus'" in msg


def test_a_workspace_rule_is_stricter_and_a_waiver_is_printed_in_the_plan(tmp_path):
    config = """
            policy:
              rules:
                - name: acme-evenings
                  jurisdiction: US
                  channels: [sms]
                  window: {mon-sun: "08:00-19:00"}
            """
    ws = sms_workspace(tmp_path, [NEW_YORK], "2027-03-23T19:30:00-04:00", config=config)
    [msg] = errors(ws)
    assert "rule acme-evenings closed for 1 recipient" in msg
    assert "workspace policy (campaignctl.yaml)" in msg

    waived = """
            policy:
              waive:
                - rule: us-fl-ftsa
                  reason: "counsel reviewed: recipients consented to evening texts"
            """
    ws = sms_workspace(tmp_path, [FLORIDA], "2027-03-23T20:30:00-04:00", config=waived)
    assert errors(ws) == []
    plan = api.plan(ws, now=datetime(2027, 3, 1, tzinfo=UTC)).plan
    assert plan.policy["waived"] == [
        {"rule": "us-fl-ftsa", "reason": "counsel reviewed: recipients consented to evening texts"}]
    from reconciler.render.text import render_text
    text = render_text(plan)
    assert "Waived: us-fl-ftsa: counsel reviewed" in text
    assert "Send windows: policy pack " in text


@pytest.mark.parametrize("config,expected", [
    ("""
            policy:
              waive: [{rule: us-nowhere, reason: x}]
            """, "policy.waive: no rule 'us-nowhere'"),
    ("""
            policy:
              default: {window: {mon-sun: "07:00-23:00"}}
            """, "policy.default is looser than the pack's default-quiet-hours"),
    ("""
            policy:
              rules: [{name: us-tcpa, jurisdiction: US, window: {mon: "09:00-10:00"}}]
            """, "'us-tcpa' is already a rule name"),
    ("""
            policy:
              rules: [{name: x, jurisdiction: US, window: {mon: "10:00-09:00"}}]
            """, "start before end"),
])
def test_looser_or_unknown_policy_settings_are_refused_with_their_line(tmp_path, config,
                                                                      expected):
    ws = sms_workspace(tmp_path, [PARIS], "2027-03-23T10:00:00+01:00", config=config)
    [msg] = errors(ws)
    assert "campaignctl.yaml:" in msg and expected in msg


def test_a_narrower_default_applies_to_countries_without_a_rule(tmp_path):
    config = """
            policy:
              default: {window: {mon-fri: "09:00-18:00"}}
            """
    ws = sms_workspace(tmp_path, [LONDON], "2027-03-20T10:00:00+00:00", config=config)  # Sat
    [msg] = errors(ws)
    assert "rule default-quiet-hours closed" in msg and "Sat-Sun closed" in msg


def test_plan_rechecks_send_now_at_plan_time(tmp_path):
    ws = sms_workspace(tmp_path, [PARIS], "now")
    assert errors(ws) == []  # offline, `now` has no time yet
    late = datetime(2027, 3, 23, 20, 30, tzinfo=UTC)  # 21:30 in Paris
    plan = api.plan(ws, now=late).plan
    [refused] = [a for a in plan.actions if a.op == "refuse"]
    assert "send window: sending now is outside the send window" in refused.reason
    assert "fr-commercial-sms" in refused.reason
    ok = api.plan(ws, now=datetime(2027, 3, 23, 9, tzinfo=UTC)).plan
    [send] = [a for a in ok.actions if a.op == "send"]
    assert send.data["zones"] == {"Europe/Paris": 1}
    assert send.data["policy"]["rules"] == ["fr-commercial-sms"]


def test_the_plan_document_carries_the_pack_version_and_validates(tmp_path):
    import json

    import jsonschema

    from reconciler.engine.saved import load_schema, plan_document
    from reconciler.render.view import PlanView

    config = """
            policy:
              waive: [{rule: us-nj-dnc, reason: "reviewed"}]
            """
    ws = sms_workspace(tmp_path, [PARIS, NEW_YORK], '{local: "10:30", date: 2027-03-23}',
                       config=config)
    plan = api.plan(ws, now=datetime(2027, 3, 1, tzinfo=UTC)).plan
    doc = json.loads(json.dumps(plan_document(PlanView(plan)), default=str))
    jsonschema.validate(doc, load_schema())
    assert doc["policy"]["pack_version"] and doc["policy"]["pack_checked"]
    assert doc["policy"]["waived"] == [{"rule": "us-nj-dnc", "reason": "reviewed"}]
    [send] = [a for a in doc["actions"] if a["op"] == "send"]
    assert [w["zone"] for w in send["data"]["waves"]] == ["Europe/Paris", "America/New_York"]
    assert send["data"]["zones"] == {"America/New_York": 1, "Europe/Paris": 1}


def test_a_send_time_already_past_is_not_held_to_todays_pack(tmp_path):
    # 2020-01-01 was a French public holiday; the send is long gone (or plan refuses it
    # as passed): validate does not fail a workspace on its history.
    assert errors(sms_workspace(tmp_path, [PARIS], "2020-01-01T09:00:00+01:00")) == []
