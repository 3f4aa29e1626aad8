"""The email-campaigns provider's request sequence, checked with respx against the doc's
shapes: create, update, replace (cancel + create) and delete."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
import respx
from conftest import write_workspace

from reconciler.api.pipeline import run_context
from reconciler.engine.contract import RunOptions
from reconciler.engine.executor import execute_plan
from reconciler.engine.planner import build_plan, open_session
from reconciler.state.backend import open_store
from reconciler.state.store import Binding
from reconciler.workspace import load_workspace

API = "https://api.test"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
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
"""


def oid(i: str) -> dict:
    return {"$oid": i}


def live(sender="news@acme.example", body="BODY", campaign_sender="s1") -> dict[str, list]:
    return {
        "/email/senderid/": [{"$_id": oid("s1"), "email": sender, "description": "Acme"}],
        "/email/optout/": [],
        "/email/contact/": [{"$_id": oid("g1"), "tag": "VIP",
                             "contacts": [{"email": "a@example.com", "name": "Ada"}]}],
        "/email/message/": [{"$_id": oid("m1"), "description": "Hi", "email_message": body}],
        "/email/campaign/": [{"$_id": oid("c1"), "name": "launch", "status": "active",
                              "sender_id": oid(campaign_sender), "message_id": oid("m1"),
                              "contact_group_id": oid("g1"), "start_date": "2027-03-20 09:00",
                              "timezone": "EST5EDT"}],
    }


def run(tmp_path, lists: dict[str, list], manifests: str = MANIFESTS,
        bindings: tuple = ()) -> list[httpx.Request]:
    ws_dir = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": f"providers:\n  mail: {{type: email-campaigns, base_url: '{API}', "
                            "token: '${T}'}\n",
        "m.yaml": manifests})
    ws, diags = load_workspace(ws_dir, env={"T": "tok"})
    assert ws is not None and not [d for d in diags if d.severity == "error"], diags
    store = open_store(ws.config)
    for kind, name, rid in bindings:
        store.put_binding(Binding("mail", kind, name, rid))
    created = iter(f"new{i}" for i in range(100))

    with respx.mock(base_url=API, assert_all_called=False) as mock:
        for path, items in lists.items():
            mock.get(path).respond(200, json=items)
        mock.post(path__regex=r"^/email/(senderid|contact|message|campaign)/$").mock(
            side_effect=lambda req: httpx.Response(201, json={"$_id": oid(next(created))}))
        mock.post(path__regex=r"/bulk/").respond(200)
        mock.put(path__regex=r".*").respond(204)
        mock.delete(path__regex=r".*").respond(204)

        async def go():
            session = open_session(run_context(ws, store, RunOptions(now=NOW)))
            try:
                plan = await build_plan(session)
                result = await execute_plan(session, plan)
                assert result.ok, result.failed
            finally:
                await session.aclose()
        asyncio.run(go())
        requests = [call.request for call in mock.calls]
    store.close()
    for r in requests:
        assert r.headers["Authorization"] == "Token tok"
    return [r for r in requests if r.method != "GET"]


def shape(requests: list[httpx.Request]) -> list[str]:
    return [f"{r.method} {r.url.path}" + (f"?{r.url.query.decode()}" if r.url.query else "")
            for r in requests]


def test_create_everything(tmp_path):
    empty = {path: [] for path in live()}
    writes = run(tmp_path, empty)
    got = shape(writes)
    # Dependencies first: sender, group (+ its contacts), message, then the campaign.
    assert got == ["POST /email/senderid/", "POST /email/contact/",
                   "POST /email/contact/bulk/replace/?_id=new1", "POST /email/message/",
                   "POST /email/campaign/"]
    assert json.loads(writes[0].content) == {"description": "Acme", "email": "news@acme.example"}
    campaign = writes[-1]
    assert campaign.headers["content-type"].startswith("multipart/form-data")
    body = campaign.content.decode()
    attributes = json.loads(body.split('name="attributes"\r\n\r\n', 1)[1].split("\r\n--", 1)[0])
    assert attributes["schedule"]["timezone"] == "EST5EDT"
    assert attributes["schedule"]["start_date"] == "2027-03-20 09:00"
    assert set(attributes) == {"message", "contact_group", "schedule"}
    assert attributes["message"]["_id"]["$oid"].startswith("new")
    bulk = next(r for r in writes if "/bulk/replace/" in r.url.path)
    assert "a@example.com" in bulk.content.decode() and 'name="csv_file"' in bulk.content.decode()


BOUND = (("Sender", "news", "s1"), ("ContactGroup", "vip", "g1"),
         ("Message", "hello", "m1"), ("Campaign", "launch", "c1"))


def test_no_change_no_write(tmp_path):
    assert run(tmp_path, live(), bindings=BOUND) == []


def test_update_message_is_one_put(tmp_path):
    writes = run(tmp_path, live(body="OLD"), bindings=BOUND)
    assert shape(writes) == ["PUT /email/message/?_id=m1"]
    assert json.loads(writes[0].content) == {"description": "Hi", "email_message": "BODY"}


def test_ignore_changes_by_the_manifest_field_names_writes_nothing(tmp_path):
    """The vendor calls a message's body `email_message` and a group's title `tag`; the
    manifest's own names (which validate accepts) are honoured, as the plan's are."""
    drifted = live(body="EDITED IN THE DASHBOARD")
    drifted["/email/contact/"][0]["tag"] = "Renamed live"
    manifests = MANIFESTS.replace(
        "spec: {channel: email, subject: Hi, body: BODY}",
        "spec: {channel: email, subject: Hi, body: BODY}\nlifecycle: {ignore_changes: [body]}",
    ).replace("first_name: Ada}]}", "first_name: Ada}]}\nlifecycle: {ignore_changes: [title]}")
    assert run(tmp_path, drifted, manifests, bindings=BOUND) == []
    by_plan_name = manifests.replace("[body]", "[email_message]").replace("[title]", "[tag]")
    assert run(tmp_path / "again", drifted, by_plan_name, bindings=BOUND) == []
    # without it, the drift is planned and written back
    assert shape(run(tmp_path / "not-ignored", live(body="EDITED IN THE DASHBOARD"),
                     bindings=BOUND)) == ["PUT /email/message/?_id=m1"]


def test_campaign_sender_change_is_cancel_then_create(tmp_path):
    lists = live(campaign_sender="s-old")
    lists["/email/senderid/"].append({"$_id": oid("s-old"), "email": "old@acme.example"})
    writes = run(tmp_path, lists, bindings=BOUND)
    assert shape(writes) == ["PUT /email/campaign/?_id=c1", "POST /email/campaign/"]
    assert json.loads(writes[0].content) == {"status": "cancelled"}


@pytest.mark.parametrize("kind, path", [("Message", "/email/message/"),
                                        ("Sender", "/email/senderid/")])
def test_removed_manifest_is_deleted(tmp_path, kind, path):
    lists = live()
    extra = {"Message": {"$_id": oid("x9"), "description": "Old", "email_message": "x"},
             "Sender": {"$_id": oid("x9"), "email": "gone@acme.example"}}[kind]
    lists[path].append(extra)
    writes = run(tmp_path, lists, bindings=(*BOUND, (kind, "old", "x9")))
    assert shape(writes) == [f"DELETE {path}?_id=x9"]


def test_removed_campaign_is_cancelled_not_deleted(tmp_path):
    manifests = MANIFESTS.rsplit("---", 1)[0]
    writes = run(tmp_path, live(), manifests=manifests, bindings=BOUND)
    assert shape(writes) == ["PUT /email/campaign/?_id=c1"]
    assert json.loads(writes[0].content) == {"status": "cancelled"}


def _bound_meanwhile(tmp_path, when: str) -> tuple[list, list[httpx.Request], str]:
    """Plan a create of Campaign/launch, then let another run (say, one started after a
    lock was broken) bind it to c1, `before` our create or `during` its POST. Returns the
    failures, the writes, and the binding left."""
    ws_dir = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": f"providers:\n  mail: {{type: email-campaigns, base_url: '{API}', "
                            "token: '${TEST_TOKEN}'}\n",
        "m.yaml": MANIFESTS})
    ws, _ = load_workspace(ws_dir)
    store = open_store(ws.config)
    for kind, name, rid in BOUND[:3]:
        store.put_binding(Binding("mail", kind, name, rid))
    other_run = Binding("mail", "Campaign", "launch", "c1")

    def created(request):
        if when == "during":
            store.put_binding(other_run)
        return httpx.Response(201, json={"$_id": oid("c2")})
    with respx.mock(base_url=API, assert_all_called=False) as mock:
        for path, items in {**live(), "/email/campaign/": []}.items():
            mock.get(path).respond(200, json=items)
        mock.post(path__regex=r".*").mock(side_effect=created)
        mock.put(path__regex=r".*").respond(204)

        async def go():
            session = open_session(run_context(ws, store, RunOptions(now=NOW)))
            try:
                plan = await build_plan(session)
                assert [a.address for a in plan.changes] == ["Campaign/launch"]
                if when == "before":
                    store.put_binding(other_run)
                return await execute_plan(session, plan)
            finally:
                await session.aclose()
        result = asyncio.run(go())
        requests = [c.request for c in mock.calls if c.request.method != "GET"]
    left = store.get_binding("mail", "Campaign", "launch").remote_id
    store.close()
    return result.failed, requests, left


def test_a_create_for_a_campaign_bound_meanwhile_is_refused_naming_the_live_one(tmp_path):
    [(action, error)], requests, left = _bound_meanwhile(tmp_path, "before")
    assert "already bound to live id c1" in error and "would orphan c1" in error
    assert requests == [] and left == "c1"  # refused before any call; binding kept


def test_a_second_copy_created_meanwhile_is_cancelled_not_bound(tmp_path):
    [(action, error)], requests, left = _bound_meanwhile(tmp_path, "during")
    assert "bound meanwhile to live id c1" in error and "cancelled c2" in error
    assert shape(requests) == ["POST /email/campaign/", "PUT /email/campaign/?_id=c2"]
    assert json.loads(requests[1].content) == {"status": "cancelled"}
    assert left == "c1"


GROUPS_FROM_CSV = """
kind: ContactGroup
name: a
provider: mail
spec: {title: A, file: a.csv}
---
kind: ContactGroup
name: b
provider: mail
spec: {title: B, file: b.csv}
"""


def csv_run(tmp_path, live_groups: list[dict], files: dict[str, str]) -> list[httpx.Request]:
    for name, text in files.items():
        write_workspace(tmp_path / "ws", {name: text})
    lists = {"/email/senderid/": [], "/email/optout/": [], "/email/contact/": live_groups,
             "/email/message/": [], "/email/campaign/": []}
    return run(tmp_path, lists, GROUPS_FROM_CSV,
               bindings=(("ContactGroup", "a", "g1"), ("ContactGroup", "b", "g2")))


def uploaded(request: httpx.Request) -> str:
    return request.content.decode()


def test_csv_groups_in_sync_in_another_order_and_case_make_no_write(tmp_path):
    writes = csv_run(tmp_path, [
        {"$_id": oid("g1"), "tag": "A", "contacts": [
            {"email": "Bo@Example.com", "name": "Bo"}, {"email": "al@example.com", "name": "Al X"}]},
        {"$_id": oid("g2"), "tag": "B", "contacts": []}],
        {"a.csv": "email,first_name,last_name\nal@example.com,Al,X\nbo@example.com,Bo,\n",
         "b.csv": "email\n"})
    assert writes == []


@pytest.mark.parametrize("extra", [
    [],  # the usual shape
    [{"name": "no email"}, {"email": None}, {"email": ""}, "not an object"],  # odd entries
])
def test_a_live_duplicate_keeps_its_first_entry_as_the_vendor_does(tmp_path, extra):
    # The live list holds al@ twice (case differs): the first entry is the one that counts.
    live_a = [{"email": "Al@Example.com", "name": "Al X"}, *extra,
              {"email": "al@example.com", "name": "Someone else"},
              {"email": "bo@example.com"}]
    groups = [{"$_id": oid("g1"), "tag": "A", "contacts": live_a},
              {"$_id": oid("g2"), "tag": "B", "contacts": []}]
    files = {"a.csv": "email,first_name,last_name\nal@example.com,Al,X\nbo@example.com,,\n",
             "b.csv": "email\n"}
    assert csv_run(tmp_path, groups, files) == []
    files["a.csv"] = "email,first_name\nal@example.com,Someone else\nbo@example.com,\n"
    writes = csv_run(tmp_path, groups, files)
    assert shape(writes) == ["POST /email/contact/bulk/update/?_id=g1"]
    assert "Someone else" in uploaded(writes[0]) and "bo@" not in uploaded(writes[0])


def test_a_renamed_and_a_removed_contact_move_only_those_rows(tmp_path):
    rows = "".join(f"u{i}@example.com,U{i}\n" for i in range(50))
    live_rows = [{"email": f"u{i}@example.com", "name": f"U{i}"} for i in range(50)]
    live_rows[7]["name"] = "Old name"
    live_rows.append({"email": "gone@example.com", "name": "Gone"})
    writes = csv_run(tmp_path, [
        {"$_id": oid("g1"), "tag": "A", "contacts": live_rows},
        {"$_id": oid("g2"), "tag": "B", "contacts": []}],
        {"a.csv": "email,first_name\n" + rows, "b.csv": "email\n"})
    assert shape(writes) == ["POST /email/contact/bulk/update/?_id=g1",
                             "POST /email/contact/bulk/delete/?_id=g1"]
    assert "u7@example.com" in uploaded(writes[0]) and "u8@" not in uploaded(writes[0])
    assert "gone@example.com" in uploaded(writes[1])


def test_groups_holding_each_others_contacts_are_both_corrected(tmp_path):
    # Each live group matches the OTHER group's manifest: comparing summaries must not
    # mistake that for "in sync", and each must be diffed against its own rows.
    a = "".join(f"a{i}@example.com,A{i}\n" for i in range(10))
    b = "".join(f"b{i}@example.com,B{i}\n" for i in range(10))
    live_a = [{"email": f"a{i}@example.com", "name": f"A{i}"} for i in range(10)]
    live_b = [{"email": f"b{i}@example.com", "name": f"B{i}"} for i in range(10)]
    writes = csv_run(tmp_path, [
        {"$_id": oid("g1"), "tag": "A", "contacts": live_b},
        {"$_id": oid("g2"), "tag": "B", "contacts": live_a}],
        {"a.csv": "email,first_name\n" + a, "b.csv": "email,first_name\n" + b})
    sent = {r.url.params["_id"]: uploaded(r) for r in writes if "replace" in r.url.path}
    assert set(sent) == {"g1", "g2"}, shape(writes)
    assert "a3@example.com" in sent["g1"] and "b3@" not in sent["g1"]
    assert "b3@example.com" in sent["g2"] and "a3@" not in sent["g2"]


async def as_dicts():
    return dict  # each group as decoded


def test_an_unreadable_group_listing_is_a_clear_api_error(tmp_path):
    from reconciler.errors import ApiError
    from reconciler.providers.email_campaigns.client import EmailCampaignsClient
    from reconciler.secrets import Secret

    async def go():
        async with EmailCampaignsClient(API, Secret("tok")) as client:
            return await client.list_groups_each(as_dicts, lambda g, compact: compact(g))

    for body in (b'{"not": "a list"}', b'[{"$_id": {"$oid": "g1"}, "contacts": [{"em'):
        with respx.mock(base_url=API) as mock:
            mock.get("/email/contact/").respond(200, content=body)
            with pytest.raises(ApiError, match="expected a JSON list"):
                asyncio.run(go())


def test_group_listing_decoded_a_few_bytes_at_a_time_gives_the_same_groups(monkeypatch):
    from reconciler import json_stream
    from reconciler.providers.email_campaigns import client as module

    groups = [{"$_id": oid(f"g{g}"), "tag": f"Gr\u00e9up {g}", "score": 1.25e3,
               "contacts": [{"email": f"u{i}@example.com", "name": f"N\u00e4me {i}"}
                            for i in range(20)]} for g in range(5)]
    body = json.dumps(groups, indent=1, ensure_ascii=False).encode()
    monkeypatch.setattr(json_stream, "WINDOW", 7)  # every value cut somewhere

    async def go():
        async with module.EmailCampaignsClient(API, module.Secret("tok")) as client:
            return await client.list_groups_each(as_dicts, lambda g, compact: compact(g))

    with respx.mock(base_url=API) as mock:
        mock.get("/email/contact/").respond(200, content=body)
        assert asyncio.run(go()) == groups
