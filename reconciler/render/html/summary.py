"""The top of the report: what the plan is and what stops or warns, before any send (the
refusals, the safety stops, drift, unknown outcomes, what cannot be undone), the campaign
table, and at the end every action with its field-level details."""

from __future__ import annotations

from reconciler.render.html.escape import text
from reconciler.render.html.sends import anchor
from reconciler.render.view import CONTACTS_NOTE, OP_LABELS, PlanView, detail_lines
from reconciler.words import plural

MAX_NAMES = 50


def _names(rows: list, limit: int = MAX_NAMES) -> str:
    shown = ", ".join(f"<code>{text(r.address)}</code>" for r in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def alerts(view: PlanView) -> str:
    out = []
    if view.refused:
        items = "".join(f"<li><code>{text(r.address)}</code> ({text(r.action.account)}): "
                        f"{text(r.action.reason)}</li>" for r in view.refused)
        out.append(f'<section class="alert stop" id="refused"><h2>Refused</h2><p>'
                   f"{text(view.refused_line)}</p><ul>{items}</ul></section>")
    for message in view.safety:
        out.append(f'<section class="alert stop safety"><h2>Safety stop</h2><p>{text(message)}'
                   "</p></section>")
    if view.drift:
        items = "".join(f"<li><code>{text(r.address)}</code>: {text(r.action.reason)}</li>"
                        for r in view.drift[:MAX_NAMES])
        more = (f"<p>and {len(view.drift) - MAX_NAMES} more</p>"
                if len(view.drift) > MAX_NAMES else "")
        out.append('<section class="alert drift" id="drift"><h2>Changed outside '
                   f"campaignctl (drift): this plan reverts it</h2><ul>{items}</ul>{more}"
                   "</section>")
    if view.unknown_line:
        out.append(f'<section class="alert stop"><h2>Unknown outcomes</h2><p>'
                   f"{text(view.unknown_line)}</p></section>")
    if view.irreversible:
        out.append(f'<section class="alert warn"><h2>Cannot be undone</h2><p>'
                   f"{_names(view.irreversible)}</p></section>")
    return "".join(out)


def header(view: PlanView, verdict: str | None) -> str:
    out = ["<h1>campaignctl plan</h1>"]
    if verdict:
        ok = " ok" if verdict.startswith("Verified") else ""
        out.append(f'<p class="verdict{ok}">{text(verdict)}</p>')
    if view.environment_note:
        out.append(f"<p><strong>{text(view.environment_note)}</strong></p>")
    if view.partial_note:
        out.append(f'<p class="alert warn">{text(view.partial_note)}</p>')
    out.append(f'<p class="summary">{text(view.summary_line)}</p>')
    counts = [(op, n) for op, n in view.counts.items() if n]
    if counts:
        cells = "".join(f"<tr><th>{op} ({OP_LABELS[op]})</th><td>{n}</td></tr>"
                        for op, n in counts)
        out.append(f'<table class="kv counts">{cells}</table>')
    out += [f'<p class="muted">{text(line)}</p>' for line in view.policy_lines]
    if view.show_contacts:
        out.append(f'<p class="muted">{text(CONTACTS_NOTE)}</p>')
    return "".join(out)


def campaign_table(view: PlanView) -> str:
    if not view.campaigns:
        return ""
    rows = "".join(
        f'<tr><td><a href="#{anchor(c.address)}"><code>{text(c.address)}</code></a></td>'
        f"<td>{text(c.op)}</td><td>{text(c.send_text)}</td><td>{text(c.recipients_text)}</td>"
        f"<td>{text(c.cost_text)}</td><td>{'<strong>yes</strong>' if c.irreversible else 'no'}"
        "</td></tr>" for c in view.campaigns)
    return ('<h2>Campaigns</h2><table class="grid"><tr><th>campaign</th><th>change</th>'
            "<th>send time</th><th>recipients</th><th>estimate</th><th>irreversible</th></tr>"
            f"{rows}</table>")


def actions_section(view: PlanView) -> str:
    if not view.rows:
        return ""
    items = []
    for r in view.rows:
        verb = r.op if r.symbol == r.op else f"{r.symbol} {r.op}"
        origin = f" [{r.origin_label}]" if r.origin_label else ""
        details = detail_lines(r)
        pre = "<pre>" + "\n".join(map(text, details)) + "</pre>" if details else ""
        items.append(f'<details class="action op-{text(r.op)}"><summary><strong>{text(verb)}'
                     f"</strong> <code>{text(r.address)}</code> ({text(r.action.account)})"
                     f"{text(origin)}: {text(r.action.reason)}</summary>{pre}</details>")
    return f"<h2>All {plural(len(view.rows), 'action')}</h2>" + "".join(items)
