"""The email-campaigns sandbox emulator enforces the doc, driven through the real client."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.email_campaigns.client import EmailCampaignsClient, oid, ref
from reconciler.sandbox.app import build_app
from reconciler.sandbox.clock import SandboxClock
from reconciler.secrets import Secret

URL = "http://sandbox.test"
HEX24 = re.compile(r"[0-9a-f]{24}")
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}")
AUTH = {"Authorization": "Token sandbox-token"}


@dataclass
class Sandbox:
    client: EmailCampaignsClient
    raw: httpx.AsyncClient       # same app, no default headers: for malformed requests
    clock: SandboxClock

    def set_utc(self, when: datetime) -> None:
        """Move the sandbox clock so that now is `when` (UTC)."""
        self.clock.advance(when.replace(tzinfo=UTC).timestamp() - self.clock.timestamp())

    async def stats(self) -> dict[str, int]:
        return (await self.raw.get("/_sandbox/email-campaigns/stats")).json()


def run(tmp_path: Path, test) -> None:
    async def main():
        app = build_app(tmp_path, [("email-campaigns", {"token": "sandbox-token"})])
        client = EmailCampaignsClient(URL, Secret("sandbox-token"),
                                      transport=httpx.ASGITransport(app=app), max_retries=0)
        raw = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=URL)
        try:
            await test(Sandbox(client, raw, SandboxClock(tmp_path)))
        finally:
            await client.aclose()
            await raw.aclose()
    asyncio.run(main())


async def rejected(call, status: int = 400, match: str = "") -> str:
    with pytest.raises(ApiError) as caught:
        await call
    assert caught.value.status == status, str(caught.value)
    assert re.search(match, caught.value.detail), caught.value.detail
    return caught.value.detail


def contacts(n: int, start: int = 0) -> list[dict[str, str]]:
    return [{"email": f"user{i}@example.com", "name": f"User {i}"} for i in range(start, n)]


async def campaign(sb: Sandbox, group_id: str, sender_id: str, *,
                   start: str = "2030-01-01 09:00", timezone: str = "EST5EDT") -> dict:
    return await sb.client.create_campaign({
        "message": {"source": "new", "description": "Spring sale", "email_message": "Hi"},
        "contact_group": {"type": "reuse", "_id": ref(group_id)},
        "schedule": {"name": "spring", "start_date": start, "timezone": timezone,
                     "sender_id": ref(sender_id)}})


async def setup(sb: Sandbox, n: int = 3) -> tuple[str, str]:
    sender = await sb.client.create_sender("From", "News@Example.com")
    group = await sb.client.create_group("customers")
    await sb.client.bulk_replace_contacts(oid(group), contacts(n))
    return oid(sender), oid(group)


# -- authentication and routing ----------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer abc"},
                                     {"Authorization": "Token "}, {"Authorization": "abc"}])
def test_requests_without_token_are_401(tmp_path, headers):
    async def test(sb):
        response = await sb.raw.get("/email/senderid/", headers=headers)
        assert response.status_code == 401
        assert "message" in response.json()
        assert (await sb.raw.get("/email/senderid/", headers=AUTH)).status_code == 200
    run(tmp_path, test)


def test_unknown_paths_methods_and_ids(tmp_path):
    async def test(sb):
        # No trailing slash: a 404, not a redirect a client could silently follow.
        assert (await sb.raw.get("/email/senderid", headers=AUTH)).status_code == 404
        assert (await sb.raw.get("/email/nothing/", headers=AUTH)).status_code == 404
        response = await sb.raw.delete("/email/campaign/?_id=" + "a" * 24, headers=AUTH)
        assert response.status_code == 405 and "cancelled" in response.json()["message"]
        assert (await sb.raw.patch("/email/message/", headers=AUTH)).status_code == 405
        await rejected(sb.client.get_sender("f" * 24), 404, "not found")
        await rejected(sb.client.get_sender("not-an-id"), 400, "_id")
        await rejected(sb.client.delete_message("f" * 24), 404)
        response = await sb.raw.put("/email/senderid/", headers=AUTH, json={"email": "a@b.com"})
        assert response.status_code == 400 and "_id" in response.json()["message"]
        response = await sb.raw.get("/email/senderid/?foo=1", headers=AUTH)
        assert response.status_code == 400
    run(tmp_path, test)


# -- simple resources --------------------------------------------------------------------

def test_sender_lifecycle_and_status_codes(tmp_path):
    async def test(sb):
        response = await sb.client.http.request(
            "POST", "/email/senderid/", json={"description": "My From", "email": "T@Test.com"})
        assert response.status_code == 201
        sender = response.json()
        assert list(sender) == ["$_id", "client_id", "description", "email", "created_on",
                                "modified_on"]
        assert HEX24.fullmatch(oid(sender)) and HEX24.fullmatch(sender["client_id"]["$oid"])
        assert STAMP.fullmatch(sender["created_on"])
        assert sender["email"] == "T@Test.com"  # a sender's address is kept as given
        assert await sb.client.list_senders() == [sender]
        assert await sb.client.get_sender(oid(sender)) == sender

        sb.clock.advance(60)
        response = await sb.client.http.request(
            "PUT", f"/email/senderid/?_id={oid(sender)}",
            json={"description": "Renamed", "email": "t@test.com"})
        assert response.status_code == 204 and response.content == b""
        updated = await sb.client.get_sender(oid(sender))
        assert updated["description"] == "Renamed"
        assert updated["created_on"] == sender["created_on"]
        assert updated["modified_on"] > sender["modified_on"]

        response = await sb.client.http.request("DELETE", f"/email/senderid/?_id={oid(sender)}")
        assert response.status_code == 204
        await rejected(sb.client.get_sender(oid(sender)), 404)
        assert await sb.client.list_senders() == []
    run(tmp_path, test)


@pytest.mark.parametrize("path, body, match", [
    ("/email/senderid/", {"description": "d"}, "missing required field 'email'"),
    ("/email/senderid/", {"description": "d", "email": "a@b.com", "x": 1}, "unknown field 'x'"),
    ("/email/senderid/", {"description": 5, "email": "a@b.com"}, "description must be"),
    ("/email/senderid/", {"description": "d", "email": "not-an-email"}, "valid email"),
    ("/email/senderid/", {"description": "d", "email": "a@example.invalid"}, "valid email"),
    ("/email/senderid/", ["description"], "JSON object"),
    ("/email/optout/", {"email": "a@@b.com"}, "valid email"),
    ("/email/contact/", {"tag": "t", "contacts": []}, "unknown field 'contacts'"),
    ("/email/contact/", {"tag": ""}, "non-empty"),
    ("/email/message/", {"description": "d"}, "email_message"),
])
def test_bad_bodies_are_400(tmp_path, path, body, match):
    async def test(sb):
        await rejected(sb.client.http.request("POST", path, json=body), 400, match)
        stats = await sb.stats()
        assert stats["senders"] == stats["optouts"] == stats["groups"] == 0
    run(tmp_path, test)


def test_json_endpoints_require_json_content_type(tmp_path):
    async def test(sb):
        response = await sb.raw.post("/email/message/", headers=AUTH,
                                     data={"description": "d", "email_message": "m"})
        assert response.status_code == 400
        assert "application/json" in response.json()["message"]
    run(tmp_path, test)


def test_put_validates_like_post(tmp_path):
    async def test(sb):
        message = await sb.client.create_message("Subject", "Body")
        await rejected(sb.client.http.request("PUT", f"/email/message/?_id={oid(message)}",
                                              json={"description": "only"}), 400, "required")
        await sb.client.update_message(oid(message), "New subject", "New body")
        got = await sb.client.get_message(oid(message))
        assert (got["description"], got["email_message"]) == ("New subject", "New body")
        await rejected(sb.client.update_message("a" * 24, "s", "b"), 404)
    run(tmp_path, test)


def test_contact_group_post_and_put_only_change_the_tag(tmp_path):
    async def test(sb):
        group = await sb.client.create_group("My Contact Group")
        assert group["tag"] == "My Contact Group" and group["contacts"] == []
        response = await sb.client.http.request(
            "PUT", f"/email/contact/?_id={oid(group)}", json={"tag": "Renamed"})
        assert response.status_code == 200  # the one PUT that answers with the object
        assert response.json()["tag"] == "Renamed"
        assert await sb.client.update_group_tag(oid(group), "Again") == await sb.client.get_group(
            oid(group))
        await rejected(sb.client.http.request(
            "PUT", f"/email/contact/?_id={oid(group)}",
            json={"tag": "x", "contacts": [{"name": "a", "email": "a@b.com"}]}), 400, "contacts")
    run(tmp_path, test)


# -- bulk CSV endpoints ------------------------------------------------------------------

def test_bulk_contact_semantics(tmp_path):
    async def test(sb):
        gid = oid(await sb.client.create_group("g"))
        other = oid(await sb.client.create_group("other"))
        await sb.client.bulk_replace_contacts(other, contacts(2))
        await sb.client.bulk_replace_contacts(gid, [
            {"email": "A@Example.com", "name": "A"}, {"email": "b@example.com", "name": "B"}])
        group = await sb.client.get_group(gid)
        assert group["contacts"] == [{"name": "A", "email": "a@example.com"},
                                     {"name": "B", "email": "b@example.com"}]

        # update: adds new emails, renames existing ones (matched case-insensitively)
        await sb.client.bulk_update_contacts(gid, [
            {"email": "B@EXAMPLE.COM", "name": "Bee"}, {"email": "c@example.com", "name": "C"}])
        assert (await sb.client.get_group(gid))["contacts"] == [
            {"name": "A", "email": "a@example.com"}, {"name": "Bee", "email": "b@example.com"},
            {"name": "C", "email": "c@example.com"}]

        # delete: by email, absent ones ignored
        await sb.client.bulk_delete_contacts(gid, ["A@example.com", "zzz@example.com"])
        assert [c["email"] for c in (await sb.client.get_group(gid))["contacts"]] == [
            "b@example.com", "c@example.com"]

        # replace: overwrites ALL contacts; an empty file empties the group
        await sb.client.bulk_replace_contacts(gid, [{"email": "d@example.com", "name": "D"}])
        assert (await sb.client.get_group(gid))["contacts"] == [
            {"name": "D", "email": "d@example.com"}]
        await sb.client.bulk_replace_contacts(gid, [])
        assert (await sb.client.get_group(gid))["contacts"] == []
        assert len((await sb.client.get_group(other))["contacts"]) == 2  # untouched
        await rejected(sb.client.bulk_replace_contacts("b" * 24, []), 404)
    run(tmp_path, test)


def csv_form(csv_text: str, **fields: str) -> dict:
    return {"data": fields, "files": {"csv_file": ("c.csv", csv_text.encode(), "text/csv")}}


@pytest.mark.parametrize("endpoint, form, match", [
    ("replace", csv_form("name,email\nA,a@x.com\n", email_index="1"), "name_index"),
    ("replace", csv_form("name,email\nA,a@x.com\n", name_index="0", email_index="2"),
     "out of range"),
    ("replace", csv_form("name,email\nA,a@x.com\n", name_index="0", email_index="-1"),
     "non-negative"),
    ("update", csv_form("name,email\nA,not-an-email\n", name_index="0", email_index="1"),
     "line 2: invalid email"),
    ("update", csv_form("", name_index="0", email_index="1"), "header"),
    ("update", csv_form("name,email\nA\n", name_index="0", email_index="1"), "line 2"),
    ("delete", csv_form("email\na@x.com\n", email_index="0", name_index="0"),
     "unknown form field 'name_index'"),
    ("delete", {"files": {"email_index": (None, "0"), "csv_file": (None, "email\na@x.com")}},
     "'csv_file' must be a file"),
    ("delete", {"data": {"email_index": "0"}}, "multipart/form-data"),
])
def test_bulk_contact_rejections(tmp_path, endpoint, form, match):
    async def test(sb):
        gid = oid(await sb.client.create_group("g"))
        await sb.client.bulk_replace_contacts(gid, contacts(1))
        response = await sb.raw.post(f"/email/contact/bulk/{endpoint}/?_id={gid}",
                                     headers=AUTH, **form)
        assert response.status_code == 400
        assert re.search(match, response.json()["message"]), response.json()
        # A refused file changes nothing.
        assert (await sb.client.get_group(gid))["contacts"] == contacts(1)
    run(tmp_path, test)


def test_bulk_csv_columns_are_picked_by_index(tmp_path):
    async def test(sb):
        gid = oid(await sb.client.create_group("g"))
        form = csv_form('id,email,extra,name\n1,a@x.com,"q, r",Ann\n\n2,b@x.com,,Bob\n',
                        name_index="3", email_index="1")
        response = await sb.raw.post(f"/email/contact/bulk/update/?_id={gid}", headers=AUTH,
                                     **form)
        assert response.status_code == 200
        assert (await sb.client.get_group(gid))["contacts"] == [
            {"name": "Ann", "email": "a@x.com"}, {"name": "Bob", "email": "b@x.com"}]
    run(tmp_path, test)


def test_optouts_bulk_and_single(tmp_path):
    async def test(sb):
        await sb.client.bulk_add_optouts(["A@x.com", "b@x.com"])
        await sb.client.bulk_add_optouts(["a@X.com", "c@x.com"])  # idempotent, no duplicates
        assert sorted(o["email"] for o in await sb.client.list_optouts()) == [
            "a@x.com", "b@x.com", "c@x.com"]
        await sb.client.bulk_delete_optouts(["B@x.com", "absent@x.com"])
        optouts = await sb.client.list_optouts()
        assert sorted(o["email"] for o in optouts) == ["a@x.com", "c@x.com"]

        created = await sb.client.create_optout("New@X.com")
        assert created["email"] == "new@x.com"
        assert list(created) == ["$_id", "client_id", "email", "created_on", "modified_on"]
        await rejected(sb.client.create_optout("A@x.com"), 400, "already")
        await sb.client.delete_optout(oid(created))
        assert (await sb.stats())["optouts"] == 2

        response = await sb.raw.post("/email/optout/bulk/add/", headers=AUTH,
                                     **csv_form("email\nbad@\n"))
        assert response.status_code == 400
    run(tmp_path, test)


# -- campaigns ---------------------------------------------------------------------------

def test_campaign_create_reuse_and_new_message(tmp_path):
    async def test(sb):
        sender_id, group_id = await setup(sb)
        created = await campaign(sb, group_id, sender_id)
        assert list(created) == ["$_id", "client_id", "contact_group_id", "sender_id",
                                 "message_id", "name", "start_date", "timezone", "created_on",
                                 "modified_on", "status"]
        assert created["status"] == "active"
        assert created["start_date"] == "2030-01-01T09:00:00"
        assert created["timezone"] == "EST5EDT"
        assert created["contact_group_id"] == ref(group_id)
        assert created["sender_id"] == ref(sender_id)
        message = await sb.client.get_message(created["message_id"]["$oid"])
        assert message["description"] == "Spring sale"
        assert await sb.client.list_campaigns() == [created]
        assert await sb.client.get_campaign(oid(created)) == created

        reused = await sb.client.create_campaign({
            "message": {"source": "reuse", "_id": created["message_id"]},
            "contact_group": {"type": "reuse", "_id": ref(group_id)},
            "schedule": {"name": "again", "start_date": "2030-02-01 10:30",
                         "timezone": "PST8PDT", "sender_id": ref(sender_id)}})
        assert reused["message_id"] == created["message_id"]
        assert (await sb.stats())["messages"] == 1
    run(tmp_path, test)


def test_campaign_upload_creates_its_group(tmp_path):
    async def test(sb):
        sender = await sb.client.create_sender("From", "from@example.com")
        created = await sb.client.create_campaign({
            "message": {"source": "new", "description": "S", "email_message": "B"},
            "contact_group": {"type": "upload"},
            "schedule": {"name": "uploaded", "start_date": "2030-01-01 09:00",
                         "timezone": "CST6CDT", "sender_id": ref(oid(sender))}},
            contacts(3))
        group = await sb.client.get_group(created["contact_group_id"]["$oid"])
        assert group["tag"] == "uploaded"
        assert group["contacts"] == contacts(3)
    run(tmp_path, test)


def attrs(**changes) -> dict:
    base = {
        "message": {"source": "new", "description": "S", "email_message": "B"},
        "contact_group": {"type": "reuse", "_id": {"$oid": "GROUP"}},
        "schedule": {"name": "n", "start_date": "2030-01-01 09:00", "timezone": "EST5EDT",
                     "sender_id": {"$oid": "SENDER"}},
    }
    for path, value in changes.items():
        section, _, key = path.partition("__")
        if key:
            base[section] = {**base[section], key: value}
            if value is None:
                del base[section][key]
        else:
            base[section] = value
    return base


@pytest.mark.parametrize("attributes, match", [
    (attrs(schedule__start_date="2030-01-01T09:00"), "yyyy-MM-dd HH:mm"),
    (attrs(schedule__start_date="2030-1-1 09:00"), "yyyy-MM-dd HH:mm"),
    (attrs(schedule__start_date="2030-01-01 09:00:00"), "yyyy-MM-dd HH:mm"),
    (attrs(schedule__start_date="2030-02-30 09:00"), "yyyy-MM-dd HH:mm"),
    (attrs(schedule__timezone="America/New_York"), "timezone"),
    (attrs(schedule__timezone=None), "missing required field 'timezone'"),
    (attrs(schedule__sender_id={"$oid": "f" * 24}), "sender"),
    (attrs(schedule__sender_id="SENDER"), r"\$oid"),
    (attrs(schedule__extra=1), "unknown field 'extra'"),
    (attrs(message__source="upload"), "new, reuse"),
    (attrs(message__email_message=None), "email_message"),
    (attrs(message__description=5), "description"),
    (attrs(message={"source": "reuse", "_id": {"$oid": "e" * 24}}), "message"),
    (attrs(message={"source": "reuse", "_id": {"$oid": "e" * 24}, "description": "x"}),
     "unknown field 'description'"),
    (attrs(contact_group={"type": "reuse", "_id": {"$oid": "d" * 24}}), "contact group"),
    (attrs(contact_group={"type": "upload", "name_index": 0, "email_index": 1}), "csv_file"),
    (attrs(contact_group={"type": "upload", "name_index": "0", "email_index": 1}),
     "name_index"),
    (attrs(contact_group={"type": "existing"}), "upload, reuse"),
    ({"message": {}, "schedule": {}}, "contact_group|message"),
])
def test_campaign_rejections(tmp_path, attributes, match):
    async def test(sb):
        sender_id, group_id = await setup(sb)
        text = json.dumps(attributes).replace("SENDER", sender_id).replace("GROUP", group_id)
        response = await sb.raw.post("/email/campaign/", headers=AUTH,
                                     files={"attributes": (None, text)})
        assert response.status_code == 400, response.text
        assert re.search(match, response.json()["message"]), response.json()
        stats = await sb.stats()
        assert (stats["campaigns"], stats["messages"], stats["groups"]) == (0, 0, 1)
    run(tmp_path, test)


def test_campaign_post_must_be_multipart(tmp_path):
    async def test(sb):
        sender_id, group_id = await setup(sb)
        body = attrs()
        response = await sb.raw.post("/email/campaign/", headers=AUTH, json=body)
        assert response.status_code == 400
        response = await sb.raw.post("/email/campaign/", headers=AUTH,
                                     files={"attributes": (None, "{not json")})
        assert response.status_code == 400
    run(tmp_path, test)


def test_campaign_is_sent_when_the_clock_passes_its_start(tmp_path):
    async def test(sb):
        sender_id, group_id = await setup(sb, 3)
        await sb.client.bulk_add_optouts(["USER1@example.com"])
        cid = oid(await campaign(sb, group_id, sender_id, start="2030-01-01 09:00"))
        # 09:00 in EST5EDT on 1 January is 14:00 UTC.
        sb.set_utc(datetime(2030, 1, 1, 13, 58))
        assert (await sb.client.get_campaign(cid))["status"] == "active"
        assert await sb.client.results("2029-01-01", "2031-01-01") == []
        sb.set_utc(datetime(2030, 1, 1, 14, 1))
        done = await sb.client.get_campaign(cid)
        assert done["status"] == "completed"

        results = await sb.client.results("2030-01-01", "2030-01-01", cid)
        assert [r["email_to"] for r in results] == [f"user{i}@example.com" for i in range(3)]
        first = results[0]
        assert list(first) == ["$_id", "client_id", "queue_id", "campaign_id", "contact",
                               "campaign_name", "disposition", "start_date", "modified_on",
                               "email_to", "email_from_id", "complete", "status"]
        assert first["campaign_id"] == ref(cid)
        assert first["contact"] == {"name": "User 0", "email": "user0@example.com"}
        assert first["campaign_name"] == "spring"
        assert first["email_from_id"] == "News@Example.com"
        assert first["start_date"] == "2030-01-01T14:00:00.000000"
        assert (first["complete"], first["status"]) == (True, "completed")
        assert [r["disposition"] for r in results] == ["delivered", "opted_out", "delivered"]
        assert await sb.client.results("2030-01-02", "2030-02-01") == []
        assert await sb.client.results("2029-01-01", "2031-01-01", "c" * 24) == []

        await rejected(sb.client.set_status(cid, "paused"), 400, "campaign already started")
        await rejected(sb.client.set_status(cid, "cancelled"), 400, "already started")
        # Changing the group afterwards does not change what was sent.
        await sb.client.bulk_replace_contacts(group_id, [])
        assert len(await sb.client.results("2030-01-01", "2030-01-01")) == 3
    run(tmp_path, test)


def test_paused_campaign_does_not_send_until_resumed(tmp_path):
    async def test(sb):
        sender_id, group_id = await setup(sb, 2)
        cid = oid(await campaign(sb, group_id, sender_id, start="2030-06-01 09:00",
                                 timezone="PST8PDT"))
        await sb.client.set_status(cid, "paused")
        await sb.client.set_status(cid, "paused")  # same status again: a no-op 204
        sb.set_utc(datetime(2030, 6, 2))
        assert (await sb.client.get_campaign(cid))["status"] == "paused"
        assert (await sb.stats())["results"] == 0
        await sb.client.set_status(cid, "active")
        # Resumed after its start: it goes out at once, stamped with the resume time.
        assert (await sb.client.get_campaign(cid))["status"] == "completed"
        results = await sb.client.results("2030-06-02", "2030-06-02", cid)
        assert len(results) == 2
    run(tmp_path, test)


def test_cancelled_campaign_is_final(tmp_path):
    async def test(sb):
        sender_id, group_id = await setup(sb)
        cid = oid(await campaign(sb, group_id, sender_id))
        await rejected(sb.client.http.request("PUT", f"/email/campaign/?_id={cid}",
                                              json={"status": "completed"}), 400, "status")
        await rejected(sb.client.http.request("PUT", f"/email/campaign/?_id={cid}",
                                              json={"status": "paused", "name": "x"}), 400,
                       "unknown field")
        await sb.client.set_status(cid, "cancelled")
        await rejected(sb.client.set_status(cid, "active"), 400, "cancelled")
        sb.set_utc(datetime(2031, 1, 1))
        assert (await sb.client.get_campaign(cid))["status"] == "cancelled"
        assert (await sb.stats())["results"] == 0
        await rejected(sb.client.set_status("a" * 24, "paused"), 404)
    run(tmp_path, test)


def test_resources_of_unsent_campaigns_cannot_be_deleted(tmp_path):
    async def test(sb):
        sender_id, group_id = await setup(sb)
        created = await campaign(sb, group_id, sender_id)
        await rejected(sb.client.delete_group(group_id), 400, "cancel the campaign first")
        await rejected(sb.client.delete_sender(sender_id), 400, "used by campaign")
        await rejected(sb.client.delete_message(created["message_id"]["$oid"]), 400)
        await sb.client.set_status(oid(created), "cancelled")
        await sb.client.delete_group(group_id)
        assert (await sb.stats())["contacts"] == 0
    run(tmp_path, test)


def test_results_filter_requires_dates(tmp_path):
    async def test(sb):
        for query in ("", "?start_date=2030-01-01", "?start_date=2030-01-01&end_date=2030/01/02",
                      "?start_date=2030-01-01&end_date=2030-01-02&campaign_id=zz"):
            response = await sb.raw.get("/email/result/filter/" + query, headers=AUTH)
            assert response.status_code == 400, query
    run(tmp_path, test)


# -- persistence and scale ---------------------------------------------------------------

def test_state_survives_a_new_app_instance(tmp_path):
    seen: dict = {}

    async def first(sb):
        sender_id, group_id = await setup(sb, 5)
        seen["campaign"] = await campaign(sb, group_id, sender_id)
        seen["groups"] = await sb.client.list_groups()
        await sb.client.bulk_add_optouts(["x@example.com"])

    async def second(sb):
        assert await sb.client.list_groups() == seen["groups"]
        assert await sb.client.list_campaigns() == [seen["campaign"]]
        assert [o["email"] for o in await sb.client.list_optouts()] == ["x@example.com"]
        # The clock persists too, and sending is evaluated on the new instance.
        sb.set_utc(datetime(2030, 1, 2))
        assert (await sb.client.get_campaign(oid(seen["campaign"])))["status"] == "completed"

    run(tmp_path, first)
    run(tmp_path, second)
    assert (tmp_path / "email-campaigns").is_dir()


def test_stats_and_many_resources(tmp_path):
    async def test(sb):
        for i in range(500):
            await sb.client.create_message(f"Subject {i}", "Body")
        assert len(await sb.client.list_messages()) == 500
        assert (await sb.stats()) == {"senders": 0, "groups": 0, "contacts": 0,
                                      "messages": 500, "campaigns": 0, "optouts": 0,
                                      "results": 0}
    run(tmp_path, test)


def test_200k_contacts_are_listed_completely(tmp_path):
    # Speed is measured by benchmarks/plan_scale.py, not asserted here.
    async def test(sb):
        big = oid(await sb.client.create_group("big"))
        await sb.client.bulk_replace_contacts(big, contacts(200_000))
        for i in range(20):
            small = oid(await sb.client.create_group(f"small {i}"))
            await sb.client.bulk_update_contacts(small, contacts(10))
        groups = await sb.client.list_groups()
        assert len(groups) == 21
        assert len(groups[0]["contacts"]) == 200_000
        assert groups[0]["contacts"][-1] == {"name": "User 199999",
                                             "email": "user199999@example.com"}
    run(tmp_path, test)


def test_the_group_listing_streams_one_snapshot_of_every_group(tmp_path):
    async def test(sb):
        ids = []
        for i in range(3):
            ids.append(oid(await sb.client.create_group(f"g\u00e9 {i}")))
            await sb.client.bulk_replace_contacts(ids[-1], contacts(5 * i + 1, start=i))
        async with sb.raw.stream("GET", "/email/contact/", headers={
                **AUTH, "Content-Type": "application/json"}) as response:
            assert response.headers["content-type"] == "application/json"
            pieces = response.aiter_bytes()
            first = await anext(pieces)
            # Written while the listing is on its way: not in it (one snapshot).
            await sb.client.bulk_replace_contacts(ids[2], contacts(102, start=100))
            body = first + b"".join([p async for p in pieces])
        listed = json.loads(body)
        assert [oid(g) for g in listed] == ids
        assert [len(g["contacts"]) for g in listed] == [1, 5, 9]
        for g in listed[:2]:  # the same objects as each group's own GET
            assert g == await sb.client.get_group(oid(g))
        assert [c["email"] for c in (await sb.client.get_group(ids[2]))["contacts"]] == [
            "user100@example.com", "user101@example.com"]
    run(tmp_path, test)
