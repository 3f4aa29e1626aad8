"""The email-campaigns client speaks the API exactly as documented (checked with respx)."""

from __future__ import annotations

import asyncio
import csv
import email.parser
import email.policy
import io
import json
from dataclasses import dataclass
from datetime import date, datetime

import httpx
import pytest
import respx

from reconciler.errors import ApiError, NotSentError, OutcomeUnknown
from reconciler.providers.email_campaigns.client import EmailCampaignsClient, oid
from reconciler.secrets import Secret

BASE = "https://api.example.test"
TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
ID = "57bb010e2cd5264797b017e5"
OBJ = {"$_id": {"$oid": ID}, "client_id": {"$oid": ID}}


@dataclass
class Contact:
    email: str
    name: str


def run(test):
    """Run `test(client, mock)` in a fresh event loop with every request mocked."""
    async def main():
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        client = EmailCampaignsClient(BASE, Secret(TOKEN), sleep=sleep, max_retries=3)
        try:
            with respx.mock(base_url=BASE, assert_all_called=False) as mock:
                await test(client, mock, sleeps)
        finally:
            await client.aclose()
    asyncio.run(main())


def multipart(request: httpx.Request) -> dict[str, tuple[str | None, str | None, bytes]]:
    """{field: (filename, content type, content)} of a multipart/form-data request."""
    ctype = request.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    raw = f"Content-Type: {ctype}\r\n\r\n".encode() + request.content
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
    parts = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert name not in parts, f"field {name} sent twice"
        ctype = part["content-type"] and part.get_content_type()
        parts[name] = (part.get_filename(), ctype, part.get_payload(decode=True))
    return parts


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def assert_common(request: httpx.Request) -> None:
    assert request.headers["authorization"] == f"Token {TOKEN}"
    assert request.headers["accept"] == "application/json"


# -- plain JSON operations: (call, method, path, query, json body, status, response) -----

CRUD = [
    (lambda c: c.list_senders(), "GET", "/email/senderid/", {}, None, 200, [OBJ]),
    (lambda c: c.get_sender(ID), "GET", "/email/senderid/", {"_id": ID}, None, 200, OBJ),
    (lambda c: c.create_sender("My From Address", "test@test.com"), "POST",
     "/email/senderid/", {}, {"description": "My From Address", "email": "test@test.com"},
     201, OBJ),
    (lambda c: c.update_sender(ID, "My From Address", "test@test.com"), "PUT",
     "/email/senderid/", {"_id": ID},
     {"description": "My From Address", "email": "test@test.com"}, 204, None),
    (lambda c: c.delete_sender(ID), "DELETE", "/email/senderid/", {"_id": ID}, None, 204,
     None),
    (lambda c: c.list_optouts(), "GET", "/email/optout/", {}, None, 200, [OBJ]),
    (lambda c: c.get_optout(ID), "GET", "/email/optout/", {"_id": ID}, None, 200, OBJ),
    (lambda c: c.create_optout("test@test.com"), "POST", "/email/optout/", {},
     {"email": "test@test.com"}, 201, OBJ),
    (lambda c: c.update_optout(ID, "a@test.com"), "PUT", "/email/optout/", {"_id": ID},
     {"email": "a@test.com"}, 204, None),
    (lambda c: c.delete_optout(ID), "DELETE", "/email/optout/", {"_id": ID}, None, 204, None),
    (lambda c: c.list_groups(), "GET", "/email/contact/", {}, None, 200, [OBJ]),
    (lambda c: c.get_group(ID), "GET", "/email/contact/", {"_id": ID}, None, 200, OBJ),
    (lambda c: c.create_group("My Contact Group"), "POST", "/email/contact/", {},
     {"tag": "My Contact Group"}, 201, OBJ),
    (lambda c: c.update_group_tag(ID, "New tag"), "PUT", "/email/contact/", {"_id": ID},
     {"tag": "New tag"}, 200, OBJ),
    (lambda c: c.delete_group(ID), "DELETE", "/email/contact/", {"_id": ID}, None, 204, None),
    (lambda c: c.list_messages(), "GET", "/email/message/", {}, None, 200, [OBJ]),
    (lambda c: c.get_message(ID), "GET", "/email/message/", {"_id": ID}, None, 200, OBJ),
    (lambda c: c.create_message("My message", "This is a test message."), "POST",
     "/email/message/", {}, {"description": "My message",
                             "email_message": "This is a test message."}, 201, OBJ),
    (lambda c: c.update_message(ID, "My message", "Body"), "PUT", "/email/message/",
     {"_id": ID}, {"description": "My message", "email_message": "Body"}, 204, None),
    (lambda c: c.delete_message(ID), "DELETE", "/email/message/", {"_id": ID}, None, 204,
     None),
    (lambda c: c.list_campaigns(), "GET", "/email/campaign/", {}, None, 200, [OBJ]),
    (lambda c: c.get_campaign(ID), "GET", "/email/campaign/", {"_id": ID}, None, 200, OBJ),
    (lambda c: c.set_status(ID, "paused"), "PUT", "/email/campaign/", {"_id": ID},
     {"status": "paused"}, 204, None),
    (lambda c: c.results("2016-08-01", "2016-09-01", ID), "GET", "/email/result/filter/",
     {"start_date": "2016-08-01", "end_date": "2016-09-01", "campaign_id": ID}, None, 200,
     [OBJ]),
    (lambda c: c.results(date(2016, 8, 1), datetime(2016, 9, 1, 12)), "GET",
     "/email/result/filter/", {"start_date": "2016-08-01", "end_date": "2016-09-01"}, None,
     200, []),
]


@pytest.mark.parametrize("call, method, path, params, body, status, answer", CRUD)
def test_json_operations_match_the_doc(call, method, path, params, body, status, answer):
    async def test(client, mock, sleeps):
        route = mock.route(method=method, path=path).respond(status, json=answer)
        result = await call(client)
        assert route.call_count == 1
        request = route.calls.last.request
        assert_common(request)
        # The doc shows Content-Type: application/json on every JSON request.
        assert request.headers["content-type"] == "application/json"
        assert dict(request.url.params) == params
        assert request.url.raw_path.decode().split("?")[0] == path
        if body is None:
            assert request.content == b""
        else:
            assert json.loads(request.content) == body
        assert result == answer
    run(test)


@pytest.mark.parametrize("call, field", [
    (lambda c, rows: c.bulk_replace_contacts(ID, rows), "replace"),
    (lambda c, rows: c.bulk_update_contacts(ID, rows), "update"),
])
def test_bulk_contacts_send_a_csv_with_header_and_indexes(call, field):
    async def test(client, mock, sleeps):
        route = mock.post(f"/email/contact/bulk/{field}/").respond(200)
        rows = [Contact("a@x.com", "Doe, John"), {"email": "b@x.com", "name": 'Ann "A"'},
                {"email": "c@x.com", "name": None}]
        assert await call(client, rows) is None
        request = route.calls.last.request
        assert_common(request)
        assert dict(request.url.params) == {"_id": ID}
        parts = multipart(request)
        assert set(parts) == {"name_index", "email_index", "csv_file"}
        assert parts["name_index"] == (None, None, b"0")
        assert parts["email_index"] == (None, None, b"1")
        filename, ctype, content = parts["csv_file"]
        assert filename.endswith(".csv") and ctype == "text/csv"
        assert csv_rows(content) == [["name", "email"], ["Doe, John", "a@x.com"],
                                     ['Ann "A"', "b@x.com"], ["", "c@x.com"]]
    run(test)


def test_bulk_replace_with_no_contacts_sends_only_the_header():
    async def test(client, mock, sleeps):
        route = mock.post("/email/contact/bulk/replace/").respond(200)
        await client.bulk_replace_contacts(ID, [])
        assert csv_rows(multipart(route.calls.last.request)["csv_file"][2]) == [
            ["name", "email"]]
    run(test)


def test_bulk_delete_contacts_sends_emails_and_email_index_only():
    async def test(client, mock, sleeps):
        route = mock.post("/email/contact/bulk/delete/").respond(200)
        await client.bulk_delete_contacts(ID, ["a@x.com", "b@x.com"])
        request = route.calls.last.request
        assert dict(request.url.params) == {"_id": ID}
        parts = multipart(request)
        assert set(parts) == {"email_index", "csv_file"}
        assert parts["email_index"][2] == b"0"
        assert csv_rows(parts["csv_file"][2]) == [["email"], ["a@x.com"], ["b@x.com"]]
    run(test)


@pytest.mark.parametrize("call, path", [
    (lambda c: c.bulk_add_optouts(["a@x.com", "B@x.com"]), "/email/optout/bulk/add/"),
    (lambda c: c.bulk_delete_optouts(["a@x.com", "B@x.com"]), "/email/optout/bulk/delete/"),
])
def test_optout_bulk_sends_csv_file_with_email_first(call, path):
    async def test(client, mock, sleeps):
        route = mock.post(path).respond(200)
        await call(client)
        request = route.calls.last.request
        assert_common(request)
        assert request.url.query == b""
        parts = multipart(request)
        assert set(parts) == {"csv_file"}
        assert csv_rows(parts["csv_file"][2]) == [["email"], ["a@x.com"], ["B@x.com"]]
    run(test)


def test_bulk_endpoints_are_retried_on_5xx():
    async def test(client, mock, sleeps):
        route = mock.post("/email/contact/bulk/replace/").mock(
            side_effect=[httpx.Response(503), httpx.Response(200)])
        await client.bulk_replace_contacts(ID, [Contact("a@x.com", "A")])
        assert route.call_count == 2
        # The retry re-sends the same file.
        first, second = (multipart(call.request) for call in route.calls)
        assert first == second
    run(test)


ATTRIBUTES = {
    "message": {"source": "new", "description": "My Email Message",
                "email_message": "This is a test message."},
    "contact_group": {"type": "reuse", "_id": {"$oid": ID}},
    "schedule": {"name": "My Campaign", "start_date": "2016-09-08 09:00",
                 "timezone": "EST5EDT", "sender_id": {"$oid": "57bba6fac75dae266c4aee1f"}},
}


def test_create_campaign_reuse_sends_attributes_as_multipart_field():
    async def test(client, mock, sleeps):
        route = mock.post("/email/campaign/").respond(201, json=OBJ)
        assert await client.create_campaign(ATTRIBUTES) == OBJ
        request = route.calls.last.request
        assert_common(request)
        parts = multipart(request)
        assert set(parts) == {"attributes"}
        filename, _, content = parts["attributes"]
        assert filename is None  # a plain form field, not a file
        assert json.loads(content) == ATTRIBUTES
    run(test)


def test_create_campaign_upload_sends_csv_and_matching_indexes():
    async def test(client, mock, sleeps):
        route = mock.post("/email/campaign/").respond(201, json=OBJ)
        attributes = {**ATTRIBUTES, "contact_group": {"type": "upload"}}
        await client.create_campaign(attributes, [Contact("a@x.com", "A")])
        parts = multipart(route.calls.last.request)
        assert set(parts) == {"attributes", "csv_file"}
        sent = json.loads(parts["attributes"][2])
        assert sent["contact_group"] == {"type": "upload", "name_index": 0, "email_index": 1}
        assert attributes["contact_group"] == {"type": "upload"}  # caller's dict untouched
        assert parts["csv_file"][1] == "text/csv"
        assert csv_rows(parts["csv_file"][2]) == [["name", "email"], ["A", "a@x.com"]]
    run(test)


def test_create_campaign_refuses_csv_mismatch_before_sending():
    async def test(client, mock, sleeps):
        route = mock.post("/email/campaign/").respond(201, json=OBJ)
        with pytest.raises(ValueError):
            await client.create_campaign(ATTRIBUTES, [Contact("a@x.com", "A")])
        with pytest.raises(ValueError):
            await client.create_campaign({**ATTRIBUTES, "contact_group": {"type": "upload"}})
        with pytest.raises(ValueError):
            await client.set_status(ID, "completed")
        assert route.call_count == 0
    run(test)


def test_oid_reads_the_documented_id():
    assert oid(OBJ) == ID
    with pytest.raises(ValueError):
        oid({"_id": ID})


# -- errors and retries ------------------------------------------------------------------

def test_404_raises_api_error_naming_the_resource():
    async def test(client, mock, sleeps):
        mock.get("/email/senderid/").respond(404, json={"message": "sender not found"})
        with pytest.raises(ApiError) as caught:
            await client.get_sender(ID)
        err = caught.value
        assert err.status == 404
        assert str(err) == (f"email-campaigns: GET /email/senderid/?_id={ID} failed with "
                            "HTTP 404: sender not found")
    run(test)


def test_5xx_on_create_is_outcome_unknown_and_not_retried():
    async def test(client, mock, sleeps):
        route = mock.post("/email/senderid/").respond(502)
        with pytest.raises(OutcomeUnknown):
            await client.create_sender("d", "a@x.com")
        assert route.call_count == 1
        campaign = mock.post("/email/campaign/").respond(500)
        with pytest.raises(OutcomeUnknown):
            await client.create_campaign(ATTRIBUTES)
        assert campaign.call_count == 1
    run(test)


def test_lost_response_on_create_is_outcome_unknown():
    async def test(client, mock, sleeps):
        route = mock.post("/email/campaign/").mock(side_effect=httpx.ReadTimeout("lost"))
        with pytest.raises(OutcomeUnknown):
            await client.create_campaign(ATTRIBUTES)
        assert route.call_count == 1
    run(test)


def test_create_answer_without_id_is_outcome_unknown():
    async def test(client, mock, sleeps):
        mock.post("/email/message/").respond(201, text="<html>ok</html>")
        with pytest.raises(OutcomeUnknown):
            await client.create_message("d", "m")
    run(test)


def test_unexpected_list_body_is_api_error():
    async def test(client, mock, sleeps):
        mock.get("/email/campaign/").respond(200, json={"not": "a list"})
        with pytest.raises(ApiError):
            await client.list_campaigns()
    run(test)


def test_429_waits_retry_after_and_retries():
    async def test(client, mock, sleeps):
        route = mock.get("/email/campaign/").mock(side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json=[])])
        assert await client.list_campaigns() == []
        assert route.call_count == 2
        assert sleeps == [2.0]
        # 429 means nothing was accepted, so even a create is retried.
        create = mock.post("/email/senderid/").mock(side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(201, json=OBJ)])
        assert await client.create_sender("d", "a@x.com") == OBJ
        assert create.call_count == 2
    run(test)


def test_5xx_on_reads_is_retried():
    async def test(client, mock, sleeps):
        route = mock.get("/email/message/").mock(side_effect=[
            httpx.Response(500), httpx.Response(200, json=[OBJ])])
        assert await client.list_messages() == [OBJ]
        assert route.call_count == 2
    run(test)


def test_token_never_appears_in_errors():
    async def test(client, mock, sleeps):
        errors: list[Exception] = []
        # A vendor that quotes the request's credentials back in its error.
        mock.get("/email/senderid/").respond(401, json={"message": f"bad token {TOKEN}"})
        mock.post("/email/senderid/").respond(500, text=TOKEN)
        mock.get("/email/optout/").respond(503, text=f"Token {TOKEN}")
        mock.get("/email/message/").mock(side_effect=httpx.ConnectError("refused"))
        for call in (client.list_senders(), client.create_sender("d", "a@x.com"),
                     client.list_optouts(), client.list_messages()):
            with pytest.raises((ApiError, OutcomeUnknown, NotSentError)) as caught:
                await call
            errors.append(caught.value)
        for err in errors:
            assert TOKEN not in str(err) and TOKEN not in repr(err)
            assert all(TOKEN not in str(arg) for arg in err.args)
        assert "bad token ****" in str(errors[0])
        assert TOKEN not in repr(client.__dict__)
    run(test)
