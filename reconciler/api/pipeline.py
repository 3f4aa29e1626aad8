"""The run's pipeline, for the API's commands: load -> validate -> open the state (once)
-> read live -> diff -> plan, and the guarded apply under the state's lock. The public
entry points are reconciler/api/ (planning.py, applying.py); this module holds what they
share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from reconciler.checked_csv import deferrable
from reconciler.engine.contract import RunContext, RunOptions
from reconciler.engine.executor import ApplyResult
from reconciler.engine.plan import Plan
from reconciler.engine.planner import Session, build_plan, open_session
from reconciler.engine.reporting import NO_PROGRESS, Reporter
from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.state import lineage
from reconciler.state.backend import open_store
from reconciler.state.store import Store
from reconciler.validate import errors_of, in_file_order, validate_directory, validate_workspace
from reconciler.var_overrides import Overrides
from reconciler.vendors import provider_factories
from reconciler.workspace import Workspace, load_workspace


def load_valid(directory: Path, environment: str | None = None,
               overrides: Overrides | None = None) -> Workspace:
    """The workspace, validated (every CSV row checked); ValidationFailed otherwise."""
    ws, diagnostics = validate_directory(directory, environment=environment,
                                         overrides=overrides)
    return _valid(ws, diagnostics)


def _valid(ws: Workspace | None, diagnostics: list) -> Workspace:
    errors = errors_of(diagnostics)
    if errors or ws is None:
        raise ValidationFailed(errors or diagnostics)
    return ws


def load_for_run(directory: Path, environment: str | None = None,
                 overrides: Overrides | None = None) -> tuple[Workspace, Store]:
    """plan and apply: the workspace validated, and its state store, opened once for the
    whole command. The rows of CSVs the store records as checked clean (the same bytes, the
    same checking code) are left in `ws.unchecked`, for the plan to check while its reads
    are in flight (checked_csv); every other CSV is checked here, before any vendor call.
    A store that cannot be opened is reported after the manifests' own errors."""
    ws, diagnostics = load_workspace(directory, environment=environment, overrides=overrides)
    store = None
    if ws is not None and not errors_of(diagnostics):
        try:
            store = open_store(ws.config)
        except CampaignctlError:
            store = None  # every row is checked now; the error is raised below
    try:
        if ws is not None:
            diagnostics += validate_workspace(
                ws, defer=deferrable(ws, store) if store is not None else None)
        ws = _valid(ws, in_file_order(diagnostics))
        return ws, store if store is not None else open_store(ws.config)
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


def run_options(now: datetime | None, clock: Callable[[], datetime] | None,
                **flags) -> RunOptions:
    """The run's options, with the time pinned where the caller pins it."""
    options = RunOptions(**flags)
    if now is not None:
        options.now = now
    if clock is not None:
        options.clock = clock
    return options


def run_context(ws: Workspace, store: Store, options: RunOptions | None = None,
                reporter: Reporter | None = None) -> RunContext:
    """The run's context, refused unless the store is the workspace's own (its lineage);
    the pipeline hands the engine the vendor catalog here."""
    verdict = lineage.check(store, ws.config)
    return RunContext(ws, store, options or RunOptions(), reporter or NO_PROGRESS,
                      vendors=provider_factories(), unrecorded_state=verdict.warning,
                      lineage_note=verdict.warning if verdict.history else None)


async def plan_in(ctx: RunContext, targets: list[str] | None) -> Outcome:
    """A plan of the context's workspace (its sessions closed), with the calls it made and,
    with show_contacts, each send's recipients."""
    session: Session = open_session(ctx)
    try:
        plan = await build_plan(session, targets)
        reads, writes = session.calls()
        contacts = None
        if ctx.options.show_contacts:
            contacts = {a.address: found for a in plan.changes
                        if a.account in session.providers and (found := session.providers[
                            a.account].planned_recipients(a)) is not None}
        return Outcome(plan, reads=reads, writes=writes, contacts=contacts)
    finally:
        await session.aclose()


#: What apply asks before executing a fresh plan (None: approved); a saved plan was reviewed.
Confirm = Callable[[Plan], bool]
