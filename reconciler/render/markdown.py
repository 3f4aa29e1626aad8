"""The plan as Markdown for a pull-request comment: summary table first, details folded in
`<details>`, never longer than GitHub's comment limit. What is sent comes first: sends,
then every Campaign and Message action, then the rest. When the whole would not fit,
contact-group actions are folded first (counted, not shown), then the other kinds, then
Campaign and Message actions are listed by name only; the comment says what it folded.
A table is never cut in the middle; a cut line ends at a word, with an ellipsis. Rendered
by GitHub with cmark-gfm: every value is escaped for it (render/escape.py). The tables are
written here, not with a Markdown library: a GFM pipe table is a row of escaped cells joined
with `|`, and the escaping for cmark-gfm (render/escape.py) and the folding to the comment
limit are what matters, which no table library does."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.engine.plan import Plan
from reconciler.engine.plan_view import parse_send_time
from reconciler.money import money
from reconciler.render.escape import clipped, markdown_text, printable
from reconciler.render.view import (
    CONTACTS_NOTE,
    OP_LABELS,
    ActionView,
    CampaignView,
    PlanView,
    detail_lines,
)
from reconciler.words import plural, word

MAX_CHARS = 60_000  # GitHub allows 65,536 per comment; keep room for the marker and footer
GITHUB_LIMIT = 65_536
COMMENT_MARKER = "<!-- campaignctl-plan -->"
_TRUNCATION_RESERVE = 400
SECTION_BUDGET = 12_000  # the summary's tables and lists each stay under this
MAX_NAMES = 50
CELL_LIMIT = 120  # a table cell or a headline's reason
REASON_LIMIT = 600  # a refusal's or safety stop's explanation: whole unless very long
#: folded first when the comment must be cut: contact-group uploads, then other
#: boilerplate; what is sent (rank 0 and 1) is never folded, only shortened to its name
_FOLD_ORDER = (3, 2)


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
        left = len(rows) - len(out)
        out += ["", f"_... and {left:,} more {word(left, what)}: named in the details below "
                    "(or the plan.json artifact)._"]
    return out


def _cell(text: object, limit: int = CELL_LIMIT) -> str:
    """A value safe inside a table cell or inline: one line, pipes escaped, cut at a word."""
    return markdown_text(clipped(printable(text), limit)).replace("|", "\\|")


def _code(text: object) -> str:
    s = printable(text).replace("`", "'")
    return f"`{s}`"


def _verb(row: ActionView) -> str:
    verb = row.op if row.symbol == row.op else f"{row.symbol} {row.op}"
    return markdown_text(verb)  # `~ update`: a bare ~ is cmark-gfm's strikethrough mark


def rank(row: ActionView) -> int:
    """Where an action goes in the comment: 0 sends, 1 Campaign and Message actions (and
    refusals, warnings), 2 other kinds, 3 contact groups (folded first)."""
    a = row.action
    if a.op == "send":
        return 0
    if a.kind in ("Campaign", "Message") or a.op in ("refuse", "warn"):
        return 1
    return 3 if a.kind == "ContactGroup" else 2


def _when(c: CampaignView) -> str:
    """Local send time in the recipients' zone, with its UTC offset; not the raw ISO."""
    when = parse_send_time(c.send_at)
    if when is None:
        return c.send_text
    try:
        when = when.astimezone(ZoneInfo(c.timezone)) if c.timezone else when
    except (ZoneInfoNotFoundError, ValueError):  # waves: "each recipient's own" zone
        return f"{when:%a %d %b %Y %H:%M} {c.timezone}"
    offset = when.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}"
    name = c.timezone or getattr(when.tzinfo, "key", None)  # a ZoneInfo's IANA name
    zone = f"{name} ({offset})" if name else offset
    return f"{when:%a %d %b %Y %H:%M} {zone}"


def _cost(c: CampaignView) -> str:
    if c.estimated_cost is not None:
        return money(c.estimated_cost, c.currency)
    if c.estimated_messages is not None:
        return f"{plural(c.estimated_messages, 'message')}, no price"
    return "-"


def _campaign_row(c: CampaignView) -> str:
    audience = c.recipients_text
    sent = f"{c.channel or '-'}, from {c.sender}" if c.sender else (c.channel or "-")
    messages = (f" ({plural(c.estimated_messages, 'message')})"
                if c.estimated_cost is not None and c.estimated_messages is not None
                and c.estimated_messages != c.recipients else "")
    return (f"| {_code(c.address)} | {c.op} | {_cell(sent, 60)} | {_cell(c.what or '-', 60)}"
            f" | {_cell(audience)} | {_cell(_when(c))} | {c.waves or '-'}"
            f" | {_cell(_cost(c))}{_cell(messages)} | {'**yes**' if c.irreversible else 'no'} |")


def _header(view: PlanView, table_budget: int = SECTION_BUDGET) -> list[str]:
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
        out += [f"| {op} ({OP_LABELS[op]}) | {n:,} |" for op, n in counts.items()]
        out.append("")
    if view.campaigns:
        out += ["| campaign | change | channel, sender | subject or first line | audience "
                "(after opt-outs) | send time (local) | waves | estimated cost | "
                "irreversible |", "|---|---|---|---|---|---|---:|---|---|"]
        ordered = sorted(view.campaigns, key=lambda c: (c.op != "send", not c.irreversible))
        out += _bounded([_campaign_row(c) for c in ordered], table_budget, "campaign")
        out.append("")
    if view.irreversible:
        names = [_code(r.address) for r in view.irreversible]
        shown = names[:MAX_NAMES]
        more = f" and {len(names) - len(shown):,} more" if len(names) > len(shown) else ""
        out.append(":warning: **Cannot be undone:** " + ", ".join(shown) + more)
        out.append("")
    if view.drift:
        names = [_code(r.address) for r in view.drift]
        shown = names[:MAX_NAMES]
        more = f" and {len(names) - len(shown):,} more" if len(names) > len(shown) else ""
        out.append(":mag: **Changed outside campaignctl (drift), this plan reverts it:** "
                   + ", ".join(shown) + more)
        out.append("")
    if view.refused:
        out += ["**Refused:**", ""]
        out += _bounded([f"- {_code(r.address)}: {_cell(r.action.reason, REASON_LIMIT)}"
                         for r in view.refused], SECTION_BUDGET, "refused action")
        out.append("")
    for message in view.safety:
        out += [f":no_entry: **Safety:** {_cell(message, REASON_LIMIT)}", ""]
    if view.policy_lines and (view.campaigns or view.refused):
        out += [f"_{_cell(line)}_  " for line in view.policy_lines] + [""]
    if view.show_contacts:
        out += [f"_Note: {CONTACTS_NOTE}_", ""]
    return out


def _action_block(row: ActionView) -> str:
    mark = " :warning: **cannot be undone**" if row.irreversible else ""
    origin = f" _[{row.origin_label}]_" if row.origin_label else ""
    lines = [f"- **{_verb(row)}** {_code(row.address)} ({_cell(row.action.account)}){origin}"
             f": {_cell(row.action.reason)}{mark}"]
    details = detail_lines(row)
    if details:
        lines.append("  ```")
        lines += [f"  {d.replace('```', chr(39) * 3)}" for d in details]
        lines.append("  ```")
    return "\n".join(lines)


def _by_op(rows: list[ActionView]) -> str:
    ops = Counter(r.op for r in rows)
    return ", ".join(f"{n:,} {op}" for op, n in ops.items())


def _names(rows: list[ActionView], budget: int) -> tuple[list[str], int]:
    """Actions by name only, one line per operation, within `budget` characters; and how
    many did not fit."""
    out: list[str] = []
    used = 0
    groups: dict[str, list[ActionView]] = {}
    for r in rows:
        groups.setdefault(r.op, []).append(r)
    left = 0
    for members in groups.values():
        head = f"- **{_verb(members[0])}** ({len(members):,}): "
        names: list[str] = []
        used += len(head) + 1
        for r in members:
            name = _code(r.address)
            if used + len(name) + 2 > budget:
                left += 1
                continue
            names.append(name)
            used += len(name) + 2
        if names:
            out.append(head + ", ".join(names))
    if left:
        out.append(f"- _... and {left:,} more not named: the comment would exceed "
                   f"{GITHUB_LIMIT:,} characters; see the plan.json artifact._")
    return out, left


def _details(view: PlanView, budget: int) -> tuple[str, str, int]:
    """The details' body within `budget`, the note of what was folded ("" if none), and
    how many actions of what is sent are not even named (0 unless the plan is huge)."""
    rows = sorted(view.rows, key=rank)  # stable: plan order within a rank
    blocks = {id(r): _action_block(r) for r in rows}

    def size(rs: list[ActionView]) -> int:
        return sum(len(blocks[id(r)]) + 1 for r in rs)

    shown, folded = rows, []
    for r_fold in _FOLD_ORDER:
        if size(shown) <= budget - 600:  # room for the note of what was folded
            break
        folded += [r for r in shown if rank(r) == r_fold]
        shown = [r for r in shown if rank(r) != r_fold]
    full, by_name = shown, []
    if size(shown) > budget - 600:
        entry = {id(r): len(_code(r.address)) + 2 for r in shown}
        rest = sum(entry.values()) + 200
        full, used = [], 0
        for r in shown:
            need = len(blocks[id(r)]) + 1
            if used + need + rest - entry[id(r)] > budget - 600:
                break
            full.append(r)
            used += need
            rest -= entry[id(r)]
        by_name = shown[len(full):]
    body = "\n".join(blocks[id(r)] for r in full)
    unnamed = 0
    if by_name:
        listed, unnamed = _names(by_name, budget - len(body) - 600)
        body += ("\n\n**By name only** (to fit the comment):\n\n" + "\n".join(listed))
    notes = []
    if folded:
        kinds: dict[str, list[ActionView]] = {}
        for r in folded:
            kinds.setdefault(r.action.kind, []).append(r)
        notes.append("folded (not shown) " + "; ".join(
            f"{plural(len(rs), k + ' action')} ({_by_op(rs)})" for k, rs in kinds.items()))
    if by_name:
        kinds_named = Counter(r.action.kind for r in by_name)
        notes.append(", ".join(plural(n, k + " action") for k, n in kinds_named.items())
                     + " listed by name only")
    note = ""
    if notes:
        named = ("Every send and Campaign is named below" if not unnamed else
                 f"{plural(unnamed, 'action')} of what is sent could not even be named")
        note = (f"_To fit GitHub's {GITHUB_LIMIT:,}-character comment: {'; '.join(notes)}. "
                f"{named}; the full plan: `campaignctl plan` or the plan.json artifact._\n\n")
    return body, note, unnamed


def render_markdown(plan: Plan | PlanView, max_chars: int = MAX_CHARS) -> str:
    view = plan if isinstance(plan, PlanView) else PlanView(plan)
    # Refusals fail the plan: say so last, where a reader (and a CI log) ends.
    refused = _cell(view.refused_line or "", REASON_LIMIT * 4)
    tail = f"\n:no_entry: **{refused}**\n" if refused else ""
    if not view.rows:
        return "\n".join(_header(view)).rstrip() + "\n" + tail
    open_tag = f"<details><summary>Details: {plural(len(view.rows), 'action')}</summary>\n\n"
    close_tag = "\n\n</details>\n"
    # Naming every send and Campaign comes before the campaign table's extra rows.
    for table_budget in (SECTION_BUDGET, SECTION_BUDGET // 4, 0):
        head = "\n".join(_header(view, table_budget))
        budget = (max_chars - len(head) - len(open_tag) - len(close_tag) - len(tail)
                  - _TRUNCATION_RESERVE)
        body, note, unnamed = _details(view, budget)
        if not unnamed:
            break
    return head + "\n" + note + open_tag + body + close_tag + tail
