"""Unit tests at the documented request shapes: the email results read `status` makes
(respx), the callback receiver, and the sandbox's event_callback POSTs."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

import httpx
import respx
from conftest import write_workspace
from starlette.testclient import TestClient

from reconciler.callbacks import build_app as receiver_app
from reconciler.engine.contract import RunContext, RunOptions
from reconciler.providers.email_campaigns.provider import EmailCampaignsProvider
from reconciler.sandbox.app import build_app as sandbox_app
from reconciler.state.backend import open_store
from reconciler.state.events import CallbackEvents
from reconciler.state.store import Binding
from reconciler.workspace import load_workspace

API = "https://api.test"
CID = "5f0000000000000000000001"
MANIFESTS = """
kind: Sender
name: news
provider: mail
spec: {email: news@acme.example}
---
kind: ContactGroup
name: vip
provider: mail
spec: {contacts: [{email: a@example.com}, {email: b@example.com}, {email: c@example.com}]}
---
kind: Message
name: hello
provider: mail
spec: {channel: email, subject: Hi, body: BODY}
---
kind: Campaign
name: launch
provider: mail
spec:
  message: hello
  sender: news
  contact_groups: [vip]
  send_at: 2027-03-20T09:00:00-04:00
  timezone: America/New_York
"""


def test_email_status_reads_the_results_of_the_campaign_window(tmp_path):
    ws_dir = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": f"providers:\n  mail: {{type: email-campaigns, base_url: {API}, "
                            "token: '${TEST_STATUS_TOKEN}'}\n", "m.yaml": MANIFESTS})
    ws, _ = load_workspace(ws_dir)
    store = open_store(ws.config)
    store.put_binding(Binding("mail", "Campaign", "launch", CID))
    provider = EmailCampaignsProvider(ws.config.accounts["mail"],
                                      RunContext(ws, store, RunOptions()))
    results = [{"disposition": d, "email_to": f"{i}@example.com"}
               for i, d in enumerate(["delivered", "delivered", "opened", "opted_out"])]
    with respx.mock(base_url=API) as mock:
        mock.get("/email/campaign/").respond(json=[{
            "$_id": {"$oid": CID}, "name": "launch", "start_date": "2027-03-20T09:00:00",
            "timezone": "EST5EDT", "status": "completed",
            "modified_on": "2027-03-20T13:00:00.000000"}])
        mock.get("/email/optout/").respond(json=[{"$_id": {"$oid": "o1"},
                                                  "email": "c@example.com"}])
        route = mock.get("/email/result/filter/").respond(json=results)
        [st] = asyncio.run(provider.campaign_status([ws.get("Campaign", "launch")]))
        asyncio.run(provider.aclose())
    store.close()
    query = dict(route.calls[0].request.url.params)
    assert query["campaign_id"] == CID and query["start_date"] == "2027-03-19"
    assert query["end_date"] >= "2027-03-21"
    assert route.calls[0].request.headers["Authorization"] == "Token t0k"
    assert st.state == "completed" and st.planned == 2  # c@ is opted out
    assert st.results == {"delivered": 2, "opened": 1, "opted_out": 1}
    assert (st.sent, st.rejected, st.contacts) == (3, 0, None)


def test_the_receiver_stores_documented_callbacks_and_refuses_others(tmp_path):
    ws_dir = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  sched: {type: scheduled-campaigns, base_url: "
                            "sandbox}\n"})
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with TestClient(receiver_app(ws_dir)) as client:
        ok = client.post("/sched/news?team=crm", headers=form,
                         content="event=delivered&when=1700000000&email%5B0%5D=a%40x.org"
                                 "&email%5B1%5D=b%40x.org&telephone%5B0%5D=%2B33611111111")
        assert ok.status_code == 204
        assert client.post("/other/news", headers=form,
                           content="event=delivered&when=1").status_code == 404
        bad = client.post("/sched/news", headers=form, content="event=sent&when=1")
        assert bad.status_code == 400 and "event must be one of" in bad.json()["message"]
        assert client.post("/sched/news", json={"event": "opened"}).status_code == 400
    with open_store_for(ws_dir) as store:
        [event] = CallbackEvents(store).of("sched", "news")
    assert (event.event, event.at, event.emails, event.telephones) == (
        "delivered", 1700000000.0, ["a@x.org", "b@x.org"], ["+33611111111"])


class open_store_for:
    def __init__(self, directory):
        from reconciler.config import load_config

        self.store = open_store(load_config(directory)[0])

    def __enter__(self):
        return self.store

    def __exit__(self, *exc):
        self.store.close()


def test_the_sandbox_posts_events_as_the_doc_says_when_its_clock_moves(tmp_path):
    client = TestClient(sandbox_app(tmp_path / "sbx", [("scheduled-campaigns", {"api_key": "k"})]))
    client.post("/_sandbox/scheduled-campaigns/lists/12", json={
        "emails": ["a@x.org", "b@x.org"], "telephones": ["+33611111111"], "bounce": ["b@x.org"]})
    made = client.post("/campaign", headers={"Authorization": "Bearer k"}, data={
        "name": "n", "domain": "4", "list": "12", "when": "1900000000", "state": "READY",
        "event_callback": "https://hooks.test/cb?team=crm"})
    assert made.status_code == 200, made.text
    with respx.mock(assert_all_called=True) as mock:
        hook = mock.post("https://hooks.test/cb", params={"team": "crm"}).mock(
            side_effect=[httpx.Response(500), httpx.Response(204), httpx.Response(204),
                         httpx.Response(204)])
        now = client.get("/_sandbox/clock").json()["timestamp"]
        client.post("/_sandbox/clock", json={"advance_seconds": 1900000100 - now})
        assert hook.call_count == 3  # submitted (refused: 500), delivered, bounced
        client.post("/_sandbox/clock", json={"advance_seconds": 1})
        assert hook.call_count == 4  # the refused one is tried again
    bodies = [dict(parse_qsl(c.request.content.decode())) for c in hook.calls]
    assert all(c.request.headers["content-type"] == "application/x-www-form-urlencoded"
               for c in hook.calls)
    assert bodies[0] == {"event": "submitted", "when": "1900000000", "email[0]": "a@x.org",
                         "email[1]": "b@x.org"}
    assert bodies[1] == {"event": "delivered", "when": "1900000060", "email[0]": "a@x.org",
                         "telephone[0]": "+33611111111"}
    assert bodies[2] == {"event": "bounced", "when": "1900000060", "email[0]": "b@x.org"}
    assert bodies[3] == bodies[0]
    assert client.get("/campaign/1", headers={"Authorization": "Bearer k"}).json()["state"] \
        == "DONE"
