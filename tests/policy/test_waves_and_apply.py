"""Local-time waves at plan and apply (late waves, the window re-checked at apply) and the
one-zone accounts' warning, with the clock pinned and the vendor APIs scripted."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from conftest import EMAIL_POLICY, write_workspace

import reconciler.providers.base as base
from reconciler import api
from reconciler.engine.actions import Action
from reconciler.policy.enforce import enforce_windows
from reconciler.validate import errors_of, validate_directory

PARIS, NEW_YORK = "+33612345678", "+12125550123"
EMAIL_ADDRESS = '  email: {postal_address: "Acme Inc., 1 Main St, Springfield"}\n'


def whatsapp(root, send_at, phones=(PARIS, NEW_YORK)):
    write_workspace(root, {
        "campaignctl.yaml": """
            providers:
              wa: {type: connectly, base_url: "https://connectly.invalid", business_id: "${TEST_BUSINESS}",
                   api_key: "${TEST_KEY}"}
            """,
        "wa.yaml": f"""
            kind: Sender
            name: num
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: people
            provider: wa
            spec: {{contacts: [{", ".join(f"{{phone: '{p}'}}" for p in phones)}]}}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: num
              contact_groups: [people]
              send_at: {send_at}
              connectly: {{campaign_version: "1"}}
            """,
    })
    return root


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


def at(text):
    return datetime.fromisoformat(text).astimezone(UTC)


def sends(plan):
    return [a for a in plan.actions if a.op == "send"]


def test_a_passed_wave_is_refused_never_sent_late(tmp_path, vendor):
    ws = whatsapp(tmp_path, '{local: "10:30", date: 2027-03-23}')
    noon = dict(now=at("2027-03-23T12:00:00+00:00"))  # Paris 10:30 has passed
    [refused] = [a for a in api.plan(ws, **noon).plan.actions if a.op == "refuse"]
    assert "wave Europe/Paris: 2027-03-23T10:30:00+01:00 has already passed" in refused.reason
    assert "late: send-next-window" in refused.reason
    outcome = api.apply(ws, **noon)
    assert vendor == [] and not outcome.plan.has_changes


def test_late_send_next_window_goes_at_the_next_allowed_time_shown_in_the_plan(tmp_path,
                                                                               vendor):
    ws = whatsapp(tmp_path, '{local: "19:59", date: 2027-03-23, late: send-next-window}')
    # 21:30 in Paris: its wave has passed and the window is closed until 08:00; 16:30 in
    # New York, whose wave is still ahead.
    evening = at("2027-03-23T20:30:00+00:00")
    options = dict(now=evening, clock=lambda: evening)
    [send] = sends(api.plan(ws, **options).plan)
    waves = {w["zone"]: w for w in send.data["waves"]}
    assert waves["Europe/Paris"]["late"] is True
    assert waves["Europe/Paris"]["send_at"] == "2027-03-24T08:00:00+01:00"
    assert waves["America/New_York"] == {**waves["America/New_York"], "late": False,
                                         "send_at": "2027-03-23T19:59:00-04:00"}
    outcome = api.apply(ws, **options)
    assert outcome.result.ok, outcome.result.failed
    scheduled = {e["client"]: e["scheduledAt"] for b in vendor for e in b}
    assert scheduled == {PARIS: "2027-03-24T08:00:00+01:00",
                         NEW_YORK: "2027-03-23T19:59:00-04:00"}
    assert len(vendor) == 2  # one request per wave


def test_apply_refuses_a_send_whose_window_closed_since_the_plan(tmp_path, vendor):
    ws = whatsapp(tmp_path, "now", phones=(PARIS,))
    planned = at("2027-03-23T20:55:00+01:00")
    closed = at("2027-03-23T21:05:00+01:00")
    assert sends(api.plan(ws, now=planned).plan)
    outcome = api.apply(ws, now=planned, clock=lambda: closed)
    [(action, error)] = outcome.result.failed
    assert "send window, checked at apply" in error and "default-quiet-hours" in error
    assert "Nothing was sent" in error and vendor == []
    # the ledger holds nobody: the next plan (inside the window) sends them all
    morning = dict(now=at("2027-03-24T09:00:00+01:00"))
    [send] = sends(api.plan(ws, **morning).plan)
    assert send.send.recipients == 1


def email_workspace(root, csv, config=""):
    write_workspace(root, {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
                            + (config.replace("policy:\n", "policy:\n" + EMAIL_ADDRESS) if config
                               else EMAIL_POLICY),
        "m.yaml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, description: Acme}
            ---
            kind: Message
            name: hello
            provider: mail
            spec: {channel: email, subject: Hello, body: "Hi. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
            ---
            kind: ContactGroup
            name: readers
            provider: mail
            spec: {file: readers.csv}
            ---
            kind: Campaign
            name: hello
            provider: mail
            spec:
              message: hello
              sender: news
              contact_groups: [readers]
              send_at: 2027-03-23T09:00:00-04:00
              timezone: America/New_York
              state: active
            """,
        "readers.csv": csv,
    })
    return root


def test_email_campaign_whose_audience_spans_zones_is_warned(tmp_path):
    ws = email_workspace(tmp_path, "email,timezone\na@x.example,Europe/Paris\n"
                                   "b@x.example,\nc@x.example,\n")
    plan = api.plan(ws, now=at("2027-03-01T00:00:00+00:00")).plan
    [warn] = [a for a in plan.actions if a.op == "warn" and a.kind == "Campaign"]
    assert "spans 2 time zones (America/New_York: 2, Europe/Paris: 1)" in warn.reason
    assert "one time for the whole campaign" in warn.reason
    assert plan.has_changes  # a warning, not a refusal


def test_a_workspace_email_rule_holds_an_email_campaign(tmp_path):
    config = """
policy:
  rules:
    - name: acme-email-mornings
      jurisdiction: "*"
      channels: [email]
      window: {mon-fri: "10:00-12:00"}
"""
    ws = email_workspace(tmp_path, "email\na@x.example\n", config)
    workspace, diagnostics = validate_directory(ws)
    [msg] = [d.message for d in errors_of(diagnostics)]
    assert "rule acme-email-mornings closed for 1 recipient in America/New_York" in msg
    # the plan step holds it too (a saved plan, an audience changed since validate)
    create = Action("create", "Campaign", "hello", "mail", "not in the account yet")
    [refused] = enforce_windows([create], workspace, at("2027-03-01T00:00:00+00:00"))
    assert refused.op == "refuse" and "send window: send time" in refused.reason
