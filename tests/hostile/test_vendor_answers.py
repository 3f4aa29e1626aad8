"""Issue 26: what the vendor fuzzing (test_vendor_fuzz.py) found, one case each, at each
client's documented request shape (respx): an answer a client cannot read is an outcome
unknown for a write (never redone blindly: the send ledger and the state say `unknown`)
and a clean error for a read; never a traceback."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.providers.connectly.client import ConnectlyClient
from reconciler.providers.email_campaigns.client import EmailCampaignsClient
from reconciler.providers.octopush.client import OctopushClient
from reconciler.providers.octopush.provider import _cost
from reconciler.providers.scheduled_campaigns.client import ScheduledCampaignsClient
from reconciler.secrets import Secret

BASE = "https://vendor.test"
ODD = [
    ("not JSON", {"content": b"{"}),
    ("an HTML gateway page", {"content": b"<html>502 Bad Gateway</html>",
                              "headers": {"Content-Type": "text/html"}}),
    ("truncated", {"content": b'{"sms_ticket": "sms_5f3f'}),
    ("empty", {"content": b""}),
    # (a stream: given as content, httpx would decode it at once, in the test)
    ("a gzip Content-Encoding that is not gzip", {"stream": httpx.ByteStream(b"{}"),
                                                 "headers": {"Content-Encoding": "gzip"}}),
    ("nested 5,000 deep", {"content": b"[" * 5000 + b"]" * 5000}),
]
#: JSON objects, as a create's answer, that name nothing that was created
NO_ID = [("{}", b"{}"), ("a byte order mark and {}", "\ufeff{}".encode()),
         ("an id that is true", b'{"id": true}'), ("an id that is text", b'{"id": "7"}'),
         ("an id of 0", b'{"id": 0}'), ("an $_id without $oid", b'{"$_id": {}}')]
OCTOPUSH_SMS = {"text": "Hi STOP au 30101", "recipients": [{"phone_number": "+33600000001"}],
                "purpose": "wholesale", "type": "sms_premium"}


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("case,answer", ODD, ids=[c for c, _ in ODD])
def test_a_send_answered_in_unreadable_words_is_an_unknown_outcome(case, answer):
    octopush = OctopushClient(BASE, Secret("login@x.example"), Secret("key-1"))
    connectly = ConnectlyClient(BASE, "biz-1", Secret("key-2"))
    with respx.mock(base_url=BASE) as mock:
        sms = mock.post("/v1/public/sms-campaign/send").mock(
            return_value=httpx.Response(201, **answer))
        sendout = mock.post("/v1/businesses/biz-1/send/campaigns").mock(
            return_value=httpx.Response(200, **answer))
        with pytest.raises(OutcomeUnknown) as caught:
            run(octopush.send_sms_campaign(OCTOPUSH_SMS))
        assert "it was not retried" in str(caught.value)
        with pytest.raises(OutcomeUnknown):
            run(connectly.send_campaigns([{"sender": "+14155550100", "client": "+14155550123",
                                           "campaignName": "spring"}]))
    assert sms.call_count == 1 and sendout.call_count == 1  # never sent again


@pytest.mark.parametrize("case,answer", ODD, ids=[c for c, _ in ODD])
def test_a_create_answered_in_unreadable_words_is_an_unknown_outcome(case, answer):
    """scheduled-campaigns took it for a refusal (ApiError): the next apply would have
    created the campaign, and sent it, a second time."""
    sched = ScheduledCampaignsClient(BASE, Secret("key-3"))
    mail = EmailCampaignsClient(BASE, Secret("tok-4"))
    with respx.mock(base_url=BASE) as mock:
        created = mock.post("/campaign").mock(return_value=httpx.Response(200, **answer))
        mock.post("/email/senderid/").mock(return_value=httpx.Response(201, **answer))
        with pytest.raises(OutcomeUnknown):
            run(sched.create({"name": "winter", "domain": 1, "list": 1, "state": "DRAFT",
                             "when": 1900000000}))
        with pytest.raises(OutcomeUnknown):
            run(mail.create_sender("News", "news@acme.example"))
    assert created.call_count == 1


@pytest.mark.parametrize("case,answer", ODD, ids=[c for c, _ in ODD])
def test_a_read_answered_in_unreadable_words_is_a_clean_error(case, answer):
    sched = ScheduledCampaignsClient(BASE, Secret("key-3"))
    mail = EmailCampaignsClient(BASE, Secret("tok-4"))
    with respx.mock(base_url=BASE) as mock:
        mock.get("/campaign/7").mock(return_value=httpx.Response(200, **answer))
        mock.get("/email/senderid/").mock(return_value=httpx.Response(200, **answer))
        with pytest.raises(ApiError, match="unreadable answer|DecodingError"):
            run(sched.get(7))
        with pytest.raises(ApiError, match="unreadable answer|DecodingError"):
            run(mail.list_senders())


@pytest.mark.parametrize("status", [301, 302, 304, 307])
def test_a_redirect_to_a_send_is_not_taken_for_a_success(status):
    octopush = OctopushClient(BASE, Secret("login@x.example"), Secret("key-1"))
    with respx.mock(base_url=BASE) as mock:
        mock.post("/v1/public/sms-campaign/send").mock(return_value=httpx.Response(
            status, headers={"Location": "https://elsewhere.test/"}, json={"sms_ticket": "x"}))
        with pytest.raises(OutcomeUnknown, match=f"HTTP {status}"):
            run(octopush.send_sms_campaign(OCTOPUSH_SMS))


@pytest.mark.parametrize("value,cost", [(5.5, 5.5), ("5.00502839", 5.00502839), ("inf", None),
                                        ("nan", None), ("1e999", None), (-3, None), ([], None),
                                        ({}, None), (True, None), ("x", None)])
def test_only_a_finite_cost_from_an_answer_reaches_the_ledger(value, cost):
    assert _cost(value) == cost


@pytest.mark.parametrize("case,answer", [
    ("nested 5,000 deep", {"content": b"[" * 5000 + b"]" * 5000}),
    ("a megabyte message forging lines", {"json": {"message": "no\r\n+ create Fake/x " * 50_000,
                                                   "code": "\x1b[2J"}}),
    ("a non-JSON body with a bidi override", {"content": "refused \u202e".encode() * 1000}),
])
def test_a_refusal_in_odd_words_is_one_short_line(case, answer):
    octopush = OctopushClient(BASE, Secret("login@x.example"), Secret("key-1"))
    with respx.mock(base_url=BASE) as mock:
        mock.post("/v1/public/sms-campaign/send").mock(return_value=httpx.Response(400,
                                                                                   **answer))
        with pytest.raises(ApiError) as caught:
            run(octopush.send_sms_campaign(OCTOPUSH_SMS))
    message = str(caught.value)
    assert caught.value.status == 400 and len(message) < 500, message
    assert message.isprintable(), message


@pytest.mark.parametrize("case,body", NO_ID, ids=[c for c, _ in NO_ID])
def test_a_create_answered_without_an_id_is_an_unknown_outcome(case, body):
    """Found by the fuzzing: scheduled-campaigns took `{}` (here with a byte order mark)
    for an error with nothing created, and the next apply created, and would have sent,
    the campaign a second time."""
    sched = ScheduledCampaignsClient(BASE, Secret("key-3"))
    mail = EmailCampaignsClient(BASE, Secret("tok-4"))
    with respx.mock(base_url=BASE) as mock:
        mock.post("/campaign").mock(return_value=httpx.Response(201, content=body))
        mock.post("/email/senderid/").mock(return_value=httpx.Response(201, content=body))
        with pytest.raises(OutcomeUnknown, match="no campaign id"):
            run(sched.create({"name": "winter", "domain": 1, "list": 1, "state": "DRAFT",
                              "when": 1900000000}))
        with pytest.raises(OutcomeUnknown):
            run(mail.create_sender("News", "news@acme.example"))
