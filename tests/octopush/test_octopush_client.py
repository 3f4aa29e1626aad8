import asyncio
import json

import httpx
import pytest
import respx

from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.providers.octopush.client import OctopushClient
from reconciler.secrets import Secret

BASE = "https://api.octopush.test"
LOGIN, KEY = "login-SECRET-1234", "key-SECRET-5678"

SMS_PAYLOAD = {
    "sender": "Shop",
    "send_at": "2030-10-03T07:42:39-07:00",
    "text": "Promo -20% STOP au 30101",
    "recipients": [{"phone_number": "+33612345678", "first_name": "Axelle",
                    "last_name": "Durand", "param1": "a", "param2": None, "param3": None,
                    "param4": None, "param5": None}],
    "purpose": "wholesale",
    "auto_delete_optout_contacts": True,
    "type": "sms_low_cost",
    "list_name": "spring",
    "with_replies": True,
    "simulation_mode": False,
    "recipient_tracking": True,
    "auto_optimize_text": False,
}
EMAIL_PAYLOAD = {
    "recipients": [{"email": "a@example.com", "first_name": "Axelle", "last_name": "Durand"}],
    "subject": "Spring sale",
    "template_name": None,
    "text": "<p>Hello</p>",
    "name_from": "Shop",
    "email_from": "shop@example.com",
    "purpose": "alert",
    "send_at": "2030-10-03T07:42:39+02:00",
    "emailing_service": "gateway",
    "body_format": "html",
    "language": "fr",
    "list_name": "spring",
}
SMS_OK = {"sms_ticket": "sms_5f3fbce61266e", "number_of_contacts": 1, "total_cost": 0.035,
          "number_of_sms_needed": 1, "residual_credit": 50.75, "message": "ok"}


def client(**options) -> OctopushClient:
    sleeps = options.pop("sleeps", [])

    async def sleep(seconds):
        sleeps.append(seconds)

    return OctopushClient(BASE, Secret(LOGIN), Secret(KEY), sleep=sleep, **options)


def run(coro):
    return asyncio.run(coro)


def assert_no_secret(text: str):
    assert LOGIN not in text and KEY not in text


@respx.mock
def test_sms_send_path_headers_and_every_field():
    route = respx.post(f"{BASE}/v1/public/sms-campaign/send").respond(200, json=SMS_OK)
    assert run(client().send_sms_campaign(SMS_PAYLOAD)) == SMS_OK
    request = route.calls.last.request
    assert request.headers["api-login"] == LOGIN
    assert request.headers["api-key"] == KEY
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == SMS_PAYLOAD


@respx.mock
def test_email_send_path_and_fields_none_omitted():
    answer = {"ticket_number": "email_5f3fbce61266e", "number_of_contacts": 1,
              "total_cost": 0.002, "residual_credit": 50.7}
    route = respx.post(f"{BASE}/v1/public/email-campaign/send").respond(200, json=answer)
    assert run(client().send_email_campaign(EMAIL_PAYLOAD)) == answer
    body = json.loads(route.calls.last.request.content)
    assert body == {k: v for k, v in EMAIL_PAYLOAD.items() if v is not None}
    assert "template_name" not in body


def test_undocumented_fields_refused_before_sending():
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(f"{BASE}/v1/public/sms-campaign/send")
        with pytest.raises(ValueError, match="simulaton_mode"):
            run(client().send_sms_campaign({**SMS_PAYLOAD, "simulaton_mode": True}))
        # simulation_mode is not documented for email: the vendor would really send.
        with pytest.raises(ValueError, match="simulation_mode"):
            run(client().send_email_campaign({**EMAIL_PAYLOAD, "simulation_mode": True}))
        with pytest.raises(ValueError, match=r"recipients\[0\].*phone"):
            run(client().send_sms_campaign(
                {**SMS_PAYLOAD, "recipients": [{"phone": "+33612345678"}]}))
        assert not route.called


@respx.mock
def test_code_121_surfaces_vendor_message_and_code():
    respx.post(f"{BASE}/v1/public/sms-campaign/send").respond(
        400, json={"code": 121, "message": "Mention STOP is missing."})
    with pytest.raises(ApiError) as info:
        run(client().send_sms_campaign(SMS_PAYLOAD))
    assert info.value.status == 400
    assert "Mention STOP is missing. (code 121)" in str(info.value)
    assert_no_secret(str(info.value))


@respx.mock
def test_401_is_an_api_error_without_credentials():
    respx.post(f"{BASE}/v1/public/email-campaign/send").respond(
        401, json={"code": 101, "message": "Missing api-login or api-key header."})
    with pytest.raises(ApiError) as info:
        run(client().send_email_campaign(EMAIL_PAYLOAD))
    assert info.value.status == 401
    assert "(code 101)" in str(info.value)
    assert_no_secret(str(info.value))


@pytest.mark.parametrize("failure", [
    httpx.Response(500, json={"code": 500, "message": "oops"}),
    httpx.Response(503),
    httpx.ReadTimeout("timed out"),
    httpx.RemoteProtocolError("peer closed connection"),
])
def test_send_never_retried_when_outcome_unknown(failure):
    with respx.mock:
        route = respx.post(f"{BASE}/v1/public/sms-campaign/send")
        if isinstance(failure, Exception):
            route.side_effect = failure
        else:
            route.return_value = failure
        c = client()
        with pytest.raises(OutcomeUnknown) as info:
            run(c.send_sms_campaign(SMS_PAYLOAD))
        assert route.call_count == 1
        assert c.http.write_calls == 1
        assert_no_secret(str(info.value))


@respx.mock
def test_429_is_retried_after_retry_after():
    sleeps: list[float] = []
    route = respx.post(f"{BASE}/v1/public/sms-campaign/send")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3"}, json={"code": 429, "message": "x"}),
        httpx.Response(200, json=SMS_OK),
    ]
    assert run(client(sleeps=sleeps).send_sms_campaign(SMS_PAYLOAD)) == SMS_OK
    assert route.call_count == 2
    assert sleeps == [3.0]

