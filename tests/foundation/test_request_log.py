"""The request log (`-v` / `--debug`): every request with its status and time, every retry
decision with its reason and wait, and never a credential or a contact address. Each
vendor's client, at the documented request shapes (respx)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
import respx

from reconciler.errors import OutcomeUnknown
from reconciler.http import VendorHttp, mask_contacts
from reconciler.providers.connectly.client import ConnectlyClient
from reconciler.providers.email_campaigns.client import EmailCampaignsClient
from reconciler.providers.octopush.client import OctopushClient
from reconciler.providers.scheduled_campaigns.client import ScheduledCampaignsClient
from reconciler.secrets import Secret

BASE = "https://api.vendor.test"


@pytest.fixture
def request_log():
    """The lines the request log writes (INFO and up, as with -v)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(record.getMessage())

    logger = logging.getLogger("campaignctl.http")
    handler = Collect()
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def sleeper(waits: list[float]):
    async def sleep(seconds: float) -> None:
        waits.append(seconds)
    return sleep


@respx.mock
def test_a_429_with_retry_after_is_logged_as_the_wait_it_causes(request_log):
    route = respx.get(f"{BASE}/email/senderid/").mock(side_effect=[
        httpx.Response(429, headers={"Retry-After": "2"}, json={"message": "slow down"}),
        httpx.Response(200, json=[])])
    waits: list[float] = []
    client = EmailCampaignsClient(BASE, Secret("tok-Sekrit-1234"), sleep=sleeper(waits))

    assert asyncio.run(client.list_senders()) == []
    assert route.call_count == 2 and waits == [2.0]
    assert request_log[0].startswith("email-campaigns: GET /email/senderid/ 429 (")
    assert request_log[1] == ("email-campaigns: GET /email/senderid/ 429, waiting 2.0 s "
                              "(Retry-After; try 2 of 6)")
    assert request_log[2].startswith("email-campaigns: GET /email/senderid/ 200 (")
    assert request_log[2].endswith(" ms)")


@respx.mock
def test_backoff_and_outcome_unknown_decisions_are_logged(request_log):
    respx.get(f"{BASE}/campaign/7").mock(side_effect=[
        httpx.Response(503), httpx.Response(429), httpx.Response(200, json={"id": 7})])
    respx.post(f"{BASE}/campaign").mock(return_value=httpx.Response(502))
    waits: list[float] = []
    client = ScheduledCampaignsClient(BASE, Secret("sched-Sekrit-99"), sleep=sleeper(waits))

    asyncio.run(client.get(7))
    with pytest.raises(OutcomeUnknown):
        asyncio.run(client.create({"name": "n", "domain": 1, "list": 2, "when": 1}))

    retry_5xx = next(line for line in request_log if "503 (idempotent)" in line)
    assert retry_5xx.startswith("scheduled-campaigns: GET /campaign/7 503 (idempotent), "
                                f"retrying in {waits[0]:.1f} s (backoff; try 2 of 6)")
    no_header = next(line for line in request_log if "no Retry-After" in line)
    assert no_header == (f"scheduled-campaigns: GET /campaign/7 429, waiting {waits[1]:.1f} s "
                         "(backoff, no Retry-After; try 3 of 6)")
    assert request_log[-1] == ("scheduled-campaigns: POST /campaign 502 to a request that is "
                               "not idempotent: outcome unknown, not retried")


@respx.mock
def test_no_credential_of_any_vendor_reaches_the_log(request_log):
    """Each vendor's documented auth: a header (Token, Bearer, api-login/api-key, X-API-Key)
    and Connectly's business id, which travels in the path."""
    secrets = {"mail": "tok-MAIL-5150", "sched": "key-SCHED-8080", "login": "login-OCTO-77",
               "octo": "key-OCTO-3131", "biz": "biz-CONNECTLY-4242", "conn": "key-CONN-6464"}
    respx.get(f"{BASE}/email/optout/").mock(return_value=httpx.Response(200, json=[]))
    respx.route().mock(return_value=httpx.Response(200, json={"data": [], "id": 1}))

    async def calls():
        mail = EmailCampaignsClient(BASE, Secret(secrets["mail"]))
        await mail.list_optouts()
        sched = ScheduledCampaignsClient(BASE, Secret(secrets["sched"]))
        await sched.get(1)
        octo = OctopushClient(BASE, Secret(secrets["login"]), Secret(secrets["octo"]))
        await octo.send_sms_campaign({"text": "hi STOP", "recipients": [
            {"phone_number": "+33612345678"}], "purpose": "alert", "type": "sms_premium"})
        conn = ConnectlyClient(BASE, secrets["biz"], Secret(secrets["conn"]))
        await conn.send_campaigns([{"sender": "+14155550100", "client": "+14155550123",
                                    "campaignName": "spring"}])

    asyncio.run(calls())
    text = "\n".join(request_log)
    assert len(request_log) == 4
    assert "connectly: POST /v1/businesses/****/send/campaigns 200" in text
    for value in secrets.values():
        assert value not in text
    assert "+33612345678" not in text and "+14155550123" not in text


def test_contact_addresses_in_a_path_are_masked_unless_asked():
    path = "/x/?email=ada%40example.com&to=+33612345678&id=57bb010e2cd5264797b017e5"
    assert mask_contacts(path) == "/x/?email=<email>&to=<phone>&id=57bb010e2cd5264797b017e5"
    assert mask_contacts("/y/grace@example.com/z") == "/y/<email>/z"
    shown = VendorHttp("v", BASE, {"X-Key": "k-123456"}, show_contacts=True)
    assert shown.shown("/a?to=%2B33612345678&k=k-123456") == "/a?to=%2B33612345678&k=****"
    assert VendorHttp("v", BASE, {}).shown("/a?to=%2B33612345678") == "/a?to=<phone>"
    # The scheme word is no secret: only the credential after it is hidden.
    bearer = VendorHttp("v", BASE, {"Authorization": "Bearer abc-123"})
    assert bearer.shown("/Bearer/abc-123") == "/Bearer/****"
