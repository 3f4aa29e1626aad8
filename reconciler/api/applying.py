"""`apply` as a library call, with every rule the command line had: a saved plan is
located, checked for its environment, verified against the state's key, and refused once a
send time passed; then, under the state's lock, the plan is made afresh, a saved plan is
compared with it, `resend_unknown` is checked, the safety thresholds are counted against
the bindings the lock protects, and only then is anything executed; finally the accounts
written to are read back."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.api.pipeline import Confirm, Outcome, load_for_run, run_context, run_options
from reconciler.checked_csv import record_clean
from reconciler.engine.contract import DEFAULT_PARALLELISM, RunContext
from reconciler.engine.drift import record_applied
from reconciler.engine.executor import check_parallelism, execute_plan
from reconciler.engine.gates import record_audiences, recorded_audiences
from reconciler.engine.plan import Plan
from reconciler.engine.planner import build_plan, open_session, select_targets
from reconciler.engine.reporting import Reporter
from reconciler.engine.safety import (
    Stop,
    check_resend,
    enforce,
    record_protected,
    violations,
)
from reconciler.engine.saved import check_not_expired, check_not_refused, check_saved
from reconciler.environments import record_store
from reconciler.errors import CampaignctlError
from reconciler.saved_plans import locate, verify_with
from reconciler.state import lineage
from reconciler.state.pins import pin_first_origins
from reconciler.var_overrides import Overrides


class _Uncounted:
    def __repr__(self) -> str:
        return "UNCOUNTED"


#: `resend_unknown=UNCOUNTED`: the caller wants unknown outcomes resent but gave no count;
#: the apply refuses, saying how many the plan would resend (`--resend-unknown` alone).
UNCOUNTED = _Uncounted()


@dataclass(frozen=True)
class Review:
    """The plan apply is about to execute, made under the lock, and its safety verdict."""

    plan: Plan
    violations: list[Stop]
    saved: Path | None  # the saved plan file it matched, or None for a fresh plan
    blocked: bool  # beyond a threshold without force: apply refuses right after


@dataclass
class Applied(Outcome):
    directory: Path | None = None
    environment: str | None = None


def apply(source: Path, *, targets: list[str] | tuple[str, ...] = (),
          environment: str | None = None, workspace: Path | None = None,
          force: bool = False, resend_unknown: int | _Uncounted | None = None,
          confirm: Confirm | None = None, on_review: Callable[[Review], None] | None = None,
          reporter: Reporter | None = None, now: datetime | None = None,
          clock: Callable[[], datetime] | None = None, variables: Sequence[str] = (),
          parallelism: int = DEFAULT_PARALLELISM) -> Applied:
    """Apply a fresh plan of the workspace directory `source`, or exactly the saved plan
    file `source` (`workspace`: where its workspace is now, if it moved).

    `on_review` sees the plan and its safety verdict before the safety gate (to show what
    is refused); `confirm` is asked for a fresh plan once it passed (None: approved).
    `now` is the time a saved plan's send times are checked against, `clock` the time read
    when a send is about to go (both pinned by tests). `variables`: NAME=VALUE (--var) over
    CAMPAIGNCTL_VAR_NAME; a saved plan applies with the values it was planned with.
    `parallelism`: at most that many actions run at once (1 to 256; 1: one at a time, in
    plan order), each account within its own `max_concurrency`. Raises CampaignctlError (UnsafePlan, StalePlan, UnverifiedPlan...) on a refusal:
    nothing is executed then."""
    source = Path(source)
    options = run_options(now, clock, parallelism=check_parallelism(parallelism),
                          resend_unknown=resend_unknown is not None,
                          resend_expected=None if resend_unknown is UNCOUNTED
                          else resend_unknown)
    saved = None
    overrides = Overrides.parse(variables, os.environ)
    # Anything but a directory is a plan file: a FIFO or a device is refused as one
    # (engine/plan_file.py), never taken for a workspace.
    if source.exists() and not source.is_dir():
        if targets:
            raise CampaignctlError("--target applies to a directory; a saved plan already "
                                   "holds its targets")
        saved, directory, environment = locate(source, workspace, environment)
        targets = tuple(saved.plan.targets)
        overrides = overrides.for_saved_plan(saved.plan.variables)
    else:
        directory = source
    ws, store = load_for_run(directory, environment, overrides)
    try:
        if saved is not None:
            # Verified against the state's key before anything else: 0 vendor calls otherwise.
            verify_with(saved, store, directory, environment)
            check_not_expired(saved.plan, options.now)
            check_not_refused(saved.plan)
        ctx = run_context(ws, store, options, reporter)
        outcome = asyncio.run(_apply(ctx, list(targets), saved.plan if saved else None,
                                     source if saved else None, force, confirm, on_review))
    finally:
        store.close()
    return Applied(**vars(outcome), directory=directory, environment=environment)


async def _apply(ctx: RunContext, targets: list[str], expected: Plan | None,
                 saved_file: Path | None, force: bool, confirm: Confirm | None,
                 on_review: Callable[[Review], None] | None) -> Outcome:
    ws = ctx.workspace
    with ctx.store.locked():
        record_store(ctx.store, ws.config.environment)
        session = open_session(ctx)
        pin_first_origins(ctx.store, ws.config)  # before the apply's first request
        try:
            plan = await build_plan(session, targets)
            recorded = lineage.record(ctx.store, ws.config)  # evidence checked: ours
            record_clean(ctx.store, ws)  # every row is checked now
            if ctx.options.resend_unknown:
                check_resend(plan, ctx.options.resend_expected)
            if expected is not None:
                plan = check_saved(expected, plan)  # what to execute: the reviewed plan
            chosen = select_targets(ws, targets) if targets else None
            if not plan.has_changes:
                record_protected(ctx.store, ws)  # in sync: the flags are what is applied
                record_applied(ctx.store, ws, only=chosen, not_applied=set(plan.left_alone))
                reads, writes = session.calls()
                return Outcome(plan, None, reads, writes, lineage_recorded=recorded)
            # Counted under the lock: no other apply can bind or unbind meanwhile.
            existing = len(ctx.store.bindings())
            audiences = recorded_audiences(ctx.store)
            found = violations(plan, existing, ws.config.safety, audiences)
            if on_review is not None:
                on_review(Review(plan, found, saved_file, bool(found) and not force))
            enforce(plan, existing, ws.config.safety, force, audiences)
            if expected is None and confirm is not None and not confirm(plan):
                reads, writes = session.calls()
                return Outcome(plan, None, reads, writes, lineage_recorded=recorded)
            result = await execute_plan(session, plan)
            record_audiences(ctx.store, result.done)
            record_protected(ctx.store, ws)
            unfinished = {a.address for a in result.skipped}
            unfinished |= {a.address for a, _ in result.failed}
            record_applied(ctx.store, ws, only=chosen,
                           not_applied=unfinished | set(plan.left_alone))
            reads, writes = session.calls()
        finally:
            await session.aclose()
        # Read back: anything still planned is a perpetual diff in the making. Only the
        # accounts the apply wrote to can have changed; the first live state goes first.
        touched = {a.account for a in result.done} | {a.account for a, _ in result.failed}
        session.live.clear()
        session.providers.clear()
        after = open_session(ctx, touched)
        try:
            again = await build_plan(after, targets)
            read_back = after.calls()[0]
        finally:
            await after.aclose()
        # Drift a saved plan left alone (not reviewed) is no read-back failure.
        drift = ([a.address for a in again.changes if a.address not in plan.left_alone]
                 if result.ok else None)
        return Outcome(plan, result, reads, writes, drift, read_back=read_back,
                       lineage_recorded=recorded)
