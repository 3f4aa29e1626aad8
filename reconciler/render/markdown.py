"""The plan as Markdown for a pull-request comment: summary table first, details folded in
`<details>`, never longer than GitHub's comment limit. When it would be, whole actions are
dropped from the end of the details with a note (a table is never cut in the middle)."""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.render.escape import markdown_text, printable
from reconciler.render.view import CONTACTS_NOTE, OP_LABELS, ActionView, PlanView, detail_lines
from reconciler.words import plural, word

MAX_CHARS = 60_000  # GitHub allows 65,536 per comment; keep room for the marker and footer
COMMENT_MARKER = "<!-- campaignctl-plan -->"
_TRUNCATION_RESERVE = 400
SECTION_BUDGET = 12_000  # the summary's tables and lists each stay under this
MAX_NAMES = 50


def _bounded(rows: list[str], budget: int, what: str) -> list[str]:
    """Whole rows up to `budget` characters, then a note (after the table, never inside).
    `what`: the noun of one row ("campaign")."""
    out: list[str] = []
    used = 0
    for row in rows:
        if used + len(row) + 1 > budget:
            break
        out.append(row)
        used += len(row) + 1
    if len(out) < len(rows):
        out += ["", f"_... and {len(rows) - len(out)} more {word(len(rows) - len(out), what)}: see the details below or "
                    "the plan.json artifact._"]
    return out


def _cell(text: object) -> str:
    """A value safe inside a table cell: one line, pipes escaped, bounded."""
    s = markdown_text(text).replace("|", "\\|")
    return s if len(s) <= 120 else s[:117] + "..."


def _code(text: object) -> str:
    s = printable(text).replace("`", "'")
    return f"`{s}`"


def _header(view: PlanView) -> list[str]:
    out = [COMMENT_MARKER, "## campaignctl plan", ""]
    if view.environment_note:
        out += [f"**{markdown_text(view.environment_note)}**", ""]
    if view.variable_lines:
        out += [*(f"- {markdown_text(line)}" for line in view.variable_lines), ""]
    if view.partial_note:
        out += [f"> **{markdown_text(view.partial_note)}**", ""]
    out.append(f"**{markdown_text(view.summary_line)}**")
    out.append("")
    counts = {op: n for op, n in view.counts.items() if n}
    if counts:
        out += ["| operation | count |", "|---|---:|"]
        out += [f"| {op} ({OP_LABELS[op]}) | {n} |" for op, n in counts.items()]
        out.append("")
    if view.campaigns:
        out += ["| campaign | change | send time | recipients | estimate | irreversible |",
                "|---|---|---|---|---|---|"]
        rows = [f"| {_code(c.address)} | {c.op} | {_cell(c.send_text)}"
                f" | {_cell(c.recipients_text)} | {_cell(c.cost_text)} | "
                f"{'**yes**' if c.irreversible else 'no'} |" for c in view.campaigns]
        out += _bounded(rows, SECTION_BUDGET, "campaign")
        out.append("")
    if view.irreversible:
        names = [_code(r.address) for r in view.irreversible]
        shown = names[:MAX_NAMES]
        more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
        out.append(":warning: **Cannot be undone:** " + ", ".join(shown) + more)
        out.append("")
    if view.drift:
        names = [_code(r.address) for r in view.drift]
        shown = names[:MAX_NAMES]
        more = f" and {len(names) - len(shown)} more" if len(names) > len(shown) else ""
        out.append(":mag: **Changed outside campaignctl (drift), this plan reverts it:** "
                   + ", ".join(shown) + more)
        out.append("")
    if view.refused:
        out += ["**Refused:**", ""]
        out += _bounded([f"- {_code(r.address)}: {_cell(r.action.reason)}"
                         for r in view.refused], SECTION_BUDGET, "refused action")
        out.append("")
    for message in view.safety:
        out += [f":no_entry: **Safety:** {_cell(message)}", ""]
    if view.policy_lines and (view.campaigns or view.refused):
        out += [f"_{_cell(line)}_  " for line in view.policy_lines] + [""]
    if view.show_contacts:
        out += [f"_Note: {CONTACTS_NOTE}_", ""]
    return out


def _action_block(row: ActionView) -> str:
    mark = " :warning: **cannot be undone**" if row.irreversible else ""
    verb = row.op if row.symbol == row.op else f"{row.symbol} {row.op}"
    origin = f" _[{row.origin_label}]_" if row.origin_label else ""
    lines = [f"- **{verb}** {_code(row.address)} ({_cell(row.action.account)}){origin}"
             f": {_cell(row.action.reason)}{mark}"]
    details = detail_lines(row)
    if details:
        lines.append("  ```")
        lines += [f"  {d.replace('```', chr(39) * 3)}" for d in details]
        lines.append("  ```")
    return "\n".join(lines)


def render_markdown(plan: Plan | PlanView, max_chars: int = MAX_CHARS) -> str:
    view = plan if isinstance(plan, PlanView) else PlanView(plan)
    head = "\n".join(_header(view))
    # Refusals fail the plan: say so last, where a reader (and a CI log) ends.
    refused = markdown_text(view.refused_line or "")
    tail = f"\n:no_entry: **{refused}**\n" if refused else ""
    if not view.rows:
        return head.rstrip() + "\n" + tail
    open_tag = f"<details><summary>Details: {plural(len(view.rows), 'action')}</summary>\n\n"
    close_tag = "\n\n</details>\n"
    budget = (max_chars - len(head) - len(open_tag) - len(close_tag) - len(tail)
              - _TRUNCATION_RESERVE)
    blocks: list[str] = []
    used = 0
    for row in view.rows:
        block = _action_block(row)
        if used + len(block) + 1 > budget:
            break
        blocks.append(block)
        used += len(block) + 1
    body = "\n".join(blocks)
    left = len(view.rows) - len(blocks)
    if left:
        body += (f"\n\n_... {left} more {word(left, 'action')} not shown: the comment would exceed "
                 f"{max_chars:,} characters. Run `campaignctl plan` or open the plan.json "
                 "artifact for the full plan._")
    return head + "\n" + open_tag + body + close_tag + tail
