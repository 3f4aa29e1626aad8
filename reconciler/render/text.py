"""The plan as text for terminals: `+ ~ -/+ - >` symbols, field-level before/after, contacts
as counts, colour only on a TTY and never when NO_COLOR or CI=true is set. The colours are
rich styles, rendered by rich into the terminal's escape codes; whether to colour at all is
decided here (`use_color`), by the rules above rather than rich's own detection."""

from __future__ import annotations

import os
import sys
from functools import cache

from rich.color import ColorSystem
from rich.style import Style

from reconciler.engine.actions import Action
from reconciler.engine.plan import Plan
from reconciler.render.escape import printable
from reconciler.render.view import CONTACTS_NOTE, ActionView, PlanView, detail_lines

COLORS = {"create": "green", "update": "yellow", "replace": "magenta", "delete": "red",
          "transition": "cyan", "send": "blue", "refuse": "bold red", "adopt": "green",
          "warn": "yellow"}
IRREVERSIBLE = "! cannot be undone"


def in_ci() -> bool:
    """CI=true: output goes to a log, even on a pseudo-terminal: no colour, no live bars."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def use_color(stream=None) -> bool:
    stream = stream or sys.stdout
    return ("NO_COLOR" not in os.environ and not in_ci() and hasattr(stream, "isatty")
            and stream.isatty())


@cache
def _style(name: str) -> Style:
    return Style.parse(name)


def _paint(text: str, style: str, color: bool) -> str:
    """`text` in the rich style `style` (`bold red`) when `color`, else as it is."""
    return _style(style).render(text, color_system=ColorSystem.STANDARD) if color else text


def action_lines(a: Action | ActionView, color: bool = False) -> list[str]:
    row = a if isinstance(a, ActionView) else ActionView(a)
    head = _paint(printable(row.headline), COLORS.get(row.op, "none"), color)
    if row.origin_label:
        head += f" [{row.origin_label}]"
    lines = [f"{head}: {printable(row.action.reason)}"]
    lines += [f"    {line}" for line in detail_lines(row)]
    if row.irreversible:
        lines.append("    " + _paint(IRREVERSIBLE, "bold red", color))
    return lines


def render_text(plan: Plan | PlanView, color: bool = False) -> str:
    view = plan if isinstance(plan, PlanView) else PlanView(plan)
    out: list[str] = []  # "\n" only between lines: every value goes through printable()
    if view.environment_note:
        out.append(_paint(printable(view.environment_note), "bold", color)
                   + ("" if view.variable_lines else "\n"))
    if view.variable_lines:  # under the environment they set variables of
        out.append("\n".join(printable(line) for line in view.variable_lines) + "\n")
    if view.partial_note:
        out.append(_paint(printable(view.partial_note), "yellow", color) + "\n")
    for row in view.rows:
        out.extend(action_lines(row, color))
    if view.campaigns:
        out.append("\nCampaigns:")
        for c in view.campaigns:
            mark = f"  ({IRREVERSIBLE})" if c.irreversible else ""
            out.append(printable(f"  {c.address}: {c.send_phrase}; recipients "
                                 f"{c.recipients_text}; {c.estimate_text}{mark}"))
    if view.irreversible:
        names = printable(", ".join(r.address for r in view.irreversible))
        out.append(_paint(f"\nIrreversible: {names}", "bold red", color))
    if view.drift:
        names = printable(", ".join(r.address for r in view.drift))
        out.append(_paint(f"\nChanged outside campaignctl (drift, reverted by this plan): "
                          f"{names}", "yellow", color))
    for message in view.safety:
        out.append(_paint(f"\nSafety: {printable(message)}", "bold red", color))
    if view.policy_lines and (view.campaigns or view.refused):
        out.append("\n" + "\n".join(printable(line) for line in view.policy_lines))
    if view.show_contacts:
        out.append(f"\nNote: {CONTACTS_NOTE}")
    out.append(("\n" if view.rows else "") + printable(view.summary_line))
    if view.partial:
        out.append("(partial plan)")
    if view.refused_line:
        out.append(_paint(printable(view.refused_line), "bold red", color))
    return "\n".join(out)
