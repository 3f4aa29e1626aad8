import asyncio
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import httpx
import pytest
import respx

from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.providers.scheduled_campaigns.client import (
    CampaignGone,
    ScheduledCampaignsClient,
    forces_replace,
)
from reconciler.secrets import Secret

URL = "https://api.vendor.example"
KEY = "sk-live-0123456789"
TS = 1796112000
CALLBACK = "https://hooks.example.com/cb?team=crm&sig=a%2Fb+c"
CAMPAIGN = {"id": 7, "name": "Spring", "domain": 4, "list": 12, "segments": [3, 7],
            "state": "DRAFT", "when": TS, "event_callback": None, "created": 1, "updated": 1}


def run(coro_fn):
    async def main():
        client = ScheduledCampaignsClient(URL, Secret(KEY), max_retries=0)
        try:
            return await coro_fn(client)
        finally:
            await client.aclose()
    return asyncio.run(main())


@pytest.fixture
def mock():
    with respx.mock(base_url=URL, assert_all_called=False) as m:
        yield m


def sent(route) -> httpx.Request:
    assert route.call_count == 1
    return route.calls.last.request


def test_create_sends_a_form_with_repeated_segments(mock):
    route = mock.post("/campaign").respond(200, json=CAMPAIGN)
    result = run(lambda c: c.create({
        "name": "Spring sale", "domain": 4, "list": 12, "segments": [3, 7],
        "state": "DRAFT", "when": "2026-12-01T09:00:00+01:00", "event_callback": CALLBACK}))
    assert result == CAMPAIGN
    request = sent(route)
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == (
        b"name=Spring+sale&domain=4&list=12&segments%5B%5D=3&segments%5B%5D=7&state=DRAFT"
        b"&when=1796112000&event_callback=https%3A%2F%2Fhooks.example.com%2Fcb%3Fteam%3Dcrm"
        b"%26sig%3Da%252Fb%2Bc")
    pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
    assert ("event_callback", CALLBACK) in pairs  # decodes back byte for byte


def test_create_without_segments_or_callback_omits_them(mock):
    route = mock.post("/campaign").respond(200, json=CAMPAIGN)
    run(lambda c: c.create({"name": "S", "domain": 4, "list": 12, "segments": [],
                            "event_callback": None, "when": datetime(2026, 12, 1, 8, tzinfo=UTC)}))
    assert parse_qsl(sent(route).content.decode()) == [
        ("name", "S"), ("domain", "4"), ("list", "12"), ("when", str(TS))]


def test_update_sends_only_the_fields_given(mock):
    route = mock.put("/campaign/7").respond(200, json=CAMPAIGN)
    run(lambda c: c.update(7, {"segments": [1, 2, 3], "when": TS, "state": "SCHEDULED"}))
    request = sent(route)
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert parse_qsl(request.content.decode()) == [
        ("segments[]", "1"), ("segments[]", "2"), ("segments[]", "3"), ("when", str(TS)),
        ("state", "SCHEDULED")]


def test_update_clears_the_callback_with_an_empty_value(mock):
    route = mock.put("/campaign/7").respond(200, json=CAMPAIGN)
    run(lambda c: c.update(7, {"event_callback": None, "name": "New", "segments": [3]}))
    assert sent(route).content == b"event_callback=&name=New&segments%5B%5D=3"


def test_update_with_no_segments_means_all_contacts_and_sends_none(mock):
    route = mock.put("/campaign/7").respond(200, json=CAMPAIGN)
    run(lambda c: c.update(7, {"state": "READY", "segments": []}))
    assert sent(route).content == b"state=READY"


@pytest.mark.parametrize("fields,message", [
    ({"list": 13, "segments": [1]}, "PUT does not take list"),
    ({"name": "x"}, "every PUT must carry the campaign's full segments"),
    ({"state": "READY"}, "every PUT must carry the campaign's full segments"),
    ({"domain": "4", "segments": [1]}, "ids must be ints"),
    ({"segments": [True]}, "ids must be ints"),
    ({"state": "draft", "segments": [1]}, "unknown state"),
    ({"when": "2026-12-01T09:00:00", "segments": [1]}, "no time zone"),
])
def test_update_refuses_what_a_put_cannot_say(mock, fields, message):
    route = mock.put("/campaign/7").respond(200, json=CAMPAIGN)
    with pytest.raises(ValueError, match=message):
        run(lambda c: c.update(7, fields))
    assert route.call_count == 0


def test_create_needs_the_required_fields(mock):
    with pytest.raises(ValueError, match="needs `when`"):
        run(lambda c: c.create({"name": "S", "domain": 4, "list": 12}))


def test_forces_replace():
    assert forces_replace("list", 3)
    assert forces_replace("segments", [])
    assert not forces_replace("segments", [1])
    assert not forces_replace("name", "x")


def test_get_and_delete_paths(mock):
    get = mock.get("/campaign/7").respond(200, json={**CAMPAIGN, "when": "2026-12-01T08:00:00Z"})
    delete = mock.delete("/campaign/7").respond(200, json=CAMPAIGN)

    async def both(c):
        return await c.get(7), await c.delete(7), c.http.calls

    got, deleted, calls = run(both)
    assert got["when"] == TS  # an ISO answer is normalised to the int we compare with
    assert deleted == CAMPAIGN
    assert calls == [("GET", "/campaign/7"), ("DELETE", "/campaign/7")]
    for route in (get, delete):
        assert sent(route).content == b""
        assert sent(route).headers["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_404_is_campaign_gone(mock, method):
    getattr(mock, method)("/campaign/9").respond(404, json={"message": "campaign 9 not found"})
    call = {"get": lambda c: c.get(9), "delete": lambda c: c.delete(9),
            "put": lambda c: c.update(9, {"name": "x", "segments": [1]})}[method]
    with pytest.raises(CampaignGone) as info:
        run(call)
    assert isinstance(info.value, ApiError)
    assert info.value.campaign_id == 9
    assert "campaign 9 not found" in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 409, 422])
def test_errors_carry_the_vendor_message_never_the_key(mock, status):
    mock.put("/campaign/7").respond(status, json={"message": "nope"})
    with pytest.raises(ApiError) as info:
        run(lambda c: c.update(7, {"name": "x", "segments": [1]}))
    assert not isinstance(info.value, CampaignGone)
    assert info.value.status == status and "nope" in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)


def test_lost_create_is_outcome_unknown_and_not_retried(mock):
    route = mock.post("/campaign").respond(503)

    async def create(c):
        c.http.max_retries = 3
        return await c.create({"name": "S", "domain": 4, "list": 12, "when": TS})

    with pytest.raises(OutcomeUnknown) as info:
        run(create)
    assert route.call_count == 1
    assert KEY not in str(info.value)


def test_non_json_answer_is_an_error(mock):
    mock.get("/campaign/7").respond(200, text="<html>")
    with pytest.raises(ApiError, match="unreadable answer .*expected a JSON object"):
        run(lambda c: c.get(7))


def test_bad_ids_never_reach_the_wire(mock):
    with pytest.raises(ValueError, match="positive int"):
        run(lambda c: c.get("7/../8"))
