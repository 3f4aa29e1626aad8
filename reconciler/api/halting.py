"""`halt` and `resume`: the emergency stop of an environment.

`halt` records the halt in the state first (from then on every plan and apply refuses to
send, and a running apply stops before its next batch or campaign change: it does not wait
for the apply's lock), then asks every account to stop what its vendor still allows
(engine/stopping.py) and lists what it could not stop. `resume` removes the
record; the campaigns halt moved back to draft or cancelled are planned again from the
manifests, for review."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.api.pipeline import run_context
from reconciler.engine.halting import StopOutcome
from reconciler.engine.stopping import stop_vendors
from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.state.backend import open_store
from reconciler.state.halt import Halt, clear_halt, read_halt, record_halt
from reconciler.validate import errors_of
from reconciler.workspace import Workspace, load_workspace


@dataclass
class Halted:
    halt: Halt
    already: Halt | None = None  # the halt in force before (its record is replaced)
    outcomes: list[StopOutcome] = field(default_factory=list)

    @property
    def not_stopped(self) -> list[StopOutcome]:
        return [o for o in self.outcomes if not o.stopped]

    def lines(self) -> list[str]:
        out = [f"Halted: {self.halt.describe()}"]
        if self.already:
            out.append(f"(replaces the halt of {self.already.by} at {self.already.when})")
        out += [o.line() for o in self.outcomes]
        if not self.outcomes:
            out.append("No campaign was waiting at any vendor.")
        if self.not_stopped:
            out.append(f"{len(self.not_stopped)} could not be stopped: see above.")
        return out


def _workspace(directory: Path, environment: str | None) -> Workspace:
    """The workspace as far as it loads: a halt must work even while a manifest is
    broken; only campaignctl.yaml must be sound (it says where the state is)."""
    ws, diagnostics = load_workspace(Path(directory), environment=environment)
    if ws is None:
        raise ValidationFailed(errors_of(diagnostics) or diagnostics)
    return ws


def halt(directory: Path, *, reason: str = "", environment: str | None = None,
         by: str | None = None) -> Halted:
    """Stop every send of the environment; the halt and what each vendor did."""
    ws = _workspace(directory, environment)
    store = open_store(ws.config)
    try:
        ctx = run_context(ws, store)
        before = read_halt(store)
        recorded = record_halt(store, reason.strip(), ws.config.environment, by)
        outcomes = asyncio.run(stop_vendors(ctx))
    finally:
        store.close()
    return Halted(recorded, before, outcomes)


def resume(directory: Path, *, environment: str | None = None) -> Halt:
    """Lift the halt; the halt lifted. Refused when the environment is not halted."""
    ws = _workspace(directory, environment)
    store = open_store(ws.config)
    try:
        run_context(ws, store)  # the state must be the workspace's own
        lifted = clear_halt(store)
    finally:
        store.close()
    if lifted is None:
        env = f" (environment {ws.config.environment})" if ws.config.environment else ""
        raise CampaignctlError(f"nothing to resume: sends are not halted{env}")
    return lifted
