import asyncio
import re

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.octopush.client import OctopushClient
from reconciler.sandbox.app import build_app
from reconciler.sandbox.octopush import SMS_PRICE, START_CREDIT
from reconciler.secrets import Secret

URL = "http://sandbox.invalid"


def phones(n: int, start: int = 0) -> list[dict]:
    return [{"phone_number": f"+336{10000000 + start + i}"} for i in range(n)]


def sms(**overrides) -> dict:
    return {"sender": "Shop", "text": "Promo -20% STOP au 30101", "purpose": "wholesale",
            "recipients": phones(3), **overrides}


def email(**overrides) -> dict:
    return {"recipients": [{"email": "a@example.com"}, {"email": "B@Example.com"}],
            "subject": "Spring sale", "text": "Hello", "name_from": "Shop",
            "email_from": "shop@example.com", **overrides}


@pytest.fixture
def sandbox(tmp_path):
    transport = httpx.ASGITransport(app=build_app(tmp_path, [
        ("octopush", {"api_login": "me", "api_key": "k"})]))

    def call(coro_fn, login="me", key="k"):
        async def main():
            async with OctopushClient(URL, Secret(login), Secret(key),
                                      transport=transport) as client:
                return await coro_fn(client)
        return asyncio.run(main())

    def get(path):
        async def main():
            async with httpx.AsyncClient(transport=transport, base_url=URL) as raw:
                return (await raw.get(path)).json()
        return asyncio.run(main())

    call.get = get
    return call


def test_sms_success_is_documented_shape_and_computed(sandbox):
    text = "Bonjour ê STOP " + "x" * 60  # UCS-2, 75 units -> 2 SMS each
    first = sandbox(lambda c: c.send_sms_campaign(sms(text=text)))
    assert set(first) == {"sms_ticket", "number_of_contacts", "total_cost",
                          "number_of_sms_needed", "residual_credit", "message"}
    assert re.fullmatch(r"sms_[0-9a-f]+", first["sms_ticket"])
    assert first["number_of_contacts"] == 3
    assert first["number_of_sms_needed"] == 6
    assert first["total_cost"] == pytest.approx(6 * SMS_PRICE["sms_premium"])
    assert first["residual_credit"] == pytest.approx(START_CREDIT - first["total_cost"])
    second = sandbox(lambda c: c.send_sms_campaign(
        sms(type="sms_low_cost", recipients=phones(2, 10))))
    assert second["total_cost"] == pytest.approx(2 * SMS_PRICE["sms_low_cost"])
    assert second["residual_credit"] == pytest.approx(
        first["residual_credit"] - second["total_cost"])


@pytest.mark.parametrize(("payload", "code", "fragment"), [
    (sms(text="Promo -20%"), 121, "Mention STOP is missing."),
    (sms(sender="ab"), 106, "sender"),
    (sms(sender="Shop!"), 106, "sender"),
    (sms(sender="TwelveChars1"), 106, "sender"),
    (sms(text=""), 107, "text"),
    (sms(text="STOP" + "x" * 1221), 107, "text"),
    (sms(recipients=[]), 110, "recipients"),
    (sms(recipients=[{"phone_number": "0612345678"}]), 110, "recipients[0]"),
    (sms(recipients=[{"phone_number": "+1234567"}]), 110, "recipients[0]"),
    (sms(recipients=phones(1) + [{"phone_number": "+1234567890123456"}]), 110,
     "recipients[1]"),
    (sms(purpose="marketing"), 113, "purpose"),
    (sms(type="sms_cheap"), 112, "type"),
    (sms(send_at="2030-10-03 07:42"), 111, "send_at"),
    (sms(send_at="2030-10-03T07:42:39"), 111, "send_at"),
    (sms(with_replies="yes"), 114, "with_replies"),
])
def test_sms_validation(sandbox, payload, code, fragment):
    with pytest.raises(ApiError) as info:
        sandbox(lambda c: c.send_sms_campaign(payload))
    assert info.value.status == 400
    assert fragment in info.value.detail and f"(code {code})" in info.value.detail
    assert sandbox.get("/_sandbox/octopush/deliveries")["total"] == 0


def test_boundaries_accepted(sandbox):
    sandbox(lambda c: c.send_sms_campaign(sms(text="STOP" + "x" * 1220, sender="abc")))
    sandbox(lambda c: c.send_sms_campaign(sms(sender="Abcdefghij1")))
    # Purpose defaults to wholesale (marketing): STOP still required.
    payload = sms(text="Your code is 1234")
    del payload["purpose"]
    with pytest.raises(ApiError, match="code 121"):
        sandbox(lambda c: c.send_sms_campaign(payload))
    sandbox(lambda c: c.send_sms_campaign(sms(text="Your code is 1234", purpose="alert",
                                              send_at="2030-01-01T09:00:00Z")))
    assert sandbox.get("/_sandbox/octopush/deliveries")["total"] == 9


def test_missing_credentials_is_401(sandbox):
    for login, key in [("", "k"), ("me", ""), (" ", "k")]:
        with pytest.raises(ApiError) as info:
            sandbox(lambda c: c.send_sms_campaign(sms()), login=login, key=key)
        assert info.value.status == 401
        assert "code" in info.value.detail


def test_simulation_mode_validates_prices_and_records_nothing(sandbox):
    fake = sandbox(lambda c: c.send_sms_campaign(sms(simulation_mode=True)))
    assert fake["number_of_sms_needed"] == 3
    assert fake["total_cost"] == pytest.approx(3 * SMS_PRICE["sms_premium"])
    assert fake["residual_credit"] == pytest.approx(START_CREDIT)
    with pytest.raises(ApiError, match="code 121"):
        sandbox(lambda c: c.send_sms_campaign(sms(simulation_mode=True, text="no mention")))
    assert sandbox.get("/_sandbox/octopush/deliveries")["total"] == 0
    real = sandbox(lambda c: c.send_sms_campaign(sms()))
    assert real["residual_credit"] == pytest.approx(START_CREDIT - fake["total_cost"])


def test_email_success_and_validation(sandbox):
    answer = sandbox(lambda c: c.send_email_campaign(
        email(body_format="html", emailing_service="mailbox", language="fr")))
    assert set(answer) == {"ticket_number", "number_of_contacts", "total_cost",
                           "residual_credit"}
    assert re.fullmatch(r"email_[0-9a-f]+", answer["ticket_number"])
    assert answer["number_of_contacts"] == 2
    template = email(template_name="spring")
    del template["text"]
    sandbox(lambda c: c.send_email_campaign(template))
    bad = [
        email(recipients=[{"email": "not-an-email"}]),
        email(recipients=[{"phone_number": "+33612345678"}]),
        email(subject=""),
        email(email_from="shop"),
        email(name_from=None),
        email(template_name="spring"),  # both text and template
        email(text=None),  # neither
        email(body_format="markdown"),
        email(emailing_service="smtp"),
        email(purpose="marketing"),
    ]
    for payload in bad:
        with pytest.raises(ApiError) as info:
            sandbox(lambda c, p=payload: c.send_email_campaign(p))
        assert info.value.status == 400
    summary = sandbox.get("/_sandbox/octopush/deliveries")
    assert summary["total"] == 4
    assert summary["by_campaign"]["Spring sale"] == {
        "channel": "email", "total": 4, "distinct_recipients": 2}
    assert {d["recipient"] for d in summary["duplicates"]} == {"a@example.com",
                                                                "b@example.com"}


def test_deliveries_summary_finds_duplicates(sandbox):
    sandbox(lambda c: c.send_sms_campaign(sms(recipients=phones(500))))
    sandbox(lambda c: c.send_sms_campaign(sms(recipients=phones(2, 499))))
    sandbox(lambda c: c.send_sms_campaign(sms(text="Other STOP", recipients=phones(1))))
    summary = sandbox.get("/_sandbox/octopush/deliveries")
    assert summary["total"] == 503
    assert summary["distinct_recipients"] == 501
    # +33610000000 got two different campaigns: not a duplicate.
    assert summary["duplicates"] == [{"recipient": "+33610000499",
                                      "campaign": "Promo -20% STOP au 30101", "count": 2}]
    assert summary["by_campaign"]["Other STOP"]["total"] == 1


def test_large_campaign_is_recorded_and_summarised(sandbox):
    sandbox(lambda c: c.send_sms_campaign(sms(recipients=phones(100_000), type="sms_low_cost")))
    summary = sandbox.get("/_sandbox/octopush/deliveries")
    assert summary["total"] == summary["distinct_recipients"] == 100_000
    assert summary["duplicates"] == []
    with pytest.raises(ApiError, match="Too many recipients"):
        sandbox(lambda c: c.send_sms_campaign(sms(recipients=phones(100_002))))
