"""Collecting `campaignctl status`: each provider fills its `campaign_status` hook (reads
only: email-campaigns asks its API for the campaign and its results, scheduled-campaigns
GETs the campaign and reads the callback events in the state store, send-only accounts read
the send ledger). Contact data is counted, never listed, unless `--show-contacts` is given
for one `--target`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

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
        statuses = [s for group in found for s in group] + proof_statuses(ctx, campaigns)
        return sorted(statuses, key=lambda s: (s.account, s.name, s.state == "proof"))

    try:
        return asyncio.run(go())
    finally:
        ctx.store.close()


def proof_statuses(ctx: RunContext, campaigns: list) -> list[CampaignStatus]:
    """Each proof sent (`campaignctl proof`), listed as a proof beside its campaign: from
    the send ledger, where proofs are kept apart from the real sends."""
    from reconciler.engine.proofs import group_of
    from reconciler.state.ledger import REJECTED, SENT, SendLedger, proof_key

    ledger = SendLedger(ctx.store)
    out = []
    for r in campaigns:
        account = ctx.workspace.config.accounts[r.provider]
        for b in ledger.proofs(r.provider, r.name):
            when = datetime.fromtimestamp(b.created_at, UTC).isoformat(timespec="seconds")
            out.append(CampaignStatus(
                r.provider, account.type, r.name, "proof", send_at=when,
                sent=b.recipients if b.status == SENT else 0,
                rejected=b.recipients if b.status == REJECTED else 0,
                unknown=0 if b.status in (SENT, REJECTED) else b.recipients,
                note=f"{proof_key(r.name)} batch {b.id}: "
                     + (f"to {group_of(b.error)}" if b.status == SENT else
                        f"{b.status}: {b.error or ''}".rstrip(": "))))
    return out
