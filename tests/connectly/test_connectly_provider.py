"""Connectly provider: delta sends, no 429 storm at the rate limit, clear rejections with a
correct ledger."""

import json

import httpx
import pytest
from conftest import run_cli, sandbox_accounts, write_workspace

import reconciler.providers.base as base
from reconciler import api
from reconciler.state.ledger import SendLedger
from reconciler.state.store import SqliteStore

SEND = "/v1/businesses/acme/send/campaigns"


def phones(n):
    return [f"+336{10000000 + i:08d}" for i in range(n)]


def workspace(root, url, n, batch_size=50, version="1", extra=""):
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              wa:
                type: connectly
                base_url: {url}
                business_id: ${{TEST_BUSINESS}}
                api_key: ${{TEST_KEY}}
            """,
        "wa.yaml": f"""
            kind: Sender
            name: num
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: all
            provider: wa
            spec: {{file: all.csv}}
            ---
            kind: OptOutList
            name: stop
            provider: wa
            spec: {{entries: ["{phones(n)[0]}"]}}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: num
              contact_groups: [all]
              opt_out_lists: [stop]
              send_at: now
              purpose: transactional  # any hour: these tests are not about send windows
              variables: {{promo: SPRING}}
              connectly: {{campaign_version: "{version}", batch_size: {batch_size}}}
            {extra}
            """,
    })
    (root / "all.csv").write_text("phone,first_name\n" + "".join(
        f"{p},N{i}\n" for i, p in enumerate(phones(n))))
    return sandbox_accounts(root)


def test_5000_recipients_over_http_without_a_single_429(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url, 5_001, batch_size=50)
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    journal = sandbox_server.get(f"/_sandbox/requests?path_prefix={SEND}").json()
    assert len(journal) == 100  # 5,000 after the one opt-out, 50 per request
    assert [e for e in journal if e["status"] == 429] == []
    delivered = sandbox_server.get("/_sandbox/connectly/deliveries").json()
    assert delivered["total"] == delivered["distinct_recipients"] == 5_000
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout


class Vendor:
    """A scripted Connectly: answers each request with the next status."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.bodies = []

    def transport(self):
        def handle(request):
            status = self.statuses.pop(0) if self.statuses else 200
            if status != 200:
                return httpx.Response(status, json={"code": 16 if status == 401 else 3,
                                                    "message": f"scripted {status}"})
            body = json.loads(request.content)
            self.bodies.append(body)
            return httpx.Response(200, json={"data": [
                {"id": f"i{k}", "client": e["client"], "status": "accepted"}
                for k, e in enumerate(body)]})
        return httpx.MockTransport(handle)


@pytest.fixture
def vendor(monkeypatch):
    def install(statuses):
        v = Vendor(statuses)
        t = v.transport()
        monkeypatch.setattr(base, "resolve", lambda url, *_: (url, t))
        return v
    return install


def ledger(ws):
    store = SqliteStore(ws / ".campaignctl" / "state.db")
    return SendLedger(store)


def test_entries_personalised_and_delta_send(tmp_path, vendor):
    v = vendor([])
    ws = workspace(tmp_path / "ws", "https://connectly.invalid", 11, batch_size=4)
    outcome = api.apply(ws)
    assert outcome.result.ok
    entries = [e for b in v.bodies for e in b]
    assert len(entries) == 10 and len(v.bodies) == 3
    assert entries[0]["variables"] == {"promo": "SPRING", "first_name": "N1"}
    assert entries[0]["campaignName"] == "launch" and entries[0]["campaignVersion"] == "1"
    assert "scheduledAt" not in entries[0]  # send_at: now
    (ws / "all.csv").write_text("phone\n" + "".join(f"{p}\n" for p in phones(13)))
    plan = api.plan(ws).plan
    send = [a for a in plan.actions if a.op == "send"][0]
    assert send.send.recipients == 2 and send.send.already_sent == 10


@pytest.mark.parametrize("status,words", [(401, "HTTP 401"), (400, "HTTP 400")])
def test_rejection_is_clear_and_leaves_the_ledger_correct(tmp_path, vendor, status, words):
    vendor([200, status])
    ws = workspace(tmp_path / "ws", "https://connectly.invalid", 11, batch_size=4)
    outcome = api.apply(ws)
    assert not outcome.result.ok
    (_, error), = outcome.result.failed
    assert words in error and "rejected by the vendor" in error and "nothing was sent" in error
    view = ledger(ws).campaign("wa", "launch")
    statuses = [b.status for b in view.batches]
    assert "rejected" in statuses and "unknown" not in statuses
    assert len(view.unknown) == 0 and len(view.sent) == sum(
        b.recipients for b in view.batches if b.status == "sent")
    # The rejected recipients are free: the next plan sends exactly the rest.
    vendor([])
    plan = api.plan(ws).plan
    send = [a for a in plan.actions if a.op == "send"][0]
    assert send.send.recipients == 10 - len(view.sent)


def test_new_version_after_send_is_refused(tmp_path, vendor):
    vendor([])
    ws = workspace(tmp_path / "ws", "https://connectly.invalid", 5)
    assert api.apply(ws).result.ok
    workspace(tmp_path / "ws", "https://connectly.invalid", 5, version="2")
    plan = api.plan(ws).plan
    (refuse,) = [a for a in plan.actions if a.address == "Campaign/launch"]
    assert refuse.op == "refuse" and "new Campaign" in refuse.reason
    assert any(c.field == "connectly.campaign_version" and c.before == "1"
               and c.vendor["field"] == "campaignVersion" for c in refuse.changes)


def test_rules(tmp_path):
    from reconciler.validate import errors_of, validate_directory
    ws = workspace(tmp_path / "ws", "sandbox", 3)
    text = (ws / "wa.yaml").read_text().replace('connectly: {campaign_version: "1", '
                                                 'batch_size: 50}', "")
    (ws / "wa.yaml").write_text(text.replace('spec: {phone: "+14155550100"}',
                                             "spec: {email: a@b.example}"))
    _, diags = validate_directory(ws)
    messages = " | ".join(d.message for d in errors_of(diags))
    assert "campaign_version" in messages and "has no `phone`" in messages
