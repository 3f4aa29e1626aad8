"""What renderers share beyond the view model (engine/plan_view.py, re-exported here): the
lines that describe an action's fields, sets, send, content and send windows, in words."""

from __future__ import annotations

from typing import Any

from reconciler.engine.actions import FieldChange, SendSummary, SetChange
from reconciler.engine.plan_view import (
    OP_LABELS,
    OP_ORDER,
    ActionView,
    CampaignView,
    PlanView,
    scheduled_times,
)
from reconciler.money import money
from reconciler.render.escape import clipped, printable
from reconciler.words import plural

__all__ = ["CONTACTS_NOTE", "OP_LABELS", "OP_ORDER", "ActionView", "CampaignView", "PlanView",
           "detail_lines", "scheduled_times"]

CONTACTS_NOTE = ("contacts shown because of --show-contacts: each send lists its recipients. "
                 "A plan file (-o) never holds them, only counts; a scheduled-campaigns send "
                 "goes to the vendor's own list and segments, which campaignctl cannot list.")


def detail_lines(row: ActionView) -> list[str]:
    """An action's field-level details, shared by text and Markdown; each a single line."""
    a = row.action
    lines = [f"from template {row.template}"] if row.template else []
    if a.path:  # in the manifest's spelling of states (`draft`, the vendor's DRAFT)
        lines.append(f"state: {' > '.join(str(p).lower() for p in a.path)}")
    for c in a.changes:
        lines.append(field_line(c, row.vendor_fields))
    for s in a.sets:
        lines.extend(set_lines(s))
    if a.send:
        lines.extend(send_lines(a.send))
    if a.content:
        lines.extend(content_lines(a.content))
    lines.extend(window_lines(a.data))
    lines.extend(row.review_lines)
    lines.extend(frequency_lines(a.data))
    if a.depends_on:
        lines.append(f"after: {', '.join(a.depends_on)}")
    if row.recipients is not None:
        lines.append(f"recipients ({plural(len(row.recipients), 'address', 'addresses')}, "
                     "--show-contacts):")
        lines.extend(f"  {address}" for address in row.recipients)
    return [printable(line) for line in lines]  # one line each, whatever the values hold


def short(value: Any, limit: int = 80) -> str:
    if value is None:
        return "(none)"
    text = str(value)
    return repr(text) if len(text) < limit else repr(clipped(text, limit - 2))  # at a word


def field_line(c: FieldChange, vendor: bool = False) -> str:
    """`field: before -> after`, named and valued as the manifest writes it; with `vendor`
    (--debug), the vendor's field and values after it."""
    tag = "  # forces replacement" if c.forces_replace else ""
    line = f"{c.field}: {short(c.before)} -> {short(c.after)}{tag}"
    if vendor and c.vendor:
        line += (f"  [vendor {c.vendor['field']}: {short(c.vendor['before'])} -> "
                 f"{short(c.vendor['after'])}]")
    return line


def set_lines(s: SetChange) -> list[str]:
    parts = [f"+{s.add}", f"-{s.remove}"] + ([f"~{s.update}"] if s.update else [])
    extra = f" ({s.note})" if s.note else ""
    lines = [f"{s.field}: {' '.join(parts)} -> {s.total_after} total{extra}"]
    if s.kept_live and not s.note:
        lines.append(f"{s.kept_live} live entries not in the manifest are kept")
    if s.irreversible:
        lines.append(f"{s.field}: removals cannot be undone by campaignctl")
    return lines


def send_lines(s: SendSummary) -> list[str]:
    when = f"at {s.send_at}" if s.send_at else "now"
    tz = f" ({s.timezone})" if s.timezone else ""
    lines = [f"recipients: {s.recipients:,} in {plural(s.batches, 'batch')}, {when}{tz}"]
    if s.suppressed:
        lines.append(f"suppressed by opt-outs: {s.suppressed:,}")
    if s.already_sent:
        lines.append(f"already sent: {s.already_sent:,}")
    if s.unknown:
        lines.append(f"outcome unknown (not resent): {plural(s.unknown, 'recipient')}")
    if s.estimated_messages is not None or s.estimated_cost is not None:
        msgs = f"{s.estimated_messages:,}" if s.estimated_messages is not None else "?"
        cost = (f", estimated cost {money(s.estimated_cost, s.currency)}"
                if s.estimated_cost is not None else "")
        basis = f" ({s.estimate_basis})" if s.estimate_basis else ""
        lines.append(f"estimated messages: {msgs}{cost}{basis}")
    return lines


def content_lines(c: dict[str, Any]) -> list[str]:
    """What goes out, as a reviewer reads it (placeholders, never a contact)."""
    lines = [f"content ({c.get('channel')}):"]
    if c.get("sender"):
        lines.append(f"  from: {c['sender']}")
    if c.get("subject"):
        lines.append(f"  subject: {c['subject']!r}")
    if c.get("first_lines"):
        fmt = f" ({c['body_format']})" if c.get("body_format") else ""
        lines.append(f"  first lines{fmt}: " + " / ".join(repr(x) for x in c["first_lines"]))
    if c.get("text"):
        lines.append(f"  text: {c['text']!r}")
    if c.get("template"):
        lines.append(f"  template: {c['template']}")
    if c.get("variables"):
        lines.append("  variables: " + ", ".join(f"{k}={v!r}" for k, v in
                                                  sorted(c["variables"].items())))
    if c.get("segments"):
        lines.append(f"  SMS segments per recipient: {c['segments']} ({c.get('encoding')})")
    if c.get("sample"):
        lines.append(f"  sample: {c['sample']!r}")
    if c.get("samples"):
        lines.append("  sample recipients: " + "; ".join(map(sample_line, c["samples"])))
    return lines


def sample_value(value: str | None, defaulted: bool) -> str:
    """One masked sample value as shown: `A**`, `there (default)`, `(none)`."""
    if value is None:
        return "(none)"
    return f"{value} (default)" if defaulted else value


def sample_line(s: dict[str, Any]) -> str:
    """A sample recipient (plan `content.samples`): `<phone> first_name=A**, name=there
    (default)`, every value masked as the plan holds it."""
    defaulted = set(s.get("defaulted") or ())
    values = ", ".join(f"{k}={sample_value(v, k in defaulted)}"
                       for k, v in (s.get("values") or {}).items())
    return f"{s.get('to')} {values}".rstrip()


def window_lines(data: dict[str, Any]) -> list[str]:
    """The send-window part of an action (reconciler/policy): rules applied, recipients by
    zone (counts only), and the waves of a local-time send."""
    lines = []
    policy = data.get("policy")
    if policy:
        rules = ", ".join(policy.get("rules") or []) or "none apply"
        lines.append(f"send windows (pack {policy.get('pack_version')}, "
                     f"{policy.get('purpose')}): {rules}")
        if policy.get("waived"):
            lines.append(f"waived rules: {', '.join(policy['waived'])}")
        if policy.get("uncertain_place"):
            lines.append(f"place uncertain for {plural(policy['uncertain_place'], 'recipient')} "
                         "(area code and `timezone` disagree, or a number tied to no state): "
                         "the strictest rule of every place they may be in applies")
    zones = data.get("zones")
    if zones:
        lines.append("recipients by zone: " + ", ".join(f"{z} {n:,}" for z, n in zones.items()))
    for w in data.get("waves") or []:
        cost = (f", estimated cost {money(w['estimated_cost'], w.get('currency'))}"
                if w.get("estimated_cost") is not None else "")
        late = " (late: next allowed time)" if w.get("late") else ""
        deferred = (f" (deferred: {w['deferred_by']} closed at the send time)"
                    if w.get("deferred_by") else "")
        lines.append(f"wave {w['zone']}: {w['local']} local = {w['utc']}, "
                     f"{plural(w['recipients'], 'recipient')}{cost}{late}{deferred}")
    for warning in data.get("window_warnings") or []:
        lines.append(f"warning: {warning}")
    return lines


def frequency_lines(data: dict[str, Any]) -> list[str]:
    """The recipients frequency caps held back from a send (reconciler/policy/frequency.py):
    per cap, how many, from when they are eligible, and what becomes of them."""
    lines = []
    for row in data.get("frequency") or []:
        span = row["eligible_from"] + (f" to {row['eligible_until']}"
                                       if row["eligible_until"] != row["eligible_from"] else "")
        then = ("sent by an apply once eligible (late: send-next-window)"
                if row.get("late") == "send-next-window" else "dropped from this send")
        lines.append(f"held back by {row['cap']}: {plural(row['held_back'], 'recipient')}, "
                     f"eligible from {span}; {then} ({row['rule']}; {row['source']})")
    return lines
