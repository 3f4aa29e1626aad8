import asyncio
import time

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.connectly.client import ConnectlyClient
from reconciler.sandbox.app import build_app
from reconciler.secrets import Secret

URL = "http://sandbox.invalid"
BUSINESS = "biz-1"
PATH = f"/v1/businesses/{BUSINESS}/send/campaigns"


def entry(i: int = 0, **overrides) -> dict:
    return {"sender": "+15550001111", "client": f"+3361{i:07d}", "campaignName": "spring",
            "variables": {"first_name": "Axelle"}, "campaignVersion": "v1",
            "scheduledAt": "2030-01-01T09:00:00+01:00", **overrides}


@pytest.fixture
def transport(tmp_path):
    return httpx.ASGITransport(app=build_app(tmp_path, [
        ("connectly", {"business_id": BUSINESS, "api_key": "k"}),
        ("connectly", {"business_id": "other", "api_key": "k"})]))


def send(transport, entries, key="k", **options):
    async def main():
        async with ConnectlyClient(URL, BUSINESS, Secret(key), transport=transport,
                                   **options) as client:
            return await client.send_campaigns(entries)
    return asyncio.run(main())


def deliveries(transport):
    async def main():
        async with httpx.AsyncClient(transport=transport, base_url=URL) as raw:
            return (await raw.get("/_sandbox/connectly/deliveries")).json()
    return asyncio.run(main())


def test_accepts_and_records(transport):
    answer = send(transport, [entry(0), entry(1, variables=None, scheduledAt=None)])
    assert [d["status"] for d in answer["data"]] == ["accepted", "accepted"]
    assert [d["client"] for d in answer["data"]] == ["+33610000000", "+33610000001"]
    assert all(d["campaignName"] == "spring" and d["id"] for d in answer["data"])
    send(transport, [entry(0)])
    send(transport, [entry(0, campaignVersion="v2")])
    summary = deliveries(transport)
    assert summary["total"] == 4 and summary["distinct_recipients"] == 2
    assert summary["duplicates"] == [
        {"recipient": "+33610000000", "campaign": "spring@v1", "count": 2}]
    assert summary["by_campaign"]["spring@v2"]["total"] == 1


@pytest.mark.parametrize(("entries", "fragment"), [
    ([entry(client="0612345678")], "entries[0].client"),
    ([entry(0), entry(1, sender="Shop")], "entries[1].sender"),
    ([entry(campaignName="")], "campaignName"),
    ([entry(variables={"n": 1})], "variables"),
    ([entry(variables=["a"])], "variables"),
    ([entry(campaignVersion=2)], "campaignVersion"),
    ([entry(scheduledAt="tomorrow")], "scheduledAt"),
    ([entry(scheduledAt="2030-01-01T09:00:00")], "scheduledAt"),
])
def test_validation_rejects_whole_request(transport, entries, fragment):
    with pytest.raises(ApiError) as info:
        send(transport, entries)
    assert info.value.status == 400 and fragment in info.value.detail
    assert deliveries(transport)["total"] == 0


def test_body_must_be_a_non_empty_array_and_key_required(transport):
    async def main():
        async with httpx.AsyncClient(transport=transport, base_url=URL,
                                     headers={"X-API-Key": "k"}) as raw:
            assert (await raw.post(PATH, json=entry())).status_code == 400
            assert (await raw.post(PATH, json=[])).status_code == 400
            assert (await raw.post(PATH, content=b"[{")).status_code == 400
            assert (await raw.post(PATH, json=[entry()] * 1001)).status_code == 400
            no_key = await raw.post(PATH, json=[entry()], headers={"X-API-Key": ""})
            assert no_key.status_code == 401 and no_key.json()["code"] == 16
    asyncio.run(main())
    with pytest.raises(ApiError) as info:
        send(transport, [entry()], key="")
    assert info.value.status == 401
    assert deliveries(transport)["total"] == 0


def test_more_than_200_requests_per_second_get_429_and_nothing_accepted(transport, monkeypatch):
    # Freeze the emulator's clock: all 250 requests fall in one window however slow the
    # machine is (a timing-dependent test would be flaky on a loaded CI runner).
    from reconciler.sandbox import connectly as emulator
    frozen = time.monotonic()
    monkeypatch.setattr(emulator.SlidingWindow, "clock", staticmethod(lambda: frozen))

    async def main():
        async with httpx.AsyncClient(transport=transport, base_url=URL,
                                     headers={"X-API-Key": "k"}) as raw:
            answers = await asyncio.gather(*(raw.post(PATH, json=[]) for _ in range(250)))
            limited = [a for a in answers if a.status_code == 429]
            assert len(limited) == 50
            assert all(a.headers["Retry-After"] == "1" for a in limited)
            valid = await raw.post(PATH, json=[entry()])
            assert valid.status_code == 429
            # Another business has its own window.
            other = await raw.post("/v1/businesses/other/send/campaigns", json=[entry()])
            assert other.status_code == 200
    asyncio.run(main())
    assert deliveries(transport)["total"] == 1


def test_client_retries_429_after_retry_after(transport, monkeypatch):
    # The emulator's window runs on a fake clock that only the client's waiting moves.
    from reconciler.sandbox import connectly as emulator
    now = [time.monotonic()]
    monkeypatch.setattr(emulator.SlidingWindow, "clock", staticmethod(lambda: now[0]))
    waits = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    async def main():
        async with httpx.AsyncClient(transport=transport, base_url=URL,
                                     headers={"X-API-Key": "k"}) as raw:
            await asyncio.gather(*(raw.post(PATH, json=[]) for _ in range(200)))
        async with ConnectlyClient(URL, BUSINESS, Secret("k"), transport=transport,
                                   sleep=fake_sleep) as c:
            answer = await c.send_campaigns([entry()])
            return answer, c.http.calls
    answer, calls = asyncio.run(main())
    assert answer["data"][0]["status"] == "accepted"
    assert len(calls) == 2  # one 429, then accepted after waiting Retry-After
    assert 1.0 in waits
    assert deliveries(transport)["total"] == 1


def test_client_rate_limit_stays_under_the_vendor_limit(transport):
    async def main():
        async with ConnectlyClient(URL, BUSINESS, Secret("k"), transport=transport,
                                   max_concurrency=50) as c:
            await asyncio.gather(*(c.send_campaigns([entry(i)]) for i in range(250)))
            return c.http.calls
    calls = asyncio.run(main())
    assert len(calls) == 250  # no request was ever refused with 429
    assert deliveries(transport)["total"] == 250
