import asyncio
import json

import httpx
import pytest
import respx

from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.providers.connectly.client import ConnectlyClient
from reconciler.secrets import Secret

BASE = "https://api.connectly.test"
KEY = "ck-SECRET-123456"
BUSINESS = "biz-42"
PATH = f"{BASE}/v1/businesses/{BUSINESS}/send/campaigns"
ENTRY = {"sender": "+15550001111", "client": "+33612345678", "campaignName": "spring",
         "variables": {"first_name": "Axelle"}, "campaignVersion": "v2",
         "scheduledAt": "2030-01-01T09:00:00+01:00"}
OK = {"data": [{"id": "1", "client": "+33612345678", "campaignName": "spring",
                "status": "accepted"}]}


def client(sleeps=None, **options) -> ConnectlyClient:
    async def sleep(seconds):
        (sleeps if sleeps is not None else []).append(seconds)

    return ConnectlyClient(BASE, BUSINESS, Secret(KEY), sleep=sleep, **options)


def run(coro):
    return asyncio.run(coro)


@respx.mock
def test_path_header_and_body_array_with_every_field():
    route = respx.post(PATH).respond(200, json=OK)
    second = {**ENTRY, "client": "+33698765432", "scheduledAt": None, "variables": None}
    assert run(client().send_campaigns([ENTRY, second])) == OK
    request = route.calls.last.request
    assert request.headers["X-API-Key"] == KEY
    assert json.loads(request.content) == [
        ENTRY, {k: v for k, v in second.items() if v is not None}]


def test_business_id_is_quoted_and_required():
    assert client().send_path == f"/v1/businesses/{BUSINESS}/send/campaigns"
    odd = ConnectlyClient(BASE, "a/b?c", Secret(KEY))
    assert odd.send_path == "/v1/businesses/a%2Fb%3Fc/send/campaigns"
    with pytest.raises(ValueError):
        ConnectlyClient(BASE, "", Secret(KEY))


def test_refuses_empty_and_undocumented_entries():
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(PATH)
        with pytest.raises(ValueError):
            run(client().send_campaigns([]))
        with pytest.raises(ValueError, match="campaign_name"):
            run(client().send_campaigns([{**ENTRY, "campaign_name": "x"}]))
        assert not route.called


def test_uses_rate_limit():
    assert client().http.limiter.interval == pytest.approx(1 / 190)
    assert client(rate_limit=50).http.limiter.interval == pytest.approx(1 / 50)


@respx.mock
def test_errors_carry_vendor_message_not_key():
    respx.post(PATH).respond(401, json={"code": 16, "message": "missing X-API-Key header"})
    with pytest.raises(ApiError) as info:
        run(client().send_campaigns([ENTRY]))
    assert info.value.status == 401
    assert "missing X-API-Key header (code 16)" in str(info.value)
    assert KEY not in str(info.value)


@pytest.mark.parametrize("failure", [httpx.Response(502), httpx.ReadTimeout("t"),
                                     httpx.ReadError("reset")])
def test_send_not_retried_when_outcome_unknown(failure):
    with respx.mock:
        route = respx.post(PATH)
        if isinstance(failure, Exception):
            route.side_effect = failure
        else:
            route.return_value = failure
        with pytest.raises(OutcomeUnknown):
            run(client().send_campaigns([ENTRY]))
        assert route.call_count == 1


@respx.mock
def test_429_retried_after_retry_after():
    sleeps: list[float] = []
    route = respx.post(PATH)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "1"}),
                         httpx.Response(429, headers={"Retry-After": "1"}),
                         httpx.Response(200, json=OK)]
    assert run(client(sleeps).send_campaigns([ENTRY])) == OK
    assert route.call_count == 3
    assert sleeps == [1.0, 1.0]
