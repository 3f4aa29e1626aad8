"""Budget and audience gates (campaignctl.yaml `safety:`): how many people one send may
reach, what one apply may cost in each currency, and how much a campaign's audience may grow
since its last reviewed or applied send. Each is a safety stop like the thresholds in
engine/safety.py: the plan says which gate, `--force` passes it."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.config import SafetyConfig
from reconciler.engine.actions import Action, SendSummary
from reconciler.engine.plan import Plan
from reconciler.state.records import AUDIENCES
from reconciler.words import plural

FORCE = "Re-run with --force to allow it."


@dataclass(frozen=True)
class GateViolation:
    setting: str  # e.g. "max_cost_per_apply.EUR"
    limit: float
    count: float
    message: str
    send: str = ""  # `account:Campaign/NAME` for a gate on one send

    def __str__(self) -> str:
        return f"{self.message}; safety.{self.setting} is {self.limit:g}. {FORCE}"


def audience(s: SendSummary) -> int:
    """Everyone a send reaches after suppression: this plan's recipients and those the
    campaign already sent to (or may have: unknown outcomes)."""
    return s.recipients + s.already_sent + s.unknown


def sends(plan: Plan) -> list[Action]:
    """The actions that send (a send-only vendor's `send`, an email campaign's create)."""
    return [a for a in plan.actions if a.send is not None and a.is_change]


def key(a: Action) -> str:
    return f"{a.account}:{a.address}"


def gate_violations(plan: Plan, config: SafetyConfig,
                    audiences: dict[str, int] | None = None) -> list[GateViolation]:
    """The gates this plan passes. `audiences`: each campaign's audience at its last
    reviewed or applied send (`account:Campaign/NAME` -> count)."""
    out = []
    found = sends(plan)
    cap = config.max_recipients_per_send
    if cap is not None:
        for a in found:
            if a.send.recipients > cap:
                out.append(GateViolation(
                    "max_recipients_per_send", cap, a.send.recipients,
                    f"{a.address} sends to {plural(a.send.recipients, 'recipient')}"))
    if config.max_cost_per_apply:
        totals: dict[str, float] = {}
        for a in found:
            if a.send.estimated_cost is not None and a.send.currency:
                cur = a.send.currency.upper()
                totals[cur] = totals.get(cur, 0.0) + a.send.estimated_cost
        for cur, limit in sorted(config.max_cost_per_apply.items()):
            total = round(totals.get(cur.upper(), 0.0), 4)
            if total > limit:
                out.append(GateViolation(
                    f"max_cost_per_apply.{cur}", limit, total,
                    f"plan's sends cost an estimated {total:.2f} {cur.upper()}"))
    growth = config.max_audience_growth_percent
    if growth is not None:
        for a in found:
            before = (audiences or {}).get(key(a))
            now = audience(a.send)
            if before and 100.0 * (now - before) / before > growth:
                out.append(GateViolation(
                    "max_audience_growth_percent", growth, now,
                    f"{a.address}'s audience grew from {before} to {now} "
                    f"(+{100.0 * (now - before) / before:.0f}%) since its last reviewed or "
                    "applied send", key(a)))
    return out


def recorded_audiences(store) -> dict[str, int]:
    return AUDIENCES.read(store)


def record_audiences(store, actions: list[Action], skip: set[str] = frozenset()) -> None:
    """Remember each send's audience: the baseline of the next plan's growth gate. `skip`:
    sends stopped by that gate (a saved plan that stops must stop again)."""
    chosen = {key(a): audience(a.send) for a in actions
              if a.send is not None and a.is_change and key(a) not in skip}
    if chosen:
        AUDIENCES.write(store, {**AUDIENCES.read(store), **chosen})


def growth_stopped(found: list) -> set[str]:
    """Keys of the sends the growth gate stopped, from a list of violations."""
    return {v.send for v in found
            if isinstance(v, GateViolation) and v.setting == "max_audience_growth_percent"}
