"""read live -> diff -> plan, for every account at once: the reads run in parallel, each
account is diffed as soon as its own reads are in, and the manifests are digested while the
reads are in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from reconciler.deferred_checks import start_checks
from reconciler.engine.actions import Action
from reconciler.engine.binding import LiveItems, bind_inputs
from reconciler.engine.contract import Provider, RunContext
from reconciler.engine.drift import ManifestDigests, closure, label_origins, recorded
from reconciler.engine.evidence import check_evidence
from reconciler.engine.halting import refuse_when_halted
from reconciler.engine.identity import Match, resolve
from reconciler.engine.plan import Plan, digest, order_actions
from reconciler.engine.reporting import Requests
from reconciler.engine.safety import protect, recorded_protected
from reconciler.errors import CampaignctlError
from reconciler.policy.enforce import enforce_windows
from reconciler.policy.frequency import hold_back
from reconciler.state.halt import read_halt
from reconciler.state.ledger import SendLedger
from reconciler.state.pins import check_origins
from reconciler.suggest import did_you_mean
from reconciler.workspace import Resource, Workspace


@dataclass
class Session:
    """The providers of one run and the live state they read."""

    ctx: RunContext
    providers: dict[str, Provider] = field(default_factory=dict)
    live: dict[str, Any] = field(default_factory=dict)

    async def aclose(self) -> None:
        for p in self.providers.values():
            await p.aclose()

    requests: Requests = field(default_factory=Requests)

    def calls(self) -> tuple[int, int]:
        """(reads, writes) this session's providers sent to vendor APIs so far."""
        return self.requests.totals()


def select_targets(ws: Workspace, targets: list[str]) -> set[tuple[str, str]]:
    """The targeted resources and everything they reference, transitively."""
    start: list[tuple[str, str]] = []
    for t in targets:
        kind, _, name = t.partition("/")
        # A for_each template's own KIND/NAME targets every resource it expands into
        # (unless a resource has that very name).
        found = [(kind, name)] if (kind, name) in ws.resources else [
            key for key, r in ws.resources.items()
            if r.template and (r.template.kind, r.template.name) == (kind, name)]
        if not found:
            known = [f"{k}/{n}" for k, n in ws.resources] + [
                r.template.label for r in ws.resources.values() if r.template]
            raise CampaignctlError(f"--target {t}: no such resource in the workspace"
                                   f"{did_you_mean(t, known)} (expected KIND/NAME, e.g. "
                                   "Campaign/spring-sale)")
        start.extend(found)
    return closure(ws, start)


def open_session(ctx: RunContext, accounts: set[str] | None = None) -> Session:
    """Providers for every account, or only for `accounts` (an apply's read-back), made by
    the vendor catalog the pipeline put in `ctx.vendors`. Refused before any provider is
    made when an account's base_url left the origin its credentials are pinned to."""
    check_origins(ctx.store, ctx.workspace.config, accounts)
    ctx.requests = Requests()  # the providers made below report their requests to it
    session = Session(ctx, requests=ctx.requests)
    ctx.bindings_read.clear()  # each session reads the bindings once (apply: under the lock)
    for name, account in ctx.workspace.config.accounts.items():
        if accounts is not None and name not in accounts:
            continue
        if account.type not in ctx.vendors:
            raise CampaignctlError(f"account {name!r}: no provider for vendor type "
                                   f"{account.type!r} in this run")
        session.providers[name] = ctx.vendors[account.type](account, ctx)
    return session


def insecure_http_warnings(session: Session) -> list[Action]:
    """A warning per account whose credentials travel over plain http (allowed by
    `allow_insecure_http: true`), so a reviewer sees it in every plan."""
    return [Action("warn", "Account", name, name,
                   reason="base_url is plain http:// (allow_insecure_http: true): the "
                          "credentials and contact data travel unencrypted")
            for name, p in session.providers.items() if p.account.insecure_http]


def note_send_times(actions: list[Action], ws: Workspace) -> None:
    """A Campaign action that does not carry its send time (a title update, a state
    transition) gets the manifest's, so no plan calls a scheduled campaign unscheduled."""
    from datetime import datetime

    from reconciler.engine.plan_view import SEND_TIME_FIELDS

    for a in actions:
        if a.kind != "Campaign" or a.send or a.op in ("delete", "refuse", "warn") \
                or any(c.field in SEND_TIME_FIELDS for c in a.changes):
            continue
        r = ws.get("Campaign", a.name)
        when = getattr(r.spec, "send_at", None) if r is not None else None
        if isinstance(when, datetime):
            a.data["manifest_send_at"] = when.isoformat()
        elif when is not None:
            a.data["manifest_send_at"] = when if isinstance(when, str) else when.describe()


def match_identities(ctx: RunContext, provider: Provider, resources: list[Resource],
                     live: Any) -> dict[tuple[str, str], Match]:
    """The engine's identity rule (engine/identity.py) for a vendor with natural keys."""
    if not hasattr(provider, "live_objects"):
        return {}
    account = provider.account.name
    wanted = [(r.kind, r.name, provider.natural_key(r)) for r in resources]
    present = {(r.kind, r.name) for r in ctx.workspace.for_account(account)}
    return resolve(wanted, provider.live_objects(live), ctx.bindings(account), present)


def start_deferred_checks(ctx: RunContext) -> None:
    """The CSV rows validation left for now (their bytes are known clean: checked_csv) are
    checked while the reads are in flight (deferred_checks: in a child process where the
    platform forks, else in a worker thread); ctx.checks_done() waits."""
    if ctx.workspace.unchecked and ctx.pending_checks is None:
        checks = asyncio.ensure_future(asyncio.to_thread(start_checks(ctx.workspace)))
        # Awaited before every diff; retrieved here too, for a plan a read error ends first.
        checks.add_done_callback(lambda f: f.cancelled() or f.exception())
        ctx.pending_checks = checks


def apply_frequency_caps(session: Session, found: dict[str, list[Action]],
                         actions: list[Action]) -> list[Action]:
    """The frequency caps across campaigns, in one pass once every account is diffed (the
    diffs run concurrently): the same recipients are held back at plan and at apply."""
    ws = session.ctx.workspace
    if not ws.config.send_policy.caps:
        return actions
    send_only = {name for name, p in session.providers.items() if hasattr(p, "planned_sends")}
    sends = [s for name in sorted(send_only)
             for s in session.providers[name].planned_sends(found[name], session.live[name])]
    longest = max(c.period for c in ws.config.send_policy.caps)
    since = session.ctx.options.now - 2 * longest
    return hold_back(actions, ws, sends,
                     SendLedger(session.ctx.store).deliveries(since.timestamp()), since,
                     send_only)


async def build_plan(session: Session, targets: list[str] | None = None) -> Plan:
    ws = session.ctx.workspace
    chosen = select_targets(ws, targets) if targets else None
    by_account: dict[str, list[Resource]] = {name: [] for name in session.providers}
    for r in ws.ordered():
        if chosen is None or (r.kind, r.name) in chosen:
            by_account.setdefault(r.provider, []).append(r)

    found: dict[str, list[Action]] = {}
    fingerprints = {}
    live_items: LiveItems = {}
    start_deferred_checks(session.ctx)

    async def read_and_diff(name: str) -> None:
        provider = session.providers[name]
        label = f"read {name} ({provider.account.type})"
        with session.ctx.reporter.task(label, unit="requests") as task, \
                session.requests.showing(name, task):
            live = session.live[name] = await provider.read(by_account[name])
        # Diffed as soon as its own reads are in (and every CSV row is checked), while
        # other accounts' reads are in flight.
        await session.ctx.checks_done()
        actions = provider.diff(by_account[name], live,
                                match_identities(session.ctx, provider, by_account[name], live))
        if chosen is not None:
            # A partial plan never deletes what was not targeted.
            actions = [a for a in actions if (a.kind, a.name) in chosen]
        found[name] = actions
        fingerprints[name] = provider.fingerprint(live)
        live_item = getattr(provider, "live_item", None)  # optional for a plug-in
        if live_item is not None:
            for a in actions:
                live_items[(name, a.kind, a.name)] = live_item(live, a.kind, a.name)

    # The manifests' digests (every CSV hashed) are local work: a worker thread does them
    # while the reads are in flight. The reads start only now, after validation, so that
    # invalid input never reaches a vendor (only rows known clean are checked meanwhile).
    digests, *_ = await asyncio.gather(asyncio.to_thread(ManifestDigests, ws),
                                       *(read_and_diff(n) for n in session.providers))
    await session.ctx.checks_done()  # also with no account to read
    if session.ctx.unrecorded_state:
        check_evidence(session)
    actions: list[Action] = [a for name in session.providers for a in found[name]]
    actions = apply_frequency_caps(session, found, actions)
    # One place for every vendor: protected resources are never deleted or replaced.
    actions = protect(actions, ws, recorded_protected(session.ctx.store))
    actions += insecure_http_warnings(session)
    if session.ctx.lineage_note:
        actions.append(Action("warn", "State", "lineage", "", reason=session.ctx.lineage_note))
    actions = enforce_windows(actions, ws, session.ctx.options.now)
    actions = refuse_when_halted(actions, ws, read_halt(session.ctx.store))
    note_send_times(actions, ws)
    label_origins(actions, digests, recorded(session.ctx.store))
    bind_inputs(actions, ws, live_items)
    return Plan(
        actions=order_actions(actions),
        live_fingerprint=digest(fingerprints),
        workspace_digest=digests.workspace(),
        targets=sorted(targets or []),
        accounts={n: a.type for n, a in ws.config.accounts.items()},
        environment=ws.config.environment,
        templates={r.address: r.template.label for r in ws.resources.values() if r.template},
        policy=ws.config.send_policy.summary(),
        variables=dict(ws.config.overridden),
    )
