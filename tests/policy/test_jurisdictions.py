"""The jurisdictions of pack 2026.12.07 (Washington, Utah, Louisiana, Alabama, Canada,
India), declared emergencies, and recipients whose place is uncertain: a marketing SMS just
outside each window (a Sunday, a state holiday where those are closed) is refused, one just
inside is sent. The clock is pinned; the vendor is scripted at Connectly's documented
shapes (a JSON array of entries, one result per entry)."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from conftest import write_workspace
from test_send_windows import errors, sms_workspace

import reconciler.providers.base as base
from reconciler import api
from reconciler.engine.saved import StalePlan
from reconciler.policy.pack import load_pack

WASHINGTON = "+12065550123"   # Seattle: the geocoder says "Washington State"
UTAH = "+18015550123"         # Salt Lake City, America/Denver
LOUISIANA = "+15045550123"    # New Orleans, America/Chicago
ALABAMA = "+12055550123"      # Birmingham, America/Chicago
TORONTO = "+14165550123"      # Canada, America/Toronto
INDIA = "+919812345678"       # Asia/Kolkata
NEW_YORK = "+12125550123"
TOLL_FREE = "+18005550123"    # a US number tied to no state


@pytest.mark.parametrize("phone,send_at,rule", [
    (WASHINGTON, "2027-03-23T20:30:00-07:00", "us-wa-commercial-solicitation"),  # Tue 20:30
    (UTAH, "2027-03-21T10:00:00-06:00", "us-ut-solicitation"),            # a Sunday
    (UTAH, "2027-07-24T10:00:00-06:00", "us-ut-solicitation"),            # Pioneer Day (Sat)
    (UTAH, "2027-03-23T07:59:00-06:00", "us-ut-solicitation"),
    (LOUISIANA, "2027-03-23T20:01:00-05:00", "us-la-solicitation"),
    (LOUISIANA, "2027-03-21T10:00:00-05:00", "us-la-solicitation"),       # a Sunday
    (LOUISIANA, "2027-02-09T10:00:00-06:00", "us-la-solicitation"),       # Mardi Gras
    (ALABAMA, "2027-03-23T20:01:00-05:00", "us-al-solicitation"),
    (ALABAMA, "2027-03-21T10:00:00-05:00", "us-al-solicitation"),         # a Sunday
    (ALABAMA, "2027-04-26T10:00:00-05:00", "us-al-solicitation"),         # Confederate Memorial Day
    (TORONTO, "2027-03-23T21:31:00-04:00", "ca-crtc-telemarketing"),      # weekday 21:31
    (TORONTO, "2027-03-20T18:00:00-04:00", "ca-crtc-telemarketing"),      # Saturday 18:00
    (TORONTO, "2027-03-21T09:59:00-04:00", "ca-crtc-telemarketing"),      # Sunday 09:59
    (INDIA, "2027-03-23T21:00:00+05:30", "in-trai-promotional"),
    (INDIA, "2027-03-23T08:59:00+05:30", "in-trai-promotional"),
])
def test_just_outside_each_new_window_validate_refuses_naming_the_rule(tmp_path, phone,
                                                                       send_at, rule):
    [msg] = errors(sms_workspace(tmp_path, [phone], send_at))
    assert f"rule {rule} closed for 1 recipient" in msg
    assert load_pack().rule(rule).source.split(":")[0] in msg  # its source


@pytest.mark.parametrize("phone,send_at", [
    (WASHINGTON, "2027-03-23T19:59:00-07:00"),
    (UTAH, "2027-03-20T20:59:00-06:00"),      # Saturday, an hour later than WA's end
    (UTAH, "2027-07-26T08:00:00-06:00"),      # the Monday after Pioneer Day
    (LOUISIANA, "2027-03-20T19:59:00-05:00"),  # Saturday
    (ALABAMA, "2027-03-22T08:00:00-05:00"),
    (TORONTO, "2027-03-23T21:29:00-04:00"),
    (TORONTO, "2027-03-21T10:00:00-04:00"),   # Sunday 10:00
    (INDIA, "2027-03-21T20:59:00+05:30"),     # India's window holds on Sundays
])
def test_just_inside_each_new_window_validates(tmp_path, phone, send_at):
    assert errors(sms_workspace(tmp_path, [phone], send_at)) == []


# --- plan refuses, apply sends: the vendor sees only what is inside -------------------

@pytest.fixture
def vendor(monkeypatch):
    bodies = []

    def handle(request):
        body = json.loads(request.content)
        bodies.append(body)
        return httpx.Response(200, json={"data": [
            {"id": f"i{k}", "client": e["client"], "status": "accepted"}
            for k, e in enumerate(body)]})
    transport = httpx.MockTransport(handle)
    monkeypatch.setattr(base, "resolve", lambda url, *_: (url, transport))
    return bodies


def whatsapp_now(root, phones, config=""):
    contacts = ", ".join(f"{{phone: '{p}'}}" for p in phones)
    write_workspace(root, {
        "campaignctl.yaml": """
            providers:
              wa: {type: connectly, base_url: "https://connectly.invalid", business_id: "${TEST_BUSINESS}",
                   api_key: "${TEST_KEY}"}
            """ + config,
        "wa.yaml": f"""
            kind: Sender
            name: num
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: people
            provider: wa
            spec: {{contacts: [{contacts}]}}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: num
              contact_groups: [people]
              send_at: now
              connectly: {{campaign_version: "1"}}
            """,
    })
    return root


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


def refusals(plan):
    return [a.reason for a in plan.actions if a.op == "refuse"]


def sent_to(bodies):
    return sorted(e["client"] for b in bodies for e in b)


@pytest.mark.parametrize("phone,outside,inside,rule", [
    (WASHINGTON, "2027-03-23T20:30:00-07:00", "2027-03-23T19:30:00-07:00",
     "us-wa-commercial-solicitation"),
    (UTAH, "2027-03-21T12:00:00-06:00", "2027-03-22T12:00:00-06:00", "us-ut-solicitation"),
    (LOUISIANA, "2027-03-21T12:00:00-05:00", "2027-03-20T12:00:00-05:00",
     "us-la-solicitation"),
    (ALABAMA, "2027-04-26T12:00:00-05:00", "2027-04-27T12:00:00-05:00",
     "us-al-solicitation"),
])
def test_sending_now_is_refused_outside_and_sent_inside(tmp_path, vendor, phone, outside,
                                                        inside, rule, monkeypatch):
    monkeypatch.setenv("TEST_BUSINESS", "b1")
    monkeypatch.setenv("TEST_KEY", "k1")
    ws = whatsapp_now(tmp_path, [phone])
    [reason] = refusals(api.plan(ws, now=at(outside)).plan)
    assert f"rule {rule} closed for 1 recipient" in reason
    api.apply(ws, now=at(outside), clock=lambda: at(outside))
    assert vendor == []
    when = at(inside)
    outcome = api.apply(ws, now=when, clock=lambda: when)
    assert outcome.result.ok, outcome.result.failed
    assert sent_to(vendor) == [phone]


LA_EMERGENCY = """
            policy:
              emergencies:
                - jurisdiction: US-LA
                  from: 2027-03-22
                  to: 2027-03-25
                  source: "Governor's proclamation (test)"
            """


def test_a_declared_louisiana_emergency_closes_every_marketing_window_there(
        tmp_path, tmp_path_factory, vendor, monkeypatch):
    monkeypatch.setenv("TEST_BUSINESS", "b1")
    monkeypatch.setenv("TEST_KEY", "k1")
    ws = whatsapp_now(tmp_path, [LOUISIANA, NEW_YORK], config=LA_EMERGENCY)
    noon = at("2027-03-23T12:00:00-05:00")  # a Tuesday, inside the usual window
    plan = api.plan(ws, now=noon).plan
    [reason] = refusals(plan)
    assert "rule emergency-us-la-2027-03-22 closed for 1 recipient in America/Chicago" in reason
    assert "closed 2027-03-22 to 2027-03-25: declared state of emergency" in reason
    assert "Governor's proclamation (test)" in reason
    # reopens after its last day, but 26 March 2027 is Good Friday, a Louisiana holiday
    assert "first allowed time 2027-03-27T08:00:00-05:00" in reason
    assert plan.policy["emergencies"] == [{"jurisdiction": "US-LA", "from": "2027-03-22",
                                           "to": "2027-03-25",
                                           "source": "Governor's proclamation (test)"}]
    api.apply(ws, now=noon, clock=lambda: noon)
    assert vendor == []
    # validate holds a fixed time inside the emergency too
    sms = sms_workspace(tmp_path_factory.mktemp("sms"), [LOUISIANA], "2027-03-24T10:00:00-05:00",
                        config=LA_EMERGENCY)
    [msg] = errors(sms)
    assert "rule emergency-us-la-2027-03-22 closed" in msg
    after = at("2027-03-29T12:00:00-05:00")
    outcome = api.apply(ws, now=after, clock=lambda: after)
    assert outcome.result.ok, outcome.result.failed
    assert sent_to(vendor) == sorted([LOUISIANA, NEW_YORK])


@pytest.mark.parametrize("entry,expected", [
    ("{jurisdiction: US-LA, from: 2027-03-22, to: 2027-03-01, source: x}", "is before"),
    ("{jurisdiction: '*', from: 2027-03-22, source: x}", "an emergency is declared for"),
    ("{jurisdiction: US-LA, from: 2027-03-22}", "source"),
])
def test_a_malformed_emergency_is_refused_with_its_line(tmp_path, entry, expected):
    config = f"""
            policy:
              emergencies:
                - {entry}
            """
    [msg] = errors(sms_workspace(tmp_path, [LOUISIANA], "2027-03-23T10:00:00-05:00",
                                 config=config))
    assert "campaignctl.yaml:" in msg and expected in msg


def test_area_code_and_timezone_disagree_the_strictest_rule_wins_and_the_plan_says_so(
        tmp_path, vendor, monkeypatch):
    # A Louisiana number whose contact says America/New_York: 12:00 on a Sunday in New
    # York is open under the TCPA, but the person may be in Louisiana (closed on Sundays).
    monkeypatch.setenv("TEST_BUSINESS", "b1")
    monkeypatch.setenv("TEST_KEY", "k1")
    write_workspace(tmp_path, {"people.csv": f"phone,timezone\n{LOUISIANA},America/New_York\n"
                                             f"{NEW_YORK},America/New_York\n"})
    ws = sms_workspace(tmp_path, [], "2027-03-21T12:00:00-04:00")
    [msg] = errors(ws)
    assert "rule us-la-solicitation closed for 1 recipient (1 of them in an uncertain place" in msg
    assert "America/Chicago + America/New_York" in msg
    # a Washington number said to be in New York: Washington's rule in both zones, and
    # every eastern state's (Rhode Island's 09:00-18:00 too)
    (ws / "people.csv").write_text(f"phone,timezone\n{WASHINGTON},America/New_York\n")
    sms_workspace(tmp_path, [], "2027-03-23T12:00:00-04:00")  # 09:00 in Seattle
    assert errors(ws) == []
    plan = api.plan(ws, now=at("2027-03-01T00:00:00+00:00")).plan
    [send] = [a for a in plan.actions if a.op == "send"]
    assert send.data["policy"]["uncertain_place"] == 1
    assert "us-wa-commercial-solicitation" in send.data["policy"]["rules"]
    from reconciler.render.text import render_text
    assert "place uncertain for 1 recipient" in render_text(plan)
    sms_workspace(tmp_path, [], "2027-03-23T20:30:00-04:00")  # 17:30 in Seattle: open,
    [msg] = errors(ws)                                       # but 20:30 in New York
    assert "rule us-wa-commercial-solicitation closed for 1 recipient (1 of them" in msg
    assert "rule us-ri-solicitation closed" in msg


def test_a_us_number_tied_to_no_state_takes_every_states_rules(tmp_path):
    # A toll-free number said to be in Denver may be in Utah: no Sunday sends.
    write_workspace(tmp_path, {"people.csv": f"phone,timezone\n{TOLL_FREE},America/Denver\n"})
    ws = sms_workspace(tmp_path, [], "2027-03-21T12:00:00-06:00")
    [msg] = errors(ws)
    assert "rule us-ut-solicitation closed for 1 recipient (1 of them in an uncertain place" in msg


def test_the_contacts_zone_agreeing_with_the_area_code_is_certain(tmp_path):
    # Florida's panhandle is on Central time: a Miami number said to be in Chicago's zone
    # is still only in Florida.
    from reconciler.policy.where import place_of
    place = place_of("+13055550123", "America/Chicago", None)
    assert place.zones == ("America/Chicago",) and place.doubt is None
    assert place_of(INDIA, "Asia/Kolkata", None).doubt is None  # Asia/Calcutta's new name


def test_every_washington_area_code_is_washington():
    from reconciler.policy.where import phone_place
    for code in ("206", "253", "360", "425", "509", "564"):
        assert phone_place(f"+1{code}5550123").subdivision == "WA", code


def test_the_pack_is_dated_and_every_rule_is_sourced_and_in_the_readme():
    from pathlib import Path
    pack = load_pack()
    assert pack.version == "2026.12.07" and str(pack.checked) == "2026-12-07"
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for rule in [pack.default, *pack.rules]:
        assert rule.source and rule.checked, rule.name
        assert f"`{rule.name}`" in readme, rule.name
    assert f"version {pack.version}" in readme


def test_a_plan_saved_before_a_halt_is_refused_at_apply_and_nothing_is_sent(
        tmp_path, vendor, monkeypatch):
    monkeypatch.setenv("TEST_BUSINESS", "b1")
    monkeypatch.setenv("TEST_KEY", "k1")
    ws = whatsapp_now(tmp_path, [NEW_YORK])
    noon = at("2027-03-23T12:00:00-04:00")
    saved = tmp_path / "reviewed.plan"
    api.plan(ws, out=saved, now=noon)
    api.halt(ws, reason="wrong audience", by="ops-lead")
    # The plan made under the apply's lock refuses the send: the saved one no longer holds.
    with pytest.raises(StalePlan, match="nothing was changed"):
        api.apply(saved, now=noon, clock=lambda: noon)
    assert vendor == []  # nothing left for the vendor
    fresh = api.plan(ws, now=noon).plan
    [reason] = refusals(fresh)
    assert "send refused: sends are halted: by ops-lead" in reason
    assert "reason: wrong audience" in reason
    api.resume(ws)
    outcome = api.apply(ws, now=noon, clock=lambda: noon)
    assert outcome.result.ok and sent_to(vendor) == [NEW_YORK]
