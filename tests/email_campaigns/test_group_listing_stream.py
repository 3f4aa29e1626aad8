"""The group listing (GET /email/contact/, the doc's JSON array of groups with their
contacts) read as it arrives: the same groups as the whole body gives, a dropped
connection retried from the start, errors as clear as before, and the body held back
(not read) while the manifests' summaries are still being made."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import respx

from reconciler import json_stream
from reconciler.errors import ApiError
from reconciler.providers.email_campaigns import client as module
from reconciler.secrets import Secret

API = "https://api.test"
TOKEN = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
GROUPS = [{"$_id": {"$oid": f"g{g}"}, "client_id": {"$oid": "c1"}, "tag": f"Group {g}",
           "contacts": [{"name": f"N\u00e4me {i}", "email": f"u{g}.{i}@example.com"}
                        for i in range(50)],
           "created_on": "2016-08-22T12:05:39.571000",
           "modified_on": "2016-08-22T12:05:39.571000"} for g in range(6)]
BODY = json.dumps(GROUPS).encode()


def chunked(body: bytes, size: int, pulled: list[int] | None = None,
            fail_after: int | None = None):
    async def gen():
        for n, at in enumerate(range(0, len(body), size)):
            if fail_after is not None and n == fail_after:
                raise httpx.ReadError("connection dropped")
            if pulled is not None:
                pulled.append(n)
            yield body[at:at + size]
    return gen()


def listing(compactor, early=None, **http):
    async def go():
        async with module.EmailCampaignsClient(API, Secret(TOKEN), max_retries=2,
                                               backoff_base=0, **http) as client:
            return await client.list_groups_each(compactor, apply_compact, early)
    return asyncio.run(go())


async def as_dicts():
    return dict


def apply_compact(group, compact):
    """The compaction the tests' compactor gives, applied to one group."""
    return compact(group)


def test_a_listing_in_many_pieces_gives_the_groups_the_whole_body_gives(monkeypatch):
    monkeypatch.setattr(json_stream, "WINDOW", 100)
    with respx.mock(base_url=API) as mock:
        mock.get("/email/contact/").mock(
            side_effect=lambda request: httpx.Response(200, content=chunked(BODY, 37)))
        assert listing(as_dicts) == GROUPS


def test_a_connection_dropped_mid_listing_is_read_again_from_the_start(monkeypatch):
    monkeypatch.setattr(json_stream, "WINDOW", 100)
    answers = iter([chunked(BODY, 500, fail_after=3), chunked(BODY, 500)])
    with respx.mock(base_url=API) as mock:
        route = mock.get("/email/contact/").mock(
            side_effect=lambda request: httpx.Response(200, content=next(answers)))
        assert listing(as_dicts) == GROUPS
        assert route.call_count == 2


@pytest.mark.parametrize("body", [b'{"not": "a list"}', BODY[:len(BODY) // 2],
                                  BODY + b"[]", b"\xff" + BODY])
def test_a_malformed_listing_is_the_same_clear_api_error(body):
    with respx.mock(base_url=API) as mock:
        mock.get("/email/contact/").mock(
            side_effect=lambda request: httpx.Response(200, content=chunked(body, 64)))
        with pytest.raises(ApiError, match="unexpected response body") as caught:
            listing(as_dicts)
    assert "GET /email/contact/" in str(caught.value)


def test_an_error_answer_keeps_the_vendors_words():
    with respx.mock(base_url=API) as mock:
        mock.get("/email/contact/").respond(403, json={"detail": f"token {TOKEN} has no access"})
        with pytest.raises(ApiError, match=r"403.*has no access") as caught:
            listing(as_dicts)
    assert TOKEN not in str(caught.value)  # the credential is masked


def test_the_body_waits_for_the_summaries_once_enough_of_it_is_held(monkeypatch):
    monkeypatch.setattr(module, "HELD_BYTES", 1000)
    monkeypatch.setattr(json_stream, "WINDOW", 100)
    pulled: list[int] = []
    at_ready: list[int] = []

    async def slow_compactor():
        await asyncio.sleep(0.3)  # the CSV checks, still running
        at_ready.append(len(pulled))
        return lambda g: g["tag"]

    with respx.mock(base_url=API) as mock:
        mock.get("/email/contact/").mock(
            side_effect=lambda request: httpx.Response(200, content=chunked(BODY, 100,
                                                                            pulled)))
        assert listing(slow_compactor) == [g["tag"] for g in GROUPS]
    # 1,000 bytes held, then nothing more read until the compactor was ready.
    assert at_ready == [10] and len(pulled) == -(-len(BODY) // 100)


def test_groups_that_arrive_early_are_reduced_at_once_and_those_that_differ_decoded_again(
        monkeypatch):
    """The whole listing arrives while the summaries are still being made: each group is
    reduced as it arrives; once they are ready, the reductions are settled, and the groups
    that differ are decoded again from the bytes kept, whole, in the listing's order."""
    monkeypatch.setattr(json_stream, "WINDOW", 100)
    ready: list[bool] = []
    reduced_while_waiting: list[bool] = []

    async def slow_compactor():
        await asyncio.sleep(0.3)
        ready.append(True)
        return lambda g: ("whole", g["tag"], len(g["contacts"]))

    def reduce(g):
        reduced_while_waiting.append(not ready)
        return g["tag"]

    differing = {"Group 2", "Group 4"}
    early = module.Early(reduce, lambda tag, wanted: None if tag in differing
                         else ("early", tag))
    with respx.mock(base_url=API) as mock:
        mock.get("/email/contact/").mock(
            side_effect=lambda request: httpx.Response(200, content=chunked(BODY, 100)))
        got = listing(slow_compactor, early)
    # The last group is known whole only at the body's end (decoded then, compacted then).
    assert got == [("whole", g["tag"], 50) if g["tag"] in differing else ("early", g["tag"])
                   for g in GROUPS[:-1]] + [("whole", "Group 5", 50)]
    assert reduced_while_waiting == [True] * (len(GROUPS) - 1)


def test_a_group_reduced_early_settles_to_what_compacting_it_whole_gives():
    from reconciler.contacts import EmailSet
    from reconciler.providers.email_campaigns.live import (
        ExpectedContacts,
        compact_group,
        settle_group,
        summarize_group,
    )

    group = GROUPS[1]
    emails = EmailSet()
    for c in group["contacts"]:
        emails.add(c["email"], c["name"])
    same = ExpectedContacts({("id", "g1"): emails.summary()}, frozenset({"g1"}))
    other = ExpectedContacts({("id", "g1"): (50, 1)}, frozenset({"g1"}))
    assert settle_group(summarize_group(group), same) == compact_group(group, same)
    assert compact_group(group, same)["contact_names"] is None
    assert settle_group(summarize_group(group), other) is None  # needs the group whole
    assert compact_group(group, other)["contact_names"] == {
        c["email"]: c["name"] for c in group["contacts"]}
