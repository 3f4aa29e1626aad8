"""Collecting `campaignctl status`: each provider fills its `campaign_status` hook (reads
only: email-campaigns asks its API for the campaign and its results, scheduled-campaigns
GETs the campaign and reads the callback events in the state store, send-only accounts read
the send ledger). Contact data is counted, never listed, unless `--show-contacts` is given
for one `--target`.
"""

from __future__ import annotations

import asyncio

from reconciler.engine.contract import RunContext, RunOptions
from reconciler.errors import CampaignctlError
from reconciler.state.backend import open_store
from reconciler.state.pins import check_origins
from reconciler.status.model import CampaignStatus
from reconciler.suggest import did_you_mean
from reconciler.vendors import installed
from reconciler.workspace import Workspace


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
            known = [f"Campaign/{c.name}" for c in campaigns]
            raise CampaignctlError(f"--target {target}: no such Campaign in the workspace"
                                   f"{did_you_mean(target, known)} (expected Campaign/NAME)")
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
