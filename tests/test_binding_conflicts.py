"""A binding is never overwritten silently: a create for a manifest that another run bound
(since this plan was made) to a live object is refused, naming that object, before any call;
and a create whose answer arrives after such a binding leaves the binding as it was."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import respx
from conftest import write_workspace

from reconciler.engine.executor import execute_plan
from reconciler.engine.planner import build_plan, open_session
from reconciler.providers.base import RunContext, RunOptions
from reconciler.run import load_valid
from reconciler.state.store import Binding, SqliteStore, open_store

NOW = datetime(2026, 6, 1, tzinfo=UTC)
MAIL = "https://mail.test"
SCHED = "https://sched.test"
CONFIG = f"""
providers:
  mail: {{type: email-campaigns, base_url: '{MAIL}', token: tok}}
  sched: {{type: scheduled-campaigns, base_url: '{SCHED}', api_key: key}}
"""
MANIFESTS = """
kind: Sender
name: news
provider: mail
spec: {email: news@acme.example, description: Acme}
---
kind: ContactGroup
name: vip
provider: mail
spec: {title: VIP, contacts: [{email: a@example.com, first_name: Ada}]}
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
---
kind: Campaign
name: promo
provider: sched
spec:
  title: Promo
  send_at: 2026-12-01T09:00:00+01:00
  state: draft
  scheduled-campaigns: {list: 12, segments: [3], domain: 4}
"""


def oid(i: str) -> dict:
    return {"$oid": i}


MAIL_LIVE = {
    "/email/senderid/": [{"$_id": oid("s1"), "email": "news@acme.example",
                          "description": "Acme"}],
    "/email/optout/": [],
    "/email/contact/": [{"$_id": oid("g1"), "tag": "VIP",
                         "contacts": [{"email": "a@example.com", "name": "Ada"}]}],
    "/email/message/": [{"$_id": oid("m1"), "description": "Hi", "email_message": "BODY"}],
    "/email/campaign/": [],
}


def test_a_create_for_a_manifest_bound_meanwhile_is_refused_and_names_the_live_object(
        tmp_path):
    ws = load_valid(write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG,
                                                      "m.yaml": MANIFESTS}))
    store = open_store(ws.config)
    for kind, name, rid in (("Sender", "news", "s1"), ("ContactGroup", "vip", "g1"),
                            ("Message", "hello", "m1")):
        store.put_binding(Binding("mail", kind, name, rid))
    with respx.mock(assert_all_called=False) as mock:
        for path, items in MAIL_LIVE.items():
            mock.get(MAIL + path).respond(200, json=items)
        posts = mock.post(url__regex=r".*").respond(201, json={"$_id": oid("c2"), "id": 8})

        async def go():
            session = open_session(RunContext(ws, store, RunOptions(now=NOW)))
            try:
                plan = await build_plan(session)
                assert sorted(a.address for a in plan.changes) == ["Campaign/launch",
                                                                    "Campaign/promo"]
                # Another run (e.g. one started after a lock was broken) binds both now.
                store.put_binding(Binding("mail", "Campaign", "launch", "c1"))
                store.put_binding(Binding("sched", "Campaign", "promo", "7"))
                return await execute_plan(session, plan)
            finally:
                await session.aclose()
        result = asyncio.run(go())
    errors = {a.address + "@" + a.account: e for a, e in result.failed}
    assert "already bound to live id c1" in errors["Campaign/launch@mail"]
    assert "would orphan c1" in errors["Campaign/launch@mail"]
    assert "already bound to live id 7" in errors["Campaign/promo@sched"]
    assert posts.call_count == 0  # refused before any create call
    assert store.get_binding("mail", "Campaign", "launch").remote_id == "c1"
    assert store.get_binding("sched", "Campaign", "promo").remote_id == "7"
    store.close()


def test_binding_what_a_create_made_never_overwrites_a_binding_written_meanwhile(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    try:
        new = Binding("mail", "Campaign", "launch", "c2")
        assert store.bind_created(new, expected=None) is None  # unbound: bound now
        found = store.bind_created(Binding("mail", "Campaign", "launch", "c3"), expected=None)
        assert found is not None and found.remote_id == "c2"
        assert store.get_binding("mail", "Campaign", "launch").remote_id == "c2"
        # The plan saw c2 gone (deleted at the vendor): recreating may rebind it.
        assert store.bind_created(Binding("mail", "Campaign", "launch", "c4"), "c2") is None
        assert store.get_binding("mail", "Campaign", "launch").remote_id == "c4"
    finally:
        store.close()


def test_a_scheduled_create_answered_after_another_binding_keeps_that_binding(tmp_path):
    ws = load_valid(write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG,
                                                      "m.yaml": MANIFESTS.split("---")[-1]}))
    store = open_store(ws.config)

    def answer(request):
        # The other run binds while our POST is in flight.
        store.put_binding(Binding("sched", "Campaign", "promo", "7"))
        return httpx.Response(200, json={"id": 8, "name": "Promo", "domain": 4, "list": 12,
                                         "segments": [3], "state": "DRAFT", "when": 1,
                                         "event_callback": None})
    with respx.mock(assert_all_called=False) as mock:
        mock.post(SCHED + "/campaign").mock(side_effect=answer)

        async def go():
            session = open_session(RunContext(ws, store, RunOptions(now=NOW)))
            try:
                return await execute_plan(session, await build_plan(session))
            finally:
                await session.aclose()
        result = asyncio.run(go())
    [(action, error)] = result.failed
    assert "created id 8" in error and "bound meanwhile to live id 7" in error
    assert store.get_binding("sched", "Campaign", "promo").remote_id == "7"
    store.close()
