"""The scheduled-campaigns provider against a mocked API (respx): which calls each plan makes,
with which form bodies, in which order, and what it refuses to do."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
import respx
from conftest import write_workspace

from reconciler.api.pipeline import load_valid, run_context
from reconciler.engine.contract import RunContext, RunOptions
from reconciler.engine.executor import execute_plan
from reconciler.engine.planner import build_plan, open_session
from reconciler.state import lineage
from reconciler.state.backend import open_store
from reconciler.state.store import Binding
from reconciler.validate import errors_of, validate_directory

URL = "https://api.vendor.example"
TS = 1796112000  # 2026-12-01T08:00:00Z
NOW = datetime(2026, 6, 1, tzinfo=UTC)
CONFIG = f"""
providers:
  sched:
    type: scheduled-campaigns
    base_url: {URL}
    api_key: ${{TEST_SCHED_KEY}}
"""


def manifest(name="launch", state="draft", send_at="2026-12-01T09:00:00+01:00", list_id=12,
             segments="[7, 3]", callback=None, title="Launch", extra=""):
    cb = f"\n    event_callback: {callback}" if callback else ""
    return f"""
kind: Campaign
name: {name}
provider: sched
spec:
  title: {title}
  send_at: {send_at}
  state: {state}{extra}
  scheduled-campaigns:
    list: {list_id}
    segments: {segments}
    domain: 4{cb}
"""


def live(cid=7, state="DRAFT", name="Launch", list_id=12, segments=(3, 7), when=TS,
         callback=None, updated=1):
    return {"id": cid, "name": name, "domain": 4, "list": list_id, "segments": list(segments),
            "state": state, "when": when, "event_callback": callback, "created": 1,
            "updated": updated}


class Harness:
    def __init__(self, tmp_path: Path, docs: list[str], bindings: dict[str, str]):
        self.dir = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG,
                                                     "c.yaml": "---\n".join(docs)})
        self.ws = load_valid(self.dir)
        self.store = open_store(self.ws.config)
        for name, remote_id in bindings.items():
            self.store.put_binding(Binding("sched", "Campaign", name, remote_id))
        lineage.record(self.store, self.ws.config)  # as the apply that bound them did

    def plan(self, now=NOW):
        async def go():
            session = open_session(run_context(self.ws, self.store, RunOptions(now=now)))
            try:
                return await build_plan(session)
            finally:
                await session.aclose()
        return asyncio.run(go())

    def apply(self, now=NOW):
        async def go():
            session = open_session(run_context(self.ws, self.store, RunOptions(now=now)))
            try:
                plan = await build_plan(session)
                return plan, await execute_plan(session, plan)
            finally:
                await session.aclose()
        return asyncio.run(go())

    def binding(self, name="launch"):
        b = self.store.get_binding("sched", "Campaign", name)
        return b.remote_id if b else None


@pytest.fixture
def api():
    with respx.mock(base_url=URL, assert_all_called=False) as m:
        yield m


SEGMENTS = [("segments[]", "3"), ("segments[]", "7")]  # the manifest's, sorted


def form(call) -> list[tuple[str, str]]:
    return parse_qsl(call.request.content.decode(), keep_blank_values=True)


def writes(api) -> list[tuple[str, str, list]]:
    return [(c.request.method, c.request.url.path, form(c)) for c in api.calls
            if c.request.method != "GET"]


# create --------------------------------------------------------------------------------------

def test_create_posts_a_draft_form_with_repeated_segments_and_binds_it(tmp_path, api):
    h = Harness(tmp_path, [manifest(callback="https://hooks.example.com/cb?team=crm")], {})
    post = api.post("/campaign").respond(200, json=live(cid=41))
    plan, result = h.apply()
    assert result.ok and [a.op for a in plan.actions] == ["create"]
    assert plan.actions[0].path == []  # draft: no edge
    request = post.calls.last.request
    assert request.headers["Authorization"] == "Bearer sk-test-123"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(post.calls.last) == [
        ("name", "Launch"), ("domain", "4"), ("list", "12"), ("when", str(TS)),
        ("segments[]", "3"), ("segments[]", "7"),
        ("event_callback", "https://hooks.example.com/cb?team=crm"), ("state", "DRAFT")]
    assert len(api.calls) == 1  # nothing bound yet: no read at all
    assert h.binding() == "41"


def test_create_ready_posts_draft_then_one_put_per_edge(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="ready")], {})
    api.post("/campaign").respond(200, json=live(cid=5))
    put = api.put("/campaign/5").mock(side_effect=[
        httpx.Response(200, json=live(cid=5, state="SCHEDULED")),
        httpx.Response(200, json=live(cid=5, state="READY"))])
    plan, result = h.apply()
    assert result.ok
    assert plan.actions[0].path == ["DRAFT", "SCHEDULED", "READY"]
    # Every PUT carries the full segments[]: without them the campaign sends to everyone.
    assert [form(c) for c in put.calls] == [[("state", "SCHEDULED"), *SEGMENTS],
                                            [("state", "READY"), *SEGMENTS]]
    assert h.binding() == "5"


def test_create_ready_with_a_past_send_time_is_refused_without_calls(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="ready", send_at="2026-01-01T00:00:00Z")], {})
    plan, result = h.apply()
    assert [a.op for a in plan.actions] == ["refuse"]
    assert "already passed" in plan.actions[0].reason
    assert not plan.has_changes and not api.calls


def test_a_lost_post_answer_is_an_error_and_blocks_the_next_create(tmp_path, api):
    h = Harness(tmp_path, [manifest()], {})
    api.post("/campaign").respond(502, json={"message": "bad gateway"})
    plan, result = h.apply()
    [(action, error)] = result.failed
    assert "unknown" in error and "vendor dashboard" in error
    assert "campaignctl import sched --id" in error
    assert h.binding() == "?"
    again = h.plan()
    assert [a.op for a in again.actions] == ["refuse"]
    assert "outcome is unknown" in again.actions[0].reason
    assert api.calls.call_count == 1  # one POST, never retried; the unknown is not read


# read ----------------------------------------------------------------------------------------

def test_read_gets_each_bound_campaign_and_equal_values_never_diff(tmp_path, api):
    docs = [manifest(name="a", segments="[7, 3, 7]", title="A"),
            manifest(name="b", title="B", send_at="1796112000",
                     callback="https://h.example/x?q=1")]
    h = Harness(tmp_path, docs, {"a": "1", "b": "2"})
    a = api.get("/campaign/1").respond(200, json=live(1, name="A", callback=""))
    b = api.get("/campaign/2").respond(
        200, json=live(2, name="B", when="2026-12-01T08:00:00Z", segments=[7, 3],
                       callback="https://h.example/x?q=1"))
    plan = h.plan()
    assert plan.actions == [] and a.call_count == 1 and b.call_count == 1
    assert len(api.calls) == 2  # no list endpoint exists; nothing else is called


def test_fingerprint_moves_when_a_campaign_moves(tmp_path, api):
    h = Harness(tmp_path, [manifest()], {"launch": "7"})
    route = api.get("/campaign/7")
    route.respond(200, json=live())
    first = h.plan().live_fingerprint
    route.respond(200, json=live(state="SCHEDULED", updated=2))
    assert h.plan().live_fingerprint != first


# update / transition ------------------------------------------------------------------------

def test_update_puts_only_the_changed_fields(tmp_path, api):
    h = Harness(tmp_path, [manifest(title="Launch v2", segments="[9, 3]")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    put = api.put("/campaign/7").respond(200, json=live(name="Launch v2", segments=[3, 9]))
    plan, result = h.apply()
    [action] = plan.actions
    assert action.op == "update" and result.ok
    assert [c.field for c in action.changes] == ["title", "scheduled-campaigns.segments"]
    assert form(put.calls.last) == [("name", "Launch v2"), ("segments[]", "3"),
                                    ("segments[]", "9")]
    assert put.call_count == 1


def test_changing_when_shows_send_at_and_puts_a_timestamp(tmp_path, api):
    h = Harness(tmp_path, [manifest(send_at="2026-12-01T10:00:00+01:00")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    put = api.put("/campaign/7").respond(200, json=live(when=TS + 3600))
    plan, _ = h.apply()
    [change] = plan.actions[0].changes
    # the manifest's name, and times at the offset the manifest wrote (it names no zone),
    # then UTC; the vendor's name and timestamps kept beside them
    assert (change.field, change.before, change.after) == (
        "send_at", "2026-12-01 09:00 (+01:00), 08:00 UTC", "2026-12-01 10:00 (+01:00), 09:00 UTC")
    assert change.vendor == {"field": "when", "before": TS, "after": TS + 3600}
    assert form(put.calls.last) == [("when", str(TS + 3600)), *SEGMENTS]


def test_clearing_event_callback_sends_it_empty(tmp_path, api):
    h = Harness(tmp_path, [manifest()], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(callback="https://h.example/cb"))
    put = api.put("/campaign/7").respond(200, json=live())
    h.apply()
    assert form(put.calls.last) == [("event_callback", ""), *SEGMENTS]


def test_transition_to_ready_with_fields_rides_the_first_edge(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="ready", title="New")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    put = api.put("/campaign/7").mock(side_effect=[
        httpx.Response(200, json=live(state="SCHEDULED", name="New")),
        httpx.Response(200, json=live(state="READY", name="New"))])
    plan, result = h.apply()
    [action] = plan.actions
    assert action.op == "transition" and action.path == ["DRAFT", "SCHEDULED", "READY"]
    assert [c.field for c in action.changes] == ["title"]
    assert [form(c) for c in put.calls] == [[("name", "New"), ("state", "SCHEDULED"), *SEGMENTS],
                                            [("state", "READY"), *SEGMENTS]]


def test_transition_down_from_ready_edits_fields_once_disarmed(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="draft", title="New")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(state="READY"))
    put = api.put("/campaign/7").mock(side_effect=[
        httpx.Response(200, json=live(state="SCHEDULED")),
        httpx.Response(200, json=live(state="DRAFT", name="New"))])
    plan, result = h.apply()
    assert plan.actions[0].path == ["READY", "SCHEDULED", "DRAFT"]
    assert [form(c) for c in put.calls] == [[("state", "SCHEDULED"), *SEGMENTS],
                                            [("name", "New"), ("state", "DRAFT"), *SEGMENTS]]


def test_a_put_carries_the_live_segments_when_the_manifest_ignores_them(tmp_path, api):
    extra = "\nlifecycle:\n  ignore_changes: [segments]"
    h = Harness(tmp_path, [manifest(title="New", segments="[1]") + extra], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(segments=(4, 5)))
    put = api.put("/campaign/7").respond(200, json=live(name="New", segments=(4, 5)))
    plan, result = h.apply()
    assert result.ok and [c.field for c in plan.actions[0].changes] == ["title"]
    assert form(put.calls.last) == [("name", "New"), ("segments[]", "4"), ("segments[]", "5")]


def test_a_replace_walks_the_new_campaign_with_its_segments(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="scheduled", list_id=13)], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    api.delete("/campaign/7").respond(200, json=live())
    api.post("/campaign").respond(200, json=live(cid=8, list_id=13))
    put = api.put("/campaign/8").respond(200, json=live(cid=8, list_id=13, state="SCHEDULED"))
    plan, result = h.apply()
    assert result.ok and plan.actions[0].op == "replace" and plan.actions[0].irreversible
    assert [form(c) for c in put.calls] == [[("state", "SCHEDULED"), *SEGMENTS]]
    assert h.binding() == "8"


def test_a_failing_edge_stops_the_walk_and_names_the_edge(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="ready")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    put = api.put("/campaign/7").mock(side_effect=[
        httpx.Response(200, json=live(state="SCHEDULED")),
        httpx.Response(409, json={"message": "campaign 7 is locked"})])
    plan, result = h.apply()
    [(action, error)] = result.failed
    assert "edge SCHEDULED > READY" in error and "stays SCHEDULED" in error
    assert put.call_count == 2


def test_moving_to_ready_after_the_send_time_is_refused(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="ready")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(state="SCHEDULED"))
    plan, result = h.apply(now=datetime(2027, 1, 1, tzinfo=UTC))
    assert [a.op for a in plan.actions] == ["refuse"] and result.done == []
    assert not writes(api)


# replace / delete ----------------------------------------------------------------------------

def test_changing_the_list_replaces_with_delete_then_post(tmp_path, api):
    h = Harness(tmp_path, [manifest(list_id=13, state="scheduled")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(state="SCHEDULED"))
    api.delete("/campaign/7").respond(200, json=live(state="SCHEDULED"))
    api.post("/campaign").respond(200, json=live(cid=8, list_id=13))
    api.put("/campaign/8").respond(200, json=live(cid=8, list_id=13, state="SCHEDULED"))
    plan, result = h.apply()
    [action] = plan.actions
    assert action.op == "replace" and result.ok
    assert [(c.field, c.forces_replace) for c in action.changes] == [
        ("scheduled-campaigns.list", True)]
    assert [(m, p) for m, p, _ in writes(api)] == [
        ("DELETE", "/campaign/7"), ("POST", "/campaign"), ("PUT", "/campaign/8")]
    assert h.binding() == "8"


def test_clearing_segments_forces_a_replace(tmp_path, api):
    h = Harness(tmp_path, [manifest(segments="[]")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    plan = h.plan()
    assert plan.actions[0].op == "replace"
    assert plan.actions[0].changes[0].field == "scheduled-campaigns.segments"


def test_prevent_destroy_refuses_a_replace(tmp_path, api):
    extra = "\nlifecycle:\n  prevent_destroy: true"
    h = Harness(tmp_path, [manifest(list_id=13) + extra], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live())
    assert [a.op for a in h.plan().actions] == ["refuse"]


def test_removed_manifest_deletes_the_bound_campaign(tmp_path, api):
    h = Harness(tmp_path, [manifest(name="keep")], {"keep": "1", "old": "2"})
    api.get("/campaign/1").respond(200, json=live(1))
    api.get("/campaign/2").respond(200, json=live(2, state="SCHEDULED"))
    delete = api.delete("/campaign/2").respond(200, json=live(2))
    plan, result = h.apply()
    assert [(a.op, a.name) for a in plan.actions] == [("delete", "old")]
    assert delete.call_count == 1 and h.binding("old") is None
    # A DELETE cannot be undone; this one also stops a scheduled send (a safety gate).
    [action] = plan.actions
    assert action.irreversible and action.cancels_send
    assert "scheduled to send" in action.reason


@pytest.mark.parametrize("state, scheduled", [("DRAFT", False), ("SCHEDULED", True),
                                              ("READY", True)])
def test_a_delete_counts_as_a_cancelled_send_only_when_scheduled(tmp_path, api, state,
                                                                 scheduled):
    h = Harness(tmp_path, [], {"old": "2"})
    api.get("/campaign/2").respond(200, json=live(2, state=state))
    [action] = h.plan().actions
    assert action.op == "delete" and action.irreversible
    assert action.cancels_send is scheduled


# drift ---------------------------------------------------------------------------------------

def test_a_bound_campaign_gone_404_is_drift_recreated_only_if_wanted(tmp_path, api):
    h = Harness(tmp_path, [manifest(name="wanted")], {"wanted": "1", "unwanted": "2"})
    api.get("/campaign/1").respond(404, json={"message": "campaign 1 not found"})
    api.get("/campaign/2").respond(404, json={"message": "campaign 2 not found"})
    api.post("/campaign").respond(200, json=live(3))
    plan, result = h.apply()
    ops = {a.name: a for a in plan.actions}
    assert ops["wanted"].op == "create"
    assert "deleted outside campaignctl" in ops["wanted"].reason
    assert ops["unwanted"].op == "delete" and "already deleted" in ops["unwanted"].reason
    assert [(m, p) for m, p, _ in writes(api)] == [("POST", "/campaign")]  # no DELETE
    assert h.binding("wanted") == "3" and h.binding("unwanted") is None


# frozen ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("frozen", ["SENDING", "DONE", "ERROR"])
def test_frozen_campaigns_refuse_any_change_and_make_no_call(tmp_path, api, frozen):
    h = Harness(tmp_path, [manifest(state="ready", title="Renamed")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(state=frozen))
    plan, result = h.apply()
    [action] = plan.actions
    assert action.op == "refuse" and frozen in action.reason and "frozen" in action.reason
    assert not plan.has_changes and not writes(api)


def test_a_sent_campaign_whose_manifest_says_ready_plans_nothing(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="ready")], {"launch": "7"})
    api.get("/campaign/7").respond(200, json=live(state="DONE"))
    assert h.plan().actions == []


def test_a_sent_campaign_cannot_be_moved_back_to_draft_or_deleted(tmp_path, api):
    h = Harness(tmp_path, [manifest(state="draft")], {"launch": "7", "gone": "8"})
    api.get("/campaign/7").respond(200, json=live(state="DONE"))
    api.get("/campaign/8").respond(200, json=live(8, state="SENDING"))
    plan, _ = h.apply()
    assert [a.op for a in plan.actions] == ["refuse", "refuse"]
    assert "state rm Campaign/gone" in [a for a in plan.actions if a.name == "gone"][0].reason
    assert not writes(api)


# import ----------------------------------------------------------------------------------------

def test_import_resources_gets_the_ids_and_maps_them_to_manifests(tmp_path, api):
    h = Harness(tmp_path, [], {})
    api.get("/campaign/12").respond(200, json=live(12, name="Spring!", segments=[]))
    api.get("/campaign/13").respond(200, json=live(13, state="DONE",
                                                   callback="https://h.example/x"))
    from reconciler.providers.scheduled_campaigns.provider import ScheduledCampaignsProvider

    async def go():
        p = ScheduledCampaignsProvider(h.ws.config.accounts["sched"], RunContext(h.ws, h.store))
        try:
            return await p.import_resources(["12", "13"])
        finally:
            await p.aclose()
    a, b = asyncio.run(go())
    assert (a.remote_id, a.title) == ("12", "Spring!")
    assert a.spec == {"title": "Spring!", "send_at": "2026-12-01T08:00:00Z", "state": "draft",
                      "scheduled-campaigns": {"list": 12, "domain": 4}}
    assert b.spec["state"] == "ready" and "frozen" in b.note
    assert b.spec["scheduled-campaigns"]["segments"] == [3, 7]
    assert not writes(api)


# rules ------------------------------------------------------------------------------------------

def test_rules_report_every_field_that_does_not_apply(tmp_path):
    bad = """
kind: Campaign
name: bad
provider: sched
spec:
  message: m
  sender: s
  contact_groups: [g]
  opt_out_lists: [o]
  send_at: now
  state: active
"""
    root = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "c.yaml": bad})
    _, diagnostics = validate_directory(root)
    text = "\n".join(str(d) for d in errors_of(diagnostics))
    for needle in ("`message` does not apply", "`sender` does not apply",
                   "`contact_groups` does not apply", "`opt_out_lists` does not apply",
                   "needs a `scheduled-campaigns:` block", "`send_at: now` is not supported",
                   "state 'active' does not exist here"):
        assert needle in text, needle
    assert ":6:" in text  # positions point at the fields


def test_rules_need_a_send_time(tmp_path):
    doc = manifest().replace("  send_at: 2026-12-01T09:00:00+01:00\n", "")
    root = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "c.yaml": doc})
    _, diagnostics = validate_directory(root)
    assert any("needs a `send_at`" in d.message for d in errors_of(diagnostics))


def test_a_create_for_a_campaign_bound_meanwhile_is_refused_before_the_post(tmp_path, api):
    h = Harness(tmp_path, [manifest()], {})
    post = api.post("/campaign").respond(200, json=live(cid=8))

    async def go():
        session = open_session(run_context(h.ws, h.store, RunOptions(now=NOW)))
        try:
            plan = await build_plan(session)
            h.store.put_binding(Binding("sched", "Campaign", "launch", "7"))  # another run
            return await execute_plan(session, plan)
        finally:
            await session.aclose()
    [(action, error)] = asyncio.run(go()).failed
    assert "already bound to live id 7" in error and "would orphan 7" in error
    assert post.call_count == 0 and h.binding() == "7"


def test_a_create_answered_after_another_binding_leaves_that_binding(tmp_path, api):
    h = Harness(tmp_path, [manifest()], {})

    def answer(request):
        h.store.put_binding(Binding("sched", "Campaign", "launch", "7"))  # while in flight
        return httpx.Response(200, json=live(cid=8))
    api.post("/campaign").mock(side_effect=answer)
    delete = api.delete("/campaign/8").respond(200, json=live(cid=8))
    plan, result = h.apply()
    [(action, error)] = result.failed
    assert "created id 8" in error and "bound meanwhile to live id 7" in error
    assert "deleted 8" in error and delete.call_count == 1  # the second copy is gone
    assert h.binding() == "7"
