"""email-campaigns under `campaignctl halt`: every bound campaign still `active` gets
`PUT /email/campaign/?_id=... {"status": "paused"}` (the doc's statuses: active, paused,
cancelled). Paused, not cancelled: both stop the send, but a cancelled campaign can never
go again (campaignctl treats it as launched and frozen), while a paused one goes back to
`active` through the next reviewed plan after `campaignctl resume`. One already paused,
completed or cancelled is listed as such."""

from __future__ import annotations

from reconciler.engine.halting import StopOutcome
from reconciler.errors import CampaignctlError
from reconciler.providers.email_campaigns.client import oid

STOPPABLE = ("active",)


class EmailHalt:
    """A mixin of EmailCampaignsProvider (it provides `client`, `bindings`, `account`)."""

    async def halt(self) -> list[StopOutcome]:
        account = self.account.name
        bound = {b.remote_id: b.name for b in self.bindings.of_kind("Campaign")}
        out = []
        for obj in await self.client.list_campaigns():
            name = bound.get(oid(obj))
            if name is None:
                continue  # not ours: campaignctl never touches what it did not bind
            address = f"Campaign/{name}"
            status = obj.get("status")
            if status not in STOPPABLE:
                out.append(StopOutcome(address, account, status in ("paused", "cancelled"),
                                       f"already {status}: nothing left to stop"))
                continue
            try:
                await self.client.set_status(oid(obj), "paused")
            except CampaignctlError as exc:
                out.append(StopOutcome(address, account, False, f"the vendor refused: {exc}"))
                continue
            out.append(StopOutcome(address, account, True, f"paused (was {status}); the next plan after `resume` shows it going back to active"))
        return out
