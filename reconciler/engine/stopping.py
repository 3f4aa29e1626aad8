"""What `campaignctl halt` asks of the vendors: each account's provider stops what its API
still allows, through the optional `halt` capability (engine/contract.Haltable); a vendor
without it is listed as one that could not be stopped."""

from __future__ import annotations

import asyncio

from reconciler.engine.contract import RunContext
from reconciler.engine.halting import StopOutcome
from reconciler.engine.planner import open_session
from reconciler.errors import CampaignctlError


async def stop_vendors(ctx: RunContext) -> list[StopOutcome]:
    """Ask every account to stop what it still can; what it cannot, with why."""
    session = open_session(ctx)
    try:
        async def one(name: str) -> list[StopOutcome]:
            provider = session.providers[name]
            stop = getattr(provider, "halt", None)
            if stop is None:
                return [StopOutcome("*", name, False, f"the {provider.account.type} vendor "
                                    "offers campaignctl no way to stop a send")]
            try:
                return list(await stop())
            except CampaignctlError as exc:
                return [StopOutcome("*", name, False, f"the vendor could not be asked: {exc}")]
        found = await asyncio.gather(*(one(n) for n in sorted(session.providers)))
    finally:
        await session.aclose()
    return [o for group in found for o in group]
