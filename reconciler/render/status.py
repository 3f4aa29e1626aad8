"""The renderers of `campaignctl status`: one view (a list of CampaignStatus, collected by
reconciler/status/collect.py) as a text table, JSON or Markdown."""

from __future__ import annotations

import json

from reconciler.money import money
from reconciler.render.escape import markdown_text, printable
from reconciler.status.model import CampaignStatus

STATUS_FORMAT_VERSION = 1
COLUMNS = ("campaign", "provider", "state", "delivery", "send at", "planned",
           "handed over", "rejected", "unknown", "cost", "results")


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def cells(s: CampaignStatus) -> list[str]:
    cost = "-" if s.cost is None else money(s.cost, s.currency)
    results = ", ".join(f"{k} {v:,}" for k, v in s.results.items()) or "-"
    return [f"Campaign/{s.name}", f"{s.account} ({s.vendor})", s.state, s.delivery or "-",
            s.send_at or "-",
            _count(s.planned), _count(s.sent), _count(s.rejected), _count(s.unknown), cost,
            results]


def _detail_lines(s: CampaignStatus) -> list[str]:
    lines = []
    if s.remote_id:
        lines.append(f"  vendor id: {s.remote_id}")
    if s.note:
        lines.append(f"  note: {s.note}")
    for d in s.details:
        lines.append("  " + ", ".join(f"{k} {v}" for k, v in d.items() if v is not None))
    for c in s.contacts or []:
        lines.append("    " + "  ".join(str(v) for v in c.values()))
    return lines


def render_text(statuses: list[CampaignStatus]) -> str:
    if not statuses:
        return "No campaigns in the workspace."
    rows = [list(COLUMNS)] + [cells(s) for s in statuses]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    out = []
    for row in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    for s in statuses:
        if s.details or s.contacts or s.note:
            out += ["", f"Campaign/{s.name}:", *_detail_lines(s)]
    return "\n".join(out)


def render_markdown(statuses: list[CampaignStatus]) -> str:
    def esc(text: str) -> str:  # as written: never HTML, a link or a cell break
        return markdown_text(text).replace("|", "\\|")

    out = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(esc(c) for c in cells(s)) + " |" for s in statuses]
    for s in statuses:
        if s.details or s.contacts or s.note:
            out += ["", f"**Campaign/{esc(s.name)}**", "", "```",
                    *(printable(line.strip()).replace("```", "'''")
                      for line in _detail_lines(s)), "```"]
    return "\n".join(out)


def render_json(statuses: list[CampaignStatus]) -> str:
    return json.dumps({"format_version": STATUS_FORMAT_VERSION,
                       "campaigns": [s.to_dict() for s in statuses]}, indent=2)
