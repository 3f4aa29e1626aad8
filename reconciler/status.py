"""`campaignctl status [DIR]`: one line per campaign across every account, after launch.

Each provider fills its `campaign_status` hook (reads only: email-campaigns asks its API
for the campaign and its results, scheduled-campaigns GETs the campaign and reads the
callback events in the state store, send-only accounts read the send ledger). One view
(a list of CampaignStatus) feeds the three renderers. Contact data is counted, never
listed, unless `--show-contacts` is given for one `--target`.
"""

from __future__ import annotations

import asyncio
import json

from reconciler.campaign_status import CampaignStatus
from reconciler.engine.contract import RunContext, RunOptions
from reconciler.errors import CampaignctlError
from reconciler.render.escape import markdown_text, printable
from reconciler.state.backend import open_store
from reconciler.state.pins import check_origins
from reconciler.vendors import installed
from reconciler.workspace import Workspace

STATUS_FORMAT_VERSION = 1
COLUMNS = ("campaign", "provider", "state", "send at", "planned", "sent", "rejected",
           "unknown", "cost", "results")


def collect(ws: Workspace, target: str | None = None,
            show_contacts: bool = False) -> list[CampaignStatus]:
    """Each campaign's status (one `--target` campaign's in detail) of the validated
    workspace `ws` (reconciler.api.status loads it)."""
    if show_contacts and target is None:
        raise CampaignctlError("--show-contacts lists recipients of one campaign: add "
                               "--target Campaign/NAME")
    campaigns = ws.of_kind("Campaign")
    if target is not None:
        kind, _, name = target.partition("/")
        if kind != "Campaign" or ws.get(kind, name) is None:
            raise CampaignctlError(f"--target {target}: no such Campaign in the workspace "
                                   "(expected Campaign/NAME)")
        campaigns = [ws.get(kind, name)]
    ctx = RunContext(ws, open_store(ws.config), RunOptions())

    async def go() -> list[CampaignStatus]:
        by_account: dict[str, list] = {}
        for r in campaigns:
            by_account.setdefault(r.provider, []).append(r)
        check_origins(ctx.store, ws.config, by_account)
        providers = [installed()[ws.config.accounts[a].type].provider(
            ws.config.accounts[a], ctx) for a in by_account]
        try:
            found = await asyncio.gather(*(
                p.campaign_status(by_account[p.account.name], target is not None,
                                  show_contacts) for p in providers))
        finally:
            for p in providers:
                await p.aclose()
        return sorted((s for group in found for s in group), key=lambda s: (s.account, s.name))

    try:
        return asyncio.run(go())
    finally:
        ctx.store.close()


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def cells(s: CampaignStatus) -> list[str]:
    cost = "-" if s.cost is None else f"{s.cost:g} {s.currency or ''}".rstrip()
    results = ", ".join(f"{k} {v}" for k, v in s.results.items()) or "-"
    return [f"Campaign/{s.name}", f"{s.account} ({s.vendor})", s.state, s.send_at or "-",
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


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}
