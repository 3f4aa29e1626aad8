"""The renderers of `campaignctl status`: one view (a list of CampaignStatus, collected by
reconciler/status/collect.py) as a text table, JSON or Markdown. The text table is laid out
by rich (columns as wide as their widest cell, counted in terminal cells, so a name in CJK or
with an emoji keeps the columns aligned); the Markdown table is written here, one line per
row, since a pipe table is the row joined with `|` and nothing a library adds would help."""

from __future__ import annotations

import io
import json

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

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
    # printable: a vendor's value holds no escape code or line break that reaches the terminal
    rows = [[printable(c) for c in cells(s)] for s in statuses]
    # Two spaces between columns, no borders, no header style: plain text for a terminal,
    # a log or a file alike (status output is never coloured).
    table = Table(box=None, pad_edge=False, padding=(0, 1), header_style="none")
    for name in COLUMNS:
        table.add_column(name, no_wrap=True, overflow="ignore")
    for row in rows:
        table.add_row(*(Text(c) for c in row))  # Text: a `[` in a name is not markup
    width = sum(max(cell_len(r[i]) for r in [list(COLUMNS), *rows]) + 2
                for i in range(len(COLUMNS)))
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False,
            legacy_windows=False).print(table)
    out = [line.rstrip() for line in buffer.getvalue().splitlines()]
    for s in statuses:
        if s.details or s.contacts or s.note:
            out += ["", printable(f"Campaign/{s.name}:"), *map(printable, _detail_lines(s))]
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
