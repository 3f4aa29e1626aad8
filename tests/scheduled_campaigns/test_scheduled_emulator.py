"""The emulator, driven through the real client over ASGI."""

import asyncio
import json

import httpx
import pytest

from reconciler.errors import ApiError
from reconciler.providers.scheduled_campaigns.client import CampaignGone, ScheduledCampaignsClient
from reconciler.providers.scheduled_campaigns.states import CLIENT_EDGES, DESIRABLE, STATES
from reconciler.sandbox.app import build_app
from reconciler.secrets import Secret

URL = "http://sandbox.invalid"
KEY = "sandbox-key-123456"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Bearer {KEY}"}
CALLBACK = "https://hooks.example.com/cb?team=crm&sig=a%2Fb+c&x="
KEYS = {"id", "name", "domain", "list", "segments", "state", "when", "event_callback",
        "created", "updated"}


class Sandbox:
    def __init__(self, client: ScheduledCampaignsClient, raw: httpx.AsyncClient):
        self.client, self.raw = client, raw

    async def now(self) -> int:
        return int((await self.raw.get("/_sandbox/clock")).json()["timestamp"])

    async def advance(self, seconds: int) -> None:
        (await self.raw.post("/_sandbox/clock", json={"advance_seconds": seconds})).raise_for_status()

    async def create(self, **fields):
        base = {"name": "Spring", "domain": 4, "list": 12, "when": await self.now() + 86400}
        return await self.client.create({**base, **fields})

    async def force(self, campaign_id: int, state: str):
        r = await self.raw.post(f"/_sandbox/scheduled-campaigns/campaigns/{campaign_id}/state",
                                json={"state": state})
        r.raise_for_status()
        return r.json()

    async def all(self):
        return (await self.raw.get("/_sandbox/scheduled-campaigns/campaigns")).json()["campaigns"]


def run(tmp_path, fn):
    async def main():
        transport = httpx.ASGITransport(app=build_app(tmp_path, [
            ("scheduled-campaigns", {"api_key": KEY})]))
        client = ScheduledCampaignsClient(URL, Secret(KEY), transport=transport, max_retries=0)
        raw = httpx.AsyncClient(transport=transport, base_url=URL)
        try:
            return await fn(Sandbox(client, raw))
        finally:
            await client.aclose()
            await raw.aclose()
    return asyncio.run(main())


def test_create_get_and_the_response_shape(tmp_path):
    async def go(sb):
        created = await sb.create(segments=[7, 3, 7], event_callback=CALLBACK,
                                  when="2026-12-01T09:00:00+01:00")
        return created, await sb.client.get(created["id"]), await sb.now()

    created, got, now = run(tmp_path, go)
    assert set(created) == KEYS and got == created
    assert created["id"] == 1 and created["state"] == "DRAFT"
    assert created["segments"] == [7, 3] and created["when"] == 1796112000
    assert created["event_callback"] == CALLBACK  # query string unchanged
    assert abs(created["created"] - now) <= 2 and created["updated"] == created["created"]


def test_ids_increase_and_are_never_reused(tmp_path):
    async def go(sb):
        a, b = await sb.create(), await sb.create()
        await sb.client.delete(b["id"])
        return a["id"], b["id"], (await sb.create())["id"]

    assert run(tmp_path, go) == (1, 2, 3)


@pytest.mark.parametrize("state", sorted(DESIRABLE))
def test_create_in_each_desirable_state(tmp_path, state):
    assert run(tmp_path, lambda sb: sb.create(state=state))["state"] == state


@pytest.mark.parametrize("body,message", [
    ("domain=4&list=12&when=1796112000", "missing required parameter(s): name"),
    ("name=S&list=12&when=1796112000", "domain"),
    ("name=S&domain=4&when=1796112000", "list"),
    ("name=S&domain=4&list=12", "when"),
    ("name=S&domain=4&list=12&when=1796112000&state=SENDING", "created as DRAFT"),
    ("name=S&domain=4&list=12&when=1796112000&state=draft", "state must be one of"),
    ("name=S&domain=abc&list=12&when=1796112000", "domain must be a positive integer"),
    ("name=S&domain=4&list=1.5&when=1796112000", "list must be"),
    ("name=S&domain=4&list=0&when=1796112000", "list must be"),
    ("name=S&domain=4&list=12&when=1796112000&segments%5B%5D=", "segments[] must be"),
    ("name=S&domain=4&list=12&when=1796112000&segments%5B%5D=-1", "segments[] must be"),
    ("name=S&domain=4&list=12&when=1796112000&segments=3", "unknown parameter 'segments'"),
    ("name=S&domain=4&list=12&when=1796112000&color=red", "unknown parameter 'color'"),
    ("name=S&name=T&domain=4&list=12&when=1796112000", "more than once"),
    ("name=&domain=4&list=12&when=1796112000", "name must not be empty"),
    ("name=S&domain=4&list=12&when=2026-12-01T09%3A00%3A00", "no time zone"),
    ("name=S&domain=4&list=12&when=soon", "neither a Unix timestamp"),
    ("name=S&domain=4&list=12&when=1796112000&event_callback=ftp%3A%2F%2Fx", "http"),
    ("name=S&domain=4&list=12&when=1796112000&event_callback=not+a+url", "event_callback"),
    ("name=S&domain=4&list=12&when=1796112000&oops", "malformed"),
])
def test_create_rejects_bad_forms(tmp_path, body, message):
    async def go(sb):
        r = await sb.raw.post("/campaign", content=body, headers=FORM)
        return r.status_code, r.json()["message"], await sb.all()

    status, text, stored = run(tmp_path, go)
    assert (status, stored) == (400, [])
    assert message in text


def test_json_bodies_are_rejected(tmp_path):
    async def go(sb):
        return await sb.raw.post("/campaign", headers={"Authorization": f"Bearer {KEY}"}, json={
            "name": "S", "domain": 4, "list": 12, "when": 1796112000})

    r = run(tmp_path, go)
    assert r.status_code == 400 and "x-www-form-urlencoded" in r.json()["message"]


@pytest.mark.parametrize("auth", [None, "", "Bearer", "Bearer  ", f"Basic {KEY}", KEY])
def test_401_without_a_bearer_key(tmp_path, auth):
    async def go(sb):
        headers = {} if auth is None else {"Authorization": auth}
        created = await sb.create()
        return [await sb.raw.request(m, p, headers=headers) for m, p in [
            ("GET", f"/campaign/{created['id']}"), ("PUT", f"/campaign/{created['id']}"),
            ("DELETE", f"/campaign/{created['id']}"), ("POST", "/campaign")]]

    for response in run(tmp_path, go):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_put_changes_only_the_fields_given(tmp_path):
    async def go(sb):
        created = await sb.create(segments=[1, 2], event_callback=CALLBACK)
        await sb.advance(5)
        renamed = await sb.client.update(created["id"], {"name": "Autumn", "segments": [1, 2]})
        moved = await sb.client.update(created["id"], {
            "segments": [9], "domain": 5, "when": "2027-01-01T00:00:00Z", "event_callback": None})
        same = await sb.client.update(created["id"], {"name": "Autumn", "segments": [9]})
        return created, renamed, moved, same

    created, renamed, moved, same = run(tmp_path, go)
    assert renamed == {**created, "name": "Autumn", "updated": renamed["updated"]}
    assert renamed["updated"] >= created["updated"] + 5
    assert moved["segments"] == [9] and moved["domain"] == 5 and moved["list"] == 12
    assert moved["when"] == 1798761600 and moved["event_callback"] is None
    assert same == moved  # nothing changed: `updated` stays


def test_a_put_without_segments_targets_all_contacts(tmp_path):
    """The doc's PUT table: segments[] "If none, campaign sends to all contacts"."""
    async def go(sb):
        created = await sb.create(segments=[1, 2])
        path = f"/campaign/{created['id']}"
        return (await sb.raw.put(path, content="name=Renamed", headers=FORM)).json()

    assert run(tmp_path, go)["segments"] == []


def test_the_client_refuses_a_put_without_the_segments(tmp_path):
    async def go(sb):
        created = await sb.create(segments=[1, 2])
        with pytest.raises(ValueError, match="full segments"):
            await sb.client.update(created["id"], {"name": "Renamed"})
        return await sb.client.get(created["id"])

    assert run(tmp_path, go)["segments"] == [1, 2]


def test_put_rejects_list_and_unknown_fields(tmp_path):
    async def go(sb):
        created = await sb.create()
        path = f"/campaign/{created['id']}"
        return [await sb.raw.put(path, content=body, headers=FORM)
                for body in ("list=13", "id=5", "segments%5B%5D=x", "state=PAUSED")]

    responses = run(tmp_path, go)
    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    assert "list cannot be changed" in responses[0].json()["message"]


@pytest.mark.parametrize("src", sorted(DESIRABLE))
@pytest.mark.parametrize("dst", STATES)
def test_every_state_edge(tmp_path, src, dst):
    allowed = src == dst or (src, dst) in CLIENT_EDGES

    async def go(sb):
        created = await sb.create(state=src)
        try:
            return await sb.client.update(created["id"], {"segments": [], "state": dst})
        except ApiError as exc:
            return exc
        finally:
            assert (await sb.client.get(created["id"]))["state"] == (dst if allowed else src)

    result = run(tmp_path, go)
    if allowed:
        assert result["state"] == dst
    else:
        assert isinstance(result, ApiError) and result.status == 409
        assert f"cannot move from {src} to {dst} in one request" in result.detail


def test_walking_a_path_one_edge_per_request(tmp_path):
    async def go(sb):
        c = await sb.create()
        for state in ("SCHEDULED", "READY", "SCHEDULED", "DRAFT"):
            c = await sb.client.update(c["id"], {"segments": [], "state": state})
            assert c["state"] == state
        return c

    run(tmp_path, go)


def frozen_campaign(sb, state):
    async def make():
        if state == "ERROR":
            return await sb.force((await sb.create(state="READY"))["id"], "ERROR")
        c = await sb.create(state="READY", when=await sb.now() + 100)
        await sb.advance(130 if state == "SENDING" else 400)
        return await sb.client.get(c["id"])
    return make()


@pytest.mark.parametrize("state", ["SENDING", "DONE", "ERROR"])
def test_frozen_campaigns_refuse_every_write(tmp_path, state):
    async def go(sb):
        c = await frozen_campaign(sb, state)
        assert c["state"] == state
        errors = []
        for fields in ({}, {"name": "x"}, {"state": "SCHEDULED"}, {"state": "DRAFT"},
                       {"when": await sb.now() + 9999}):
            with pytest.raises(ApiError) as info:
                await sb.client.update(c["id"], {**fields, "segments": c["segments"]})
            errors.append(info.value)
        with pytest.raises(ApiError) as info:
            await sb.client.delete(c["id"])
        errors.append(info.value)
        return c, errors, await sb.client.get(c["id"])

    before, errors, after = run(tmp_path, go)
    assert after == before
    for error in errors:
        assert error.status == 409 and "launched campaign" in error.detail
        assert KEY not in str(error)


def test_vendor_only_states_cannot_be_requested(tmp_path):
    async def go(sb):
        c = await sb.create(state="READY")
        for state in ("SENDING", "DONE", "ERROR"):
            with pytest.raises(ApiError, match="HTTP 409"):
                await sb.client.update(c["id"], {"segments": [], "state": state})
        return await sb.client.get(c["id"])

    assert run(tmp_path, go)["state"] == "READY"


def test_clock_moves_ready_to_sending_to_done(tmp_path):
    async def go(sb):
        when = await sb.now() + 3600
        ready = await sb.create(state="READY", when=when)
        scheduled = await sb.create(state="SCHEDULED", when=when)
        seen = []
        for step in (3500, 110, 100):
            await sb.advance(step)
            seen.append((await sb.client.get(ready["id"]))["state"])
        final = await sb.client.get(ready["id"])
        return seen, final, await sb.client.get(scheduled["id"]), when

    seen, final, scheduled, when = run(tmp_path, go)
    assert seen == ["READY", "SENDING", "DONE"]
    assert final["updated"] == when + 60  # stamped when the vendor finished, not when read
    assert scheduled["state"] == "SCHEDULED"  # only READY campaigns are sent


def test_ready_with_a_past_when_starts_sending_at_once(tmp_path):
    async def go(sb):
        past = await sb.now() - 10
        direct = await sb.create(state="READY", when=past)
        via_put = await sb.create(state="SCHEDULED", when=past)
        return direct, await sb.client.update(via_put["id"], {"segments": [], "state": "READY"})

    direct, via_put = run(tmp_path, go)
    assert direct["state"] == via_put["state"] == "SENDING"


def test_delete_returns_the_campaign_then_404(tmp_path):
    async def go(sb):
        c = await sb.create(state="SCHEDULED")
        deleted = await sb.client.delete(c["id"])
        with pytest.raises(CampaignGone) as get_gone:
            await sb.client.get(c["id"])
        with pytest.raises(CampaignGone):
            await sb.client.delete(c["id"])
        with pytest.raises(CampaignGone):
            await sb.client.update(c["id"], {"name": "x", "segments": []})
        return c, deleted, get_gone.value, await sb.all()

    created, deleted, gone, remaining = run(tmp_path, go)
    assert deleted == created and remaining == []
    assert gone.status == 404 and gone.campaign_id == created["id"]


def test_state_persists_across_app_instances(tmp_path):
    async def first(sb):
        c = await sb.create(state="READY", when=await sb.now() + 1000, segments=[5])
        await sb.advance(500)
        return c

    async def second(sb):
        got = await sb.client.get(1)
        await sb.advance(530)
        return got, await sb.client.get(1), (await sb.create())["id"]

    created = run(tmp_path, first)
    got, later, next_id = run(tmp_path, second)
    assert got == created and later["state"] == "SENDING" and next_id == 2
    assert (tmp_path / "scheduled-campaigns").is_dir()


def test_sandbox_listing(tmp_path):
    async def go(sb):
        await sb.create(name="a")
        await sb.create(name="b", state="READY")
        return await sb.all()

    listed = run(tmp_path, go)
    assert [(c["id"], c["name"], c["state"]) for c in listed] == [(1, "a", "DRAFT"), (2, "b", "READY")]
    assert all(set(c) == KEYS for c in listed)
    json.dumps(listed)
