"""Octopush provider: audience, plan summary, compliance rules, vendor rejections (ledger
stays correct), unknown outcomes (never resent without --resend-unknown), immutability."""

import json
from datetime import UTC, datetime

import httpx
import pytest
from conftest import run_cli, write_workspace

import reconciler.providers.base as base
from reconciler import api
from reconciler.errors import CampaignctlError
from reconciler.state.ledger import SendLedger
from reconciler.state.store import SqliteStore
from reconciler.validate import errors_of, validate_directory

TEXT = "Promo -20% ce week-end. STOP au 36111"


def workspace(root, url="sandbox", text=TEXT, purpose="wholesale", send_at="2031-01-07T09:00:00+01:00",
              contacts=None, optouts=("+33610000002",), sender="spec: {sms_id: ACME}",
              settings=""):
    contacts = contacts if contacts is not None else [
        "{phone: '+33610000001', first_name: Ada, param1: gold}",
        "{phone: '+33610000002'}",                      # opted out
        "{phone: '+33610000003'}",
        "{email: only@mail.example}",                   # no phone: skipped
    ]
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              sms:
                type: octopush
                base_url: {url}
                api_login: ${{TEST_LOGIN}}
                api_key: ${{TEST_KEY}}
                {settings}
            """,
        "m.yaml": f"""
            kind: Sender
            name: acme
            provider: sms
            {sender}
            ---
            kind: Message
            name: promo
            provider: sms
            spec: {{channel: sms, text: "{text}"}}
            ---
            kind: ContactGroup
            name: a
            provider: sms
            spec:
              contacts: [{", ".join(contacts)}]
            ---
            kind: ContactGroup
            name: b
            provider: sms
            spec:
              contacts: [{{phone: '+33610000001', first_name: Dup}}]
            ---
            kind: OptOutList
            name: stop
            provider: sms
            spec: {{entries: [{", ".join(repr(o) for o in optouts)}]}}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [a, b]
              opt_out_lists: [stop]
              send_at: "{send_at}"
              timezone: Europe/Paris
              octopush: {{purpose: {purpose}, batch_size: 200}}
            """,
    })
    return root


def sends(plan):
    return [a for a in plan.actions if a.op == "send"]


def campaign_actions(plan):
    """The Campaign's actions (an OptOutList's new opt-outs are recorded beside them)."""
    return [a for a in plan.actions if a.kind == "Campaign"]


def ledger_view(ws):
    return SendLedger(SqliteStore(ws / ".campaignctl" / "state.db")).campaign("sms", "promo")


def test_plan_summary_audience_and_local_estimate(tmp_path):
    ws = workspace(tmp_path / "ws", settings="sms_prices: {FR: 0.045, default: 0.1}")
    plan = api.plan(ws).plan
    (send,) = sends(plan)
    s = send.send
    assert (s.recipients, s.batches, s.suppressed) == (2, 1, 1)
    assert s.send_at == "2031-01-07T09:00:00+01:00" and s.timezone == "Europe/Paris"
    assert (s.estimated_messages, s.estimated_cost, s.currency) == (2, 0.09, "EUR")
    assert s.estimate_basis == ("local estimate: 1 segment x 2 recipients x price per "
                                "sms_premium segment (FR 0.045 x 2 EUR)")
    journal = ws / ".campaignctl" / "sandbox" / "requests.jsonl"
    assert not journal.exists() or "sms-campaign" not in journal.read_text()  # no request
    assert send.irreversible and "1 contact without a phone skipped" in send.reason
    # Sender, Message and ContactGroup are local; the opt-outs are remembered in the state.
    assert [a.address for a in plan.actions] == ["OptOutList/stop", "Campaign/promo"]
    assert plan.actions[0].op == "update" and plan.actions[0].sets[0].add == 1
    assert api.apply(ws).result.ok
    assert not api.plan(ws).plan.has_changes


def test_payload_personalisation_and_iso_send_at(tmp_path, monkeypatch):
    bodies = []

    def handle(request):
        body = json.loads(request.content)
        bodies.append(body)
        n = len(body["recipients"])
        return httpx.Response(200, json={"sms_ticket": "sms_x", "number_of_contacts": n,
                                         "total_cost": 0.05 * n, "number_of_sms_needed": n})
    t = httpx.MockTransport(handle)
    monkeypatch.setattr(base, "resolve", lambda url, *_: (url, t))
    ws = workspace(tmp_path / "ws", url="https://octopush.invalid")
    assert api.plan(ws).plan.has_changes and bodies == []  # plan sends no contact
    assert api.apply(ws).result.ok
    [real] = bodies
    assert "simulation_mode" not in real
    assert real["send_at"] == "2031-01-07T09:00:00+01:00" and real["sender"] == "ACME"
    assert real["purpose"] == "wholesale" and real["text"] == TEXT
    assert real["recipients"][0] == {"phone_number": "+33610000001", "first_name": "Ada",
                                     "param1": "gold"}


def rejecting(monkeypatch, status, body, simulate_ok=True):
    calls = []

    def handle(request):
        payload = json.loads(request.content)
        calls.append(payload)
        if payload.get("simulation_mode") and simulate_ok:
            return httpx.Response(200, json={"sms_ticket": "s", "number_of_contacts": 2,
                                             "total_cost": 0.1, "number_of_sms_needed": 2})
        return httpx.Response(status, json=body)
    t = httpx.MockTransport(handle)
    monkeypatch.setattr(base, "resolve", lambda url, *_: (url, t))
    return calls


@pytest.mark.parametrize("status,body,words", [
    (400, {"code": 121, "message": "Mention STOP is missing."}, "Mention STOP is missing. (code 121)"),
    (400, {"code": 106, "message": "sender must be 3 to 11 characters"}, "code 106"),
    (401, {"code": 101, "message": "Missing api-login or api-key header."}, "HTTP 401"),
])
def test_vendor_rejection_fails_apply_clearly_and_ledger_says_rejected(
        tmp_path, monkeypatch, status, body, words):
    rejecting(monkeypatch, status, body)
    ws = workspace(tmp_path / "ws", url="https://octopush.invalid")
    outcome = api.apply(ws)
    (_, error), = outcome.result.failed
    assert words in error and "nothing was sent" in error
    view = ledger_view(ws)
    assert [b.status for b in view.batches] == ["rejected"] and words in view.batches[0].error
    assert not view.holding  # rejected recipients are free for a fixed manifest
    rejecting(monkeypatch, 200, {"sms_ticket": "ok", "number_of_contacts": 2})
    (send,) = sends(api.plan(ws).plan)
    assert send.send.recipients == 2 and "rejected" in send.reason


def test_simulation_rejection_is_refused_at_plan_time(tmp_path, monkeypatch):
    calls = rejecting(monkeypatch, 400, {"code": 121, "message": "Mention STOP is missing."},
                      simulate_ok=False)
    ws = workspace(tmp_path / "ws", url="https://octopush.invalid")
    plan = api.plan(ws, vendor_estimate=True).plan
    (refuse,) = campaign_actions(plan)
    assert refuse.op == "refuse" and "Mention STOP is missing" in refuse.reason
    assert len(calls) == 1 and calls[0]["simulation_mode"] is True


def test_vendor_estimate_is_opt_in_and_says_what_it_is(tmp_path, monkeypatch):
    calls = rejecting(monkeypatch, 200, {"sms_ticket": "ok"})
    ws = workspace(tmp_path / "ws", url="https://octopush.invalid",
                   settings="vendor_estimate: true")
    (send,) = sends(api.plan(ws).plan)
    assert [c.get("simulation_mode") for c in calls] == [True]
    assert (send.send.estimated_messages, send.send.estimated_cost) == (2, 0.1)
    assert "simulation_mode" in send.send.estimate_basis


def test_prices_per_sms_type_price_the_campaigns_type(tmp_path):
    # Octopush bills premium and low-cost SMS differently: the estimate takes the
    # campaign's own type's table, as the vendor (and the sandbox) bill it.
    prices = "sms_prices: {sms_premium: {FR: 0.055}, sms_low_cost: {FR: 0.035}}"
    ws = workspace(tmp_path / "ws", settings=prices)
    (send,) = sends(api.plan(ws).plan)
    assert send.send.estimated_cost == 0.11  # 2 premium SMS
    assert "sms_premium segment (FR 0.055 x 2 EUR)" in send.send.estimate_basis
    text = (ws / "m.yaml").read_text()
    text = text.replace("purpose: wholesale", "purpose: wholesale, type: sms_low_cost")
    (ws / "m.yaml").write_text(text.replace("  sender: acme\n", ""))  # low cost: no sender
    (send,) = sends(api.plan(ws).plan)
    assert send.send.estimated_cost == 0.07
    assert api.apply(ws).result.ok
    billed = ledger_view(ws)
    assert billed.sent and api.status(ws)[0].cost == 0.07  # what the vendor billed


def test_no_price_for_the_campaigns_type_says_which_table_is_missing(tmp_path):
    ws = workspace(tmp_path / "ws", settings="sms_prices: {sms_low_cost: {default: 0.03}}")
    (send,) = sends(api.plan(ws).plan)
    assert send.send.estimated_cost is None and send.send.estimated_messages == 2
    assert "no cost: set sms_prices.sms_premium" in send.send.estimate_basis


def test_bad_price_settings_point_at_the_config(tmp_path):
    from reconciler.config import load_config
    ws = workspace(tmp_path / "ws", settings="sms_prices: {France: 0.04, US: cheap}")
    _, errors = load_config(ws)
    assert [(e.location.line, e.message) for e in errors] == [
        (7, "provider sms: sms_prices: 'France' is not an ISO country code (e.g. FR) or "
            "`default`"),
        (7, "provider sms: sms_prices.US: expected a price (a number >= 0)")]
    ws = workspace(tmp_path / "ws2", settings="sms_prices: {sms_premium: {FR: -1}, "
                                               "premium: {}}")
    _, errors = load_config(ws)
    assert [e.message for e in errors] == [
        "provider sms: sms_prices.sms_premium.FR: expected a price (a number >= 0)",
        "provider sms: sms_prices: 'premium' is not an SMS type (sms_premium, "
        "sms_low_cost); give one table per type, or one table of countries for all"]
    _, errors = load_config(workspace(tmp_path / "ws3", settings="email_price: free"))
    assert [e.message for e in errors] == [
        "provider sms: email_price: expected a price (a number >= 0)"]


def test_lost_response_is_unknown_never_resent_unless_asked(tmp_path):
    ws = workspace(tmp_path / "ws")
    api.plan(ws)  # simulation cached
    data = ws / ".campaignctl" / "sandbox"
    (data / "faults.json").write_text(json.dumps({
        "seed": 1, "draws": 0, "fired": {k: 0 for k in ("latency", "error_500", "rate_limit_429",
                                                      "drop_before", "lose_response")},
        "rules": [{"path_prefix": "/v1/public/sms-campaign/send", "method": None,
                   "kind": "lose_response", "probability": 1.0, "times": 1, "seconds": 0,
                   "fired": 0}]}))
    outcome = api.apply(ws)
    (_, error), = outcome.result.failed
    assert "UNKNOWN" in error
    plan = api.plan(ws).plan
    assert not plan.has_changes
    (warn,) = plan.actions
    assert warn.op == "warn" and "outcome unknown for 2 recipients" in warn.reason
    assert "--resend-unknown=COUNT" in warn.reason and warn.data["resend_recipients"] == 2
    again = api.apply(ws)
    assert again.result is None  # nothing to do: unknown is not resent
    opts = dict(resend_unknown=True)
    (send,) = sends(api.plan(ws, **opts).plan)
    assert send.send.recipients == 2 and "sent AGAIN" in send.reason
    # The library, like the CLI, resends only the count the caller decided on.
    for expected in (api.UNCOUNTED, 1, 3):  # no count, or another count
        with pytest.raises(CampaignctlError, match="(?i)nothing was sent"):
            api.apply(ws, resend_unknown=expected)
        assert [b.status for b in ledger_view(ws).batches] == ["unknown"]
    opts = dict(resend_unknown=2)
    assert api.apply(ws, **opts).result.ok
    assert [b.status for b in ledger_view(ws).batches] == ["resent", "sent"]
    assert not api.plan(ws).plan.actions


def test_content_change_after_send_refused_and_removed_recipients_reported(tmp_path):
    ws = workspace(tmp_path / "ws")
    assert api.apply(ws).result.ok
    workspace(tmp_path / "ws", text="Nouveau texte. STOP au 36111")
    (refuse,) = api.plan(ws).plan.actions
    assert refuse.op == "refuse" and "new Campaign" in refuse.reason
    assert refuse.changes[0].field == "Message/promo.text"  # where the manifests write it
    assert refuse.changes[0].vendor["field"] == "text"
    workspace(tmp_path / "ws", optouts=("+33610000002", "+33610000001"))
    (warn,) = campaign_actions(api.plan(ws).plan)
    assert warn.op == "warn" and "1 recipient no longer in the audience was already sent: "\
        "cannot be recalled" in warn.reason


def test_past_send_time_refused_unless_now(tmp_path):
    ws = workspace(tmp_path / "ws", send_at="2020-01-01T09:00:00+01:00")
    (refuse,) = campaign_actions(api.plan(ws).plan)
    assert refuse.op == "refuse" and "already passed" in refuse.reason
    workspace(tmp_path / "ws", send_at="now")
    # `now` is held to the French SMS hours: the clock is pinned inside them.
    tuesday = datetime(2030, 1, 8, 9, 0, tzinfo=UTC)
    options = dict(now=tuesday, clock=lambda: tuesday)
    (send,) = sends(api.plan(ws, **options).plan)
    assert send.send.send_at is None
    assert api.apply(ws, **options).result.ok
    assert datetime.now(UTC).year >= 2026


def test_rules_before_any_call(tmp_path):
    ws = workspace(tmp_path / "ws", text="Promo sans mention")
    text = (ws / "m.yaml").read_text().replace(", batch_size: 200", "")
    _, diags = validate_directory(ws)
    assert any("must mention STOP" in d.message for d in errors_of(diags))
    (ws / "m.yaml").write_text(text.replace("octopush: {purpose: wholesale}", ""))
    _, diags = validate_directory(ws)
    msgs = " | ".join(d.message for d in errors_of(diags))
    assert "`octopush:` block with `purpose" in msgs and "defaults to marketing" in msgs
    workspace(tmp_path / "ws2", sender="spec: {email: a@b.example}")
    _, diags = validate_directory(tmp_path / "ws2")
    assert any("no `sms_id`" in d.message for d in errors_of(diags))
    # Alerts need no STOP.
    workspace(tmp_path / "ws3", text="Votre code: 1234", purpose="alert")
    assert not errors_of(validate_directory(tmp_path / "ws3")[1])


@pytest.mark.parametrize("key,message", [
    (" ", "octopush needs `api_key`"),
    ("k\u00e9y-\nSecret9", "`api_key` holds a line break"),
])
def test_cli_bad_credential_is_a_clear_error(tmp_path, sandbox_server, key, message):
    # A key that cannot even be sent as a header (an env var with a newline in it...).
    ws = workspace(tmp_path / "ws", url=sandbox_server.url)
    done = run_cli("apply", str(ws), "--auto-approve", env={"TEST_KEY": key})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert message in done.stderr and "Secret9" not in done.stderr
    assert not (ws / ".campaignctl" / "state.db").exists()  # stopped before anything ran
