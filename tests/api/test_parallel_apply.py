"""Parallel apply (engine/executor.py): two email-campaigns accounts mocked with respx at
the doc's shapes, every write held 20 ms at the mock, which records when each request
started and ended and how many were in flight at once (per account and overall)."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest
import respx
from conftest import write_workspace

from reconciler.api.pipeline import run_context
from reconciler.engine.contract import RunOptions
from reconciler.engine.executor import check_parallelism, execute_plan
from reconciler.engine.planner import build_plan, open_session
from reconciler.engine.reporting import Reporter
from reconciler.errors import CampaignctlError
from reconciler.state.backend import open_store
from reconciler.workspace import load_workspace

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOLD = 0.02  # seconds every write spends at the mock
POLICY = 'policy: {email: {postal_address: "Acme Inc., 1 Main St, Springfield"}}\n'
FOOTER = "Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"
CREATES = re.compile(r"^/email/(senderid|contact|message|campaign)/$")


def manifests(account: str, n: int, campaigns: int, optouts: bool = False) -> str:
    docs = []
    for i in range(n):
        docs += [f"kind: Sender\nname: {account}-s{i}\nprovider: {account}\n"
                 f"spec: {{email: s{i}@{account}.example, description: S {i}}}\n",
                 f"kind: ContactGroup\nname: {account}-g{i}\nprovider: {account}\n"
                 f"spec: {{title: G {i}, contacts: [{{email: a{i}@example.com}}]}}\n",
                 f"kind: Message\nname: {account}-m{i}\nprovider: {account}\n"
                 f"spec: {{channel: email, subject: Subject {i}, body: 'Body {i}. {FOOTER}'}}\n"]
    for i in range(campaigns):
        docs.append(f"kind: Campaign\nname: {account}-c{i}\nprovider: {account}\nspec:\n"
                    f"  title: Campaign {i}\n  message: {account}-m{i % n}\n"
                    f"  sender: {account}-s{i % n}\n  contact_groups: [{account}-g{i % n}]\n"
                    + (f"  opt_out_lists: [{account}-stop]\n" if optouts else "")
                    + "  send_at: 2027-03-20T09:00:00-04:00\n  timezone: America/New_York\n")
    if optouts:
        docs.append(f"kind: OptOutList\nname: {account}-stop\nprovider: {account}\n"
                    "spec: {entries: [gone@example.com]}\n")
    return "---\n".join(docs)


class Vendor:
    """The mocked APIs: every write's (host, method, path, body, start, end), and the most
    writes in flight at once, per host and overall."""

    def __init__(self, fail: str | None = None, slow: dict[str, float] | None = None):
        self.fail = fail  # a body text whose create answers 400
        self.slow = slow or {}  # body text -> seconds its write takes instead of HOLD
        self.writes: list[dict] = []
        self.busy: Counter = Counter()
        self.peak: Counter = Counter()
        self.created: dict[str, float] = {}  # id -> when its create was answered
        self.ids = iter(range(1, 100_000))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=[])
        host = request.url.host
        entry = {"host": host, "method": request.method, "path": request.url.path,
                 "url": str(request.url),
                 "body": request.content.decode(errors="replace"), "start": time.monotonic()}
        self.busy[host] += 1
        self.busy["all"] += 1
        for key in (host, "all"):
            self.peak[key] = max(self.peak[key], self.busy[key])
        try:
            await asyncio.sleep(next((t for text, t in self.slow.items() if text in entry["body"]),
                                     HOLD))
        finally:
            self.busy[host] -= 1
            self.busy["all"] -= 1
            entry["end"] = time.monotonic()
            self.writes.append(entry)
        if self.fail and self.fail in entry["body"]:
            entry["failed"] = True
            return httpx.Response(400, json={"message": "invalid"})
        if request.method == "POST" and CREATES.match(request.url.path):
            oid = f"{host.split('.')[0]}{next(self.ids):06d}"
            self.created[oid] = entry["end"]
            entry["id"] = oid
            return httpx.Response(201, json={"$_id": {"$oid": oid}})
        return httpx.Response(200 if "bulk" in request.url.path else 204)


class Events(Reporter):
    """The executor's reporter hooks, as a display sees them."""

    def __init__(self):
        self.log: list[tuple[str, str]] = []
        self.limit: int | None = None

    def action(self, event, action, error=None):
        self.log.append((event, action.address))

    def parallelism(self, limit):
        self.limit = limit


def apply(tmp_path, accounts: dict[str, tuple[int | None, str]], parallelism: int,
          vendor: Vendor) -> tuple:
    """Plan and execute a workspace of `accounts` (name -> (max_concurrency, manifests))."""
    config = POLICY + "providers:\n" + "".join(
        f"  {name}: {{type: email-campaigns, base_url: 'https://{name}.test', "
        f"token: '${{T_{name.upper()}}}'"
        + (f", max_concurrency: {limit}" if limit else "") + "}\n"
        for name, (limit, _) in accounts.items())
    files = {"campaignctl.yaml": config}
    files.update({f"{name}.yaml": text for name, (_, text) in accounts.items()})
    ws, diags = load_workspace(write_workspace(tmp_path / "ws", files), env={
        f"T_{name.upper()}": f"tok-{name}" for name in accounts})
    assert ws is not None and not [d for d in diags if d.severity == "error"], diags
    store = open_store(ws.config)
    events = Events()
    with respx.mock(assert_all_called=False) as mock:
        mock.route(host__regex=r".*\.test").mock(side_effect=vendor.handle)

        async def go():
            session = open_session(run_context(ws, store, RunOptions(
                now=NOW, parallelism=parallelism), events))
            try:
                plan = await build_plan(session)
                return plan, await execute_plan(session, plan)
            finally:
                await session.aclose()
        plan, result = asyncio.run(go())
    store.close()
    return plan, result, events


def campaign_refs(vendor: Vendor, entry: dict) -> list[str]:
    return [i for i in re.findall(r"[a-z]+\d{6}", entry["body"]) if i in vendor.created]


@pytest.mark.parametrize(("one", "two", "parallelism", "peaks"), [
    (2, 3, 10, (2, 3, 5)),  # each account's max_concurrency binds
    (None, None, 3, (None, None, 3)),  # --parallelism binds (the accounts allow 8 each)
])
def test_dependencies_first_within_each_accounts_concurrency_and_the_overall_limit(
        tmp_path, one, two, parallelism, peaks):
    # One message is slow to create: campaigns are ready to go while it is in flight.
    vendor = Vendor(slow={"Subject 5": 0.4})
    plan, result, events = apply(tmp_path, {
        "one": (one, manifests("one", 6, 10, optouts=True)),
        "two": (two, manifests("two", 6, 10))}, parallelism, vendor)
    assert result.ok and not result.skipped
    assert len(result.done) == len(plan.changes) == 2 * (3 * 6 + 10) + 1
    # Measured at the mock: never more than each account's max_concurrency, nor N in all,
    # and the limits were reached (the actions did run side by side).
    for key, peak in zip(("one.test", "two.test", "all"), peaks, strict=True):
        assert vendor.peak[key] <= parallelism
        if peak is not None:
            assert vendor.peak[key] == peak, vendor.peak
    campaigns = [w for w in vendor.writes if w["path"] == "/email/campaign/"]
    assert len(campaigns) == 20
    optouts = [w for w in vendor.writes if "optout" in w["path"]]
    assert optouts
    for c in campaigns:
        refs = campaign_refs(vendor, c)
        assert len(refs) == 3, c["body"]  # its message, group and sender, all created first
        assert all(vendor.created[i] <= c["start"] for i in refs)
        if c["host"] == "one.test":  # its opt-out list is in place before it can send
            assert all(o["end"] <= c["start"] for o in optouts)
    # Opt-outs are in place before any group is created or filled, whichever account.
    groups = [w for w in vendor.writes if w["path"].startswith("/email/contact/")]
    assert all(o["end"] <= g["start"] for o in optouts for g in groups)
    # Groups are filled before a campaign that sends to them is created.
    for c in campaigns:
        group = next(i for i in campaign_refs(vendor, c)
                     if any(w.get("id") == i and w["path"] == "/email/contact/"
                            for w in vendor.writes))
        uploads = [w for w in vendor.writes if "bulk" in w["path"] and group in w["url"]]
        assert uploads and all(u["end"] <= c["start"] for u in uploads)
    assert events.limit == parallelism


def test_parallelism_one_runs_one_action_at_a_time_in_plan_order(tmp_path):
    vendor = Vendor()
    plan, result, events = apply(tmp_path, {"one": (None, manifests("one", 3, 4, True))},
                                 1, vendor)
    assert result.ok and vendor.peak["all"] == 1
    order = [address for event, address in events.log if event == "start"]
    assert order == [a.address for a in plan.changes]
    # each action's start comes right after the previous one's end
    assert [e for e, _ in events.log] == ["start", "done"] * len(plan.changes)


def test_a_failure_stops_new_launches_lets_running_ones_finish_and_reports_the_rest(tmp_path):
    # Four senders take the four slots; one-s1's create answers 400 at once while the other
    # three are still at the vendor: the slot it frees is the first one free.
    vendor = Vendor(fail="S 1", slow={"S 0": 0.2, "S 2": 0.2, "S 3": 0.2})
    plan, result, events = apply(tmp_path, {"one": (None, manifests("one", 4, 6))}, 4, vendor)
    assert [(a.address, "400" in e) for a, e in result.failed] == [("Sender/one-s1", True)]
    failed_at = next(w["end"] for w in vendor.writes if w.get("failed"))
    # Nothing began after the failure (at the mock), what was running finished after it
    # and is reported done, and everything else is reported skipped.
    assert [w for w in vendor.writes if w["start"] > failed_at] == []
    assert [a.address for a in result.done] == ["Sender/one-s0", "Sender/one-s2",
                                                "Sender/one-s3"]
    assert all(w["end"] > failed_at for w in vendor.writes if not w.get("failed"))
    assert [a.address for a in result.skipped] == [
        a.address for a in plan.changes if a.kind != "Sender"]
    assert len(result.skipped) == len(plan.changes) - 4 == 4 + 4 + 6
    # Each "start" has its end; no "start" for what was skipped.
    assert sorted(a for e, a in events.log if e == "start") == sorted(
        a for e, a in events.log if e in ("done", "failed")) == [
        f"Sender/one-s{i}" for i in range(4)]


@pytest.mark.parametrize("value", [0, 257, -1, True, "4"])
def test_parallelism_out_of_range_is_refused_with_a_clear_message(value):
    with pytest.raises(CampaignctlError, match=r"--parallelism must be a whole number from "
                                               r"1 to 256"):
        check_parallelism(value)
