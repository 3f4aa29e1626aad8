"""scheduled-campaigns under `campaignctl halt`: every bound campaign in SCHEDULED or READY
is moved back to DRAFT, one documented edge per PUT (READY > SCHEDULED > DRAFT); one that
is SENDING cannot be stopped (only the vendor leaves SENDING), which is listed."""

from __future__ import annotations

from reconciler.engine.halting import StopOutcome
from reconciler.errors import CampaignctlError
from reconciler.providers.scheduled_campaigns import states


class ScheduledHalt:
    """A mixin of ScheduledCampaignsProvider (it provides `client`, `_bindings`, `account`)."""

    async def halt(self) -> list[StopOutcome]:
        account = self.account.name
        out = []
        for b in self._bindings():
            address = f"Campaign/{b.name}"
            try:
                obj = await self.client.get(int(b.remote_id))
                state = str(obj.get("state", "")).upper()
                if state in (states.DRAFT, states.DONE, states.ERROR):
                    out.append(StopOutcome(address, account, state == states.DRAFT,
                                           f"already {state}: nothing to stop"))
                    continue
                if state == states.SENDING:
                    out.append(StopOutcome(address, account, False,
                                           "SENDING: only the vendor leaves that state"))
                    continue
                # Every PUT carries the campaign's full segments (else it targets everyone).
                segments = list(obj.get("segments") or [])
                for step in states.path(state, states.DRAFT):
                    await self.client.update(int(b.remote_id),
                                             {"state": step, "segments": segments})
            except (CampaignctlError, ValueError) as exc:
                out.append(StopOutcome(address, account, False, f"the vendor refused: {exc}"))
                continue
            out.append(StopOutcome(address, account, True, f"moved back to DRAFT (was {state})"))
        return out
