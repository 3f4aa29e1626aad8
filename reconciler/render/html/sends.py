"""Each send of the plan, in the order of the pull-request comment (the view's campaigns):
channel, sender, subject, the message as the recipient sees it, the masked sample values,
the audience after opt-outs by zone with the timeline of its waves, and the estimated
cost. The resources one `for_each` template made (`Campaign/x[en]`, `[fr]`...) stand side
by side, one column per key."""

from __future__ import annotations

from typing import Any

from reconciler.render.html.content import body_block, samples_block
from reconciler.render.html.escape import text
from reconciler.render.html.timeline import LEGEND, axis_defs, timeline_svg
from reconciler.render.view import ActionView, CampaignView, PlanView
from reconciler.words import plural


def anchor(address: str) -> str:
    """An element id for an address (letters, digits and - only)."""
    return "send-" + "".join(c if c.isalnum() else "-" for c in address)


def _template_key(row: ActionView | None) -> tuple[str, str] | None:
    """("Campaign/spring-sale", "en") for a resource made by a for_each template."""
    if row is None or not row.template or not row.template.endswith("]"):
        return None
    base, _, key = row.template[:-1].partition("[")
    return (base, key) if key else None


def _row_of(view: PlanView) -> dict[str, ActionView]:
    """Each campaign's action: the one with the send or content (a warning only when it
    is all the plan has for it)."""
    rows: dict[str, ActionView] = {}
    for r in view.rows:
        have = rows.get(r.address)
        if have is None or (have.op in ("warn", "refuse") and r.op not in ("warn", "refuse")):
            rows[r.address] = r
    return rows


def _facts(c: CampaignView, row: ActionView | None, content: dict[str, Any]) -> str:
    items = [("channel", content.get("channel") or (row.action.data.get("channel")
                                                   if row else None) or "not in the plan"),
             ("sender", content.get("sender") or "not in the plan"),
             ("subject", content.get("subject")), ("account", c.account),
             ("send", c.send_text + (f" ({c.timezone})" if c.timezone else ""))]
    dl = "".join(f"<dt>{name}</dt><dd>{text(value)}</dd>" for name, value in items
                 if value is not None)
    return f'<dl class="facts">{dl}</dl>'


def _audience(c: CampaignView, row: ActionView | None) -> str:
    s = row.action.send if row else None
    lines = [f"recipients after opt-outs: <strong>{text(c.recipients_text)}</strong>"]
    if s is not None:
        if s.already_sent:
            lines.append(f"already sent: {s.already_sent}")
        lines.append(plural(s.batches, "batch"))
    zones = (row.action.data.get("zones") if row else None) or {}
    table = ""
    if zones:
        cells = "".join(f"<tr><th>{text(z)}</th><td>{text(n)}</td></tr>"
                        for z, n in zones.items())
        table = f'<table class="kv"><caption>by zone</caption>{cells}</table>'
    policy = (row.action.data.get("policy") if row else None) or {}
    rules = ", ".join(policy.get("rules") or []) or "none apply"
    windows = (f"<p>Send windows (pack {text(policy.get('pack_version'))}, "
               f"{text(policy.get('purpose'))}): {text(rules)}</p>") if policy else ""
    svg = timeline_svg(row.action.data, s.send_at if s else c.send_at,
                       c.address) if row else None
    return ("<h4>Audience</h4><p>" + "; ".join(lines) + "</p>" + table + windows
            + (svg or '<p class="muted">No audience by zone in the plan (the vendor holds '
                      "the list): no timeline.</p>"))


def _cost(c: CampaignView, row: ActionView | None) -> str:
    basis = row.action.send.estimate_basis if row and row.action.send else None
    return (f'<h4>Estimated cost</h4><p class="cost">{text(c.cost_text)}</p>'
            + (f'<p class="muted">{text(basis)}</p>' if basis else ""))


def send_card(c: CampaignView, row: ActionView | None, heading: str) -> str:
    content = (row.action.content if row else None) or {}
    mark = ' <span class="irrev">cannot be undone</span>' if c.irreversible else ""
    return (f'<article class="send" id="{anchor(c.address)}"><h3>{heading} '
            f'<span class="op op-{text(c.op)}">{text(c.op)}</span>{mark}</h3>'
            + _facts(c, row, content) + "<h4>Message</h4>" + body_block(content)
            + samples_block(content) + _audience(c, row) + _cost(c, row) + "</article>")


def sends_section(view: PlanView) -> str:
    rows = _row_of(view)
    groups: dict[str, list[tuple[str, CampaignView]]] = {}
    order: list[tuple[str, Any]] = []
    for c in view.campaigns:
        key = _template_key(rows.get(c.address))
        if key is None:
            order.append(("one", c))
            continue
        if key[0] not in groups:
            groups[key[0]] = []
            order.append(("group", key[0]))
        groups[key[0]].append((key[1], c))
    out = []
    for what, item in order:
        if what == "one":
            out.append(send_card(item, rows.get(item.address), text(item.address)))
            continue
        members = groups[item]
        cols = "".join(send_card(c, rows.get(c.address),
                                 f'{text(c.address)} <span class="locale">{text(key)}</span>')
                       for key, c in members)
        keys = ", ".join(k for k, _ in members)
        out.append(f'<section class="locales"><h3>{text(item)} <span class="muted">for_each: '
                   f'{text(keys)}</span></h3><div class="side" style="--n:{len(members)}">'
                   f"{cols}</div></section>")
    if not out:
        return ""
    return '<h2 id="sends">Sends</h2>' + axis_defs() + LEGEND + "".join(out)
