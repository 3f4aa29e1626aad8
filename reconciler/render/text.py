"""The plan as text for terminals."""

from __future__ import annotations

import os
import sys

from reconciler.engine.actions import Action
from reconciler.engine.plan import Plan

COLORS = {"create": "32", "update": "33", "replace": "35", "delete": "31", "transition": "36",
          "send": "34", "refuse": "31;1", "adopt": "32", "warn": "33"}


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _fmt(value) -> str:
    if value is None:
        return "(none)"
    text = str(value)
    return repr(text) if len(text) < 60 else repr(text[:57] + "...")


def action_lines(a: Action, color: bool = False) -> list[str]:
    head = f"{a.symbol} {a.op} {a.address} ({a.account})"
    if color:
        head = f"\033[{COLORS.get(a.op, '0')}m{head}\033[0m"
    lines = [f"{head}: {a.reason}"]
    if a.path:
        lines.append(f"    state: {' > '.join(a.path)}")
    for c in a.changes:
        tag = "  # forces replacement" if c.forces_replace else ""
        lines.append(f"    {c.field}: {_fmt(c.before)} -> {_fmt(c.after)}{tag}")
    for s in a.sets:
        parts = [f"+{s.add}", f"-{s.remove}"] + ([f"~{s.update}"] if s.update else [])
        extra = f" ({s.note})" if s.note else ""
        lines.append(f"    {s.field}: {' '.join(parts)} -> {s.total_after} total{extra}")
        if s.kept_live and not s.note:
            lines.append(f"    {s.kept_live} live entries not in the manifest are kept")
    if a.send:
        s = a.send
        when = f"at {s.send_at}" if s.send_at else "now"
        tz = f" ({s.timezone})" if s.timezone else ""
        lines.append(f"    recipients: {s.recipients} in {s.batches} batches, {when}{tz}")
        if s.suppressed:
            lines.append(f"    suppressed by opt-outs: {s.suppressed}")
        if s.already_sent:
            lines.append(f"    already sent: {s.already_sent}")
        if s.unknown:
            lines.append(f"    outcome unknown (not resent): {s.unknown} recipients")
        if s.estimated_messages is not None:
            cost = (f", estimated cost {s.estimated_cost:.2f} {s.currency or ''}".rstrip()
                    if s.estimated_cost is not None else "")
            lines.append(f"    estimated messages: {s.estimated_messages}{cost}")
    if a.irreversible:
        lines.append("    ! cannot be undone")
    return lines


def render_text(plan: Plan, color: bool = False) -> str:
    out: list[str] = []
    if plan.targets:
        out.append(f"Partial plan: only {', '.join(plan.targets)} and what they depend on.\n")
    for a in plan.actions:
        out.extend(action_lines(a, color))
    if not plan.has_changes:
        refused = [a for a in plan.actions if a.op == "refuse"]
        out.append("No changes." + (f" {len(refused)} refused (see above)." if refused else "")
                   + " The live state matches the manifests.")
    else:
        counts = plan.counts()
        summary = ", ".join(f"{n} to {op}" for op, n in sorted(counts.items()))
        out.append(f"\nPlan: {summary}.")
    return "\n".join(out)
