"""Safety gates, in one place: thresholds on how much of what we manage a plan may delete or
update (campaignctl.yaml `safety:`), a limit on cancelling campaigns scheduled to send
(irreversible, so it applies however few resources are managed), and
`lifecycle.prevent_destroy`, which turns a delete or replace of a protected resource into a
refused action."""

from __future__ import annotations

from dataclasses import dataclass, replace

from reconciler.config import SafetyConfig
from reconciler.engine.actions import Action
from reconciler.engine.gates import GateViolation, gate_violations
from reconciler.engine.plan import Plan
from reconciler.errors import CampaignctlError
from reconciler.state.records import PROTECTED
from reconciler.words import plural

PROTECTED_META = PROTECTED.key  # addresses last applied with the flag set
DESTRUCTIVE = ("delete", "replace")


class UnsafePlan(CampaignctlError):
    """A plan beyond a safety threshold; `--force` allows it."""


@dataclass(frozen=True)
class Violation:
    setting: str
    limit: float
    count: int
    existing: int
    verb: str

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.existing

    def __str__(self) -> str:
        if self.setting == "max_cancel_scheduled":
            return (f"plan {self.verb} {plural(self.count, 'campaign')} scheduled to send, which cannot "
                    f"be undone; safety.{self.setting} is {self.limit:g}. Re-run with --force "
                    "to allow it.")
        return (f"plan {self.verb} {self.count} of {self.existing} managed resources "
                f"({self.percent:.0f}%); safety.{self.setting} is {self.limit:g}. "
                "Re-run with --force to allow it.")


Stop = Violation | GateViolation


def violations(plan: Plan, existing: int, config: SafetyConfig,
               audiences: dict[str, int] | None = None) -> list[Stop]:
    """Thresholds and gates this plan exceeds. `existing` is the number of managed
    resources (the bindings in the state store); below `min_existing` the percentage
    thresholds do not apply, the limit on cancelling scheduled sends and the budget and
    audience gates (engine/gates.py, against `audiences`) always do."""
    out: list[Stop] = list(gate_violations(plan, config, audiences))
    cancels = sum(1 for a in plan.actions if a.cancels_send)
    if cancels > config.max_cancel_scheduled:
        out.append(Violation("max_cancel_scheduled", config.max_cancel_scheduled, cancels,
                             existing, "cancels"))
    if existing <= 0 or existing < config.min_existing:
        return out
    deletes = sum(1 for a in plan.actions if a.op == "delete")
    updates = sum(1 for a in plan.actions if a.op in ("update", "replace"))
    if deletes and 100.0 * deletes / existing > config.max_delete_percent:
        out.append(Violation("max_delete_percent", config.max_delete_percent, deletes,
                             existing, "deletes"))
    if updates and 100.0 * updates / existing > config.max_update_percent:
        out.append(Violation("max_update_percent", config.max_update_percent, updates,
                             existing, "updates or replaces"))
    return out


def enforce(plan: Plan, existing: int, config: SafetyConfig, force: bool,
            audiences: dict[str, int] | None = None) -> None:
    found = violations(plan, existing, config, audiences)
    if found and not force:
        raise UnsafePlan("unsafe plan, nothing was changed: " + " ".join(map(str, found)))


def resending(plan: Plan) -> dict[str, int]:
    """Per campaign, the recipients whose outcome was unknown that this plan sends again
    (a plan made with `--resend-unknown`)."""
    return {a.address: n for a in plan.actions
            if a.op == "send" and (n := a.data.get("resend_unknown", 0))}


def check_resend(plan: Plan, expected: int | None) -> None:
    """`apply --resend-unknown=COUNT`: resending people who may already have the message is
    an operator's decision about a number, so the plan must resend exactly the COUNT they
    were shown, or nothing is sent (with or without --auto-approve)."""
    found = resending(plan)
    total = sum(found.values())
    each = ", ".join(f"{address}: {n}" for address, n in sorted(found.items()))
    would = (f"this plan would send {plural(total, 'recipient')} whose outcome is unknown "
             f"again ({each})" if total else
             "this plan would send no recipient whose outcome is unknown again")
    if expected is None:
        raise CampaignctlError(
            f"--resend-unknown needs the number of recipients you decided to send again: "
            f"{would}. Nothing was sent. Check with the vendor first (`campaignctl state "
            f"ledger unknown`), then re-run with --resend-unknown={total}.")
    if total != expected:
        raise CampaignctlError(
            f"--resend-unknown={expected}, but {would}; nothing was sent. The count changed "
            "since it was read (a batch settled or resent, recipients opted out or left the "
            f"audience): review the plan, then re-run with --resend-unknown={total}.")


def _key(account: str, kind: str, name: str) -> str:
    return f"{account}:{kind}/{name}"


def recorded_protected(store) -> set[str]:
    return PROTECTED.read(store)


def record_protected(store, workspace) -> None:
    """After an apply: remember which resources carry prevent_destroy, so removing the
    manifest itself cannot delete them (set the flag to false and apply first)."""
    present = {_key(r.provider, r.kind, r.name) for r in workspace.ordered()}
    flagged = {_key(r.provider, r.kind, r.name) for r in workspace.ordered()
               if r.lifecycle.prevent_destroy}
    kept = {k for k in recorded_protected(store) if k not in present}
    PROTECTED.write(store, flagged | kept)


def protect(actions: list[Action], workspace, recorded: set[str] | None = None) -> list[Action]:
    """Deletes and replaces of resources with `lifecycle.prevent_destroy: true` (in the
    manifests, or recorded at the last apply for manifests since removed) become refusals."""
    recorded = recorded or set()
    out = []
    for a in actions:
        if a.op in DESTRUCTIVE:
            r = workspace.get(a.kind, a.name)
            flagged = (r.lifecycle.prevent_destroy if r is not None
                       else _key(a.account, a.kind, a.name) in recorded)
            if flagged:
                where = "is set" if r is not None else "was set when it was last applied"
                a = replace(a, op="refuse", irreversible=False, cancels_send=False, data={},
                            reason=f"lifecycle.prevent_destroy {where}: refusing to {a.op} "
                                   f"it ({a.reason}). Set prevent_destroy: false and apply "
                                   "first to allow it.")
        out.append(a)
    return out
