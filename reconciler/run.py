"""The command pipeline, shared by the CLI and tests: load -> validate -> read live ->
diff -> plan -> apply -> read back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reconciler.checked_csv import deferrable, record_clean
from reconciler.engine.contract import RunContext, RunOptions
from reconciler.engine.executor import ApplyResult, execute_plan
from reconciler.engine.origin import record_applied
from reconciler.engine.plan import Plan
from reconciler.engine.planner import Session, build_plan, open_session, select_targets
from reconciler.engine.safety import check_resend, record_protected
from reconciler.environments import record_store
from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.progress import NO_PROGRESS, Reporter
from reconciler.state import lineage
from reconciler.state.backend import open_store
from reconciler.state.pins import pin_first_origins
from reconciler.state.store import Store
from reconciler.validate import errors_of, in_file_order, validate_directory, validate_workspace
from reconciler.vendors import provider_factories
from reconciler.workspace import Workspace, load_workspace


def load_valid(directory: Path, environment: str | None = None) -> Workspace:
    ws, diagnostics = validate_directory(directory, environment=environment)
    return _valid(ws, diagnostics)


def _valid(ws: Workspace | None, diagnostics: list) -> Workspace:
    errors = errors_of(diagnostics)
    if errors or ws is None:
        raise ValidationFailed(errors or diagnostics)
    return ws


def load_for_run(directory: Path, environment: str | None = None,
                 ) -> tuple[Workspace, Store | None]:
    """plan and apply: the workspace validated, and its state store. The rows of CSVs the
    store records as checked clean (the same bytes, the same checking code) are left in
    `ws.unchecked`, for the plan to check while its reads are in flight (checked_csv);
    every other CSV is checked here, before any vendor call."""
    ws, diagnostics = load_workspace(directory, environment=environment)
    store = None
    if ws is not None and not errors_of(diagnostics):
        try:
            store = open_store(ws.config)
        except CampaignctlError:
            store = None  # every row is checked now; the run reports the store when it opens it
    try:
        if ws is not None:
            diagnostics += validate_workspace(
                ws, defer=deferrable(ws, store) if store is not None else None)
        return _valid(ws, in_file_order(diagnostics)), store
    except BaseException:
        if store is not None:
            store.close()
        raise


@dataclass
class Outcome:
    plan: Plan
    result: ApplyResult | None = None
    reads: int = 0
    writes: int = 0
    drift: list[str] | None = None
    # plan --show-contacts: each send's recipients, for the terminal (never saved)
    contacts: dict[str, list[str]] | None = None
    read_back: int = 0  # vendor reads of the read-back after apply (0: nothing readable)
    lineage_recorded: str | None = None  # the apply recorded the state's lineage: say so


def run_context(ws: Workspace, store: Store | None = None,
                options: RunOptions | None = None,
                reporter: Reporter | None = None) -> RunContext:
    """The run's context (the workspace's store unless given), refused unless the store
    is the workspace's own (its lineage); the pipeline hands the engine the vendor catalog
    here."""
    store = store if store is not None else open_store(ws.config)
    try:
        verdict = lineage.check(store, ws.config)
    except CampaignctlError:
        store.close()
        raise
    return RunContext(ws, store, options or RunOptions(), reporter or NO_PROGRESS,
                      vendors=provider_factories(), unrecorded_state=verdict.warning,
                      lineage_note=verdict.warning if verdict.history else None)


async def _plan(ws: Workspace, store, targets, options, reporter) -> tuple[Session, Plan]:
    session = open_session(run_context(ws, store, options, reporter))
    plan = await build_plan(session, targets)
    return session, plan


def plan_workspace(directory: Path, targets: list[str] | None = None,
                   options: RunOptions | None = None, environment: str | None = None,
                   reporter: Reporter | None = None) -> Outcome:
    ws, store = load_for_run(directory, environment)

    async def go() -> Outcome:
        session, plan = await _plan(ws, store, targets, options, reporter)
        try:
            reads, writes = session.calls()
            contacts = None
            if session.ctx.options.show_contacts:
                contacts = {a.address: found for a in plan.changes
                            if a.account in session.providers and (found := session.providers[
                                a.account].planned_recipients(a)) is not None}
            return Outcome(plan, reads=reads, writes=writes, contacts=contacts)
        finally:
            await session.aclose()
            session.ctx.store.close()
    return asyncio.run(go())


def apply_workspace(directory: Path, *, targets: list[str] | None = None,
                    options: RunOptions | None = None,
                    approve: Callable[[Plan], bool] = lambda plan: True,
                    expected: Plan | None = None,
                    check: Callable[[Plan, Plan], Plan] | None = None,
                    reporter: Reporter | None = None, environment: str | None = None,
                    ) -> Outcome:
    """Plan afresh under the lock, let `check` compare it with a saved plan (it returns
    what to execute) or `approve` ask the user, execute, then plan again to report what
    still differs. `reporter` is told how far the reads and the actions got."""
    ws, store = load_for_run(directory, environment)

    async def go() -> Outcome:
        ctx = run_context(ws, store, options, reporter)
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
                if check is not None and expected is not None:
                    plan = check(expected, plan)
                chosen = select_targets(ws, targets) if targets else None
                if not plan.has_changes:
                    record_protected(ctx.store, ws)  # in sync: the flags are what is applied
                    record_applied(ctx.store, ws, only=chosen, not_applied=set(plan.left_alone))
                if not plan.has_changes or not approve(plan):
                    reads, writes = session.calls()
                    return Outcome(plan, None, reads, writes, lineage_recorded=recorded)
                result = await execute_plan(session, plan)
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
    return asyncio.run(go())
