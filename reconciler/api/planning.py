"""`validate`, `plan` and `show` as library calls: each returns data (diagnostics, the plan
with its safety verdict and its view); the command line only renders it."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from reconciler.api.pipeline import Outcome, load_for_run, plan_in, run_context, run_options
from reconciler.config import environment_names
from reconciler.engine.gates import growth_stopped, record_audiences, recorded_audiences
from reconciler.engine.plan import Plan
from reconciler.engine.plan_view import PlanView
from reconciler.engine.reporting import Reporter
from reconciler.engine.safety import Stop, violations
from reconciler.errors import Diagnostic
from reconciler.saved_plans import save_signed, show_saved
from reconciler.validate import errors_of, in_file_order, validate_directory
from reconciler.var_overrides import Overrides


@dataclass
class Validation:
    diagnostics: list[Diagnostic]
    environments: list[str] = field(default_factory=list)  # checked by all_envs

    @property
    def errors(self) -> list[Diagnostic]:
        return errors_of(self.diagnostics)

    @property
    def valid(self) -> bool:
        return not self.errors


def validate(directory: Path, *, environment: str | None = None,
             show_contacts: bool = False, all_envs: bool = False,
             variables: Sequence[str] = ()) -> Validation:
    """Offline, with no credentials: schema, references, compliance and vendor rules.
    `all_envs`: every environment campaignctl.yaml declares, in one run (`environment` is
    then not used); a finding of some environments only names them. `variables`:
    NAME=VALUE settings of manifest variables (--var), over CAMPAIGNCTL_VAR_NAME in the
    environment (reconciler/var_overrides.py)."""
    overrides = Overrides.parse(variables, os.environ)
    names = environment_names(Path(directory)) if all_envs else []
    if not names:
        _, diagnostics = validate_directory(Path(directory), offline=True,
                                            show_contacts=show_contacts,
                                            environment=None if all_envs else environment,
                                            overrides=overrides)
        return Validation(diagnostics)
    found: dict[tuple[str, str, str], tuple[Diagnostic, list[str]]] = {}
    for name in names:
        _, diagnostics = validate_directory(Path(directory), offline=True,
                                            show_contacts=show_contacts, environment=name,
                                            overrides=overrides)
        for d in diagnostics:
            found.setdefault((str(d.location), d.message, d.severity), (d, []))[1].append(name)
    merged = [d if len(envs) == len(names) else
              replace(d, message=f"{d.message} (environment {', '.join(envs)})")
              for d, envs in found.values()]
    return Validation(in_file_order(merged), names)


@dataclass
class PlanResult:
    """A plan, the safety thresholds it exceeds (apply refuses it without force), and the
    view every renderer prints."""

    plan: Plan
    violations: list[Stop]
    view: PlanView
    reads: int = 0
    writes: int = 0
    saved_to: Path | None = None

    @property
    def refused(self) -> bool:
        """An action the plan refuses: the plan fails (exit 1), changes or not."""
        return bool(self.view.refused)

    @property
    def outstanding(self) -> bool:
        """Changes, or recipients of unknown outcome to decide about."""
        return bool(self.view.outstanding)


def plan(directory: Path, *, targets: list[str] | tuple[str, ...] = (),
         environment: str | None = None, show_contacts: bool = False,
         vendor_estimate: bool = False, resend_unknown: bool = False,
         out: Path | None = None, reporter: Reporter | None = None,
         now: datetime | None = None, clock: Callable[[], datetime] | None = None,
         variables: Sequence[str] = ()) -> PlanResult:
    """Read live state and plan. The safety verdict counts the bindings of the same state
    the plan read; `out` saves the plan signed with that state's key (one store open).
    `resend_unknown`: plan what `apply --resend-unknown` would send; `now` and `clock`
    pin the time (tests, replays); `variables`: NAME=VALUE (--var), as for `validate`."""
    directory = Path(directory)
    ws, store = load_for_run(directory, environment, Overrides.parse(variables, os.environ))
    options = run_options(now, clock, show_contacts=show_contacts,
                          vendor_estimate=vendor_estimate, resend_unknown=resend_unknown)
    try:
        ctx = run_context(ws, store, options, reporter)
        outcome: Outcome = asyncio.run(plan_in(ctx, list(targets)))
        found = violations(outcome.plan, len(store.bindings()), ws.config.safety,
                           recorded_audiences(store))
        safety = [str(v) for v in found]
        if out is not None:
            save_signed(outcome.plan, Path(out), directory, safety, store)
            # A saved plan is the reviewed one: its sends are the growth gate's baseline.
            record_audiences(store, outcome.plan.actions, growth_stopped(found))
    finally:
        store.close()
    view = PlanView(outcome.plan, directory=str(directory.resolve()), safety=safety,
                    show_contacts=show_contacts, contacts=outcome.contacts)
    return PlanResult(outcome.plan, found, view, outcome.reads, outcome.writes,
                      Path(out) if out is not None else None)


@dataclass
class ShownPlan:
    view: PlanView
    verdict: str  # the line that says whether its signature verified
    verified: bool


def show(planfile: Path, *, workspace: Path | None = None,
         environment: str | None = None) -> ShownPlan:
    """A saved plan as `plan` printed it; no vendor call. Verified against `workspace`'s
    state when given (else flagged unverified)."""
    return ShownPlan(*show_saved(Path(planfile), workspace, environment))
