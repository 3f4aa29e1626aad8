"""email-campaigns: `campaignctl status`, from the campaign list and its results."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from reconciler.providers.email_campaigns.client import oid
from reconciler.providers.email_campaigns.live import (
    EmailLive,
    by_id,
)
from reconciler.providers.email_campaigns.timezones import from_api
from reconciler.status.model import CampaignStatus, phase
from reconciler.workspace import Resource

REJECTED_DISPOSITIONS = ("bounced", "rejected", "failed", "invalid", "dropped")


class EmailStatus:
    """The status half of EmailCampaignsProvider."""

    async def campaign_status(self, campaigns: list[Resource], details: bool = False,
                              show_contacts: bool = False) -> list[CampaignStatus]:
        """The campaign's status and its results (`GET /email/result/filter/` over the
        campaign's window: the day before its start to the day after its last change or
        today), counted by disposition as the API gives them."""
        if not campaigns:
            return []
        listed, optouts = await asyncio.gather(self.client.list_campaigns(),
                                               self.client.list_optouts())
        live = EmailLive(campaigns=by_id(listed),
                         optouts={o["email"].lower(): oid(o) for o in optouts if o.get("email")})
        return list(await asyncio.gather(*(self._status(r, live, details, show_contacts)
                                           for r in campaigns)))

    async def _status(self, r: Resource, live: EmailLive, details: bool,
                      show_contacts: bool) -> CampaignStatus:
        b = self.bindings.get(r.kind, r.name)
        obj = live.campaigns.get(b.remote_id) if b else None
        planned = self._audience(r, live).recipients
        out = CampaignStatus(self.account.name, self.vendor, r.name, "not created",
                             planned=planned, remote_id=b.remote_id if b else None)
        if r.spec.send_time():
            out.send_at = r.spec.send_time().isoformat()
        if obj is None:
            out.state = "gone (deleted outside campaignctl)" if b else "not created"
            return out
        start = from_api(obj.get("start_date", ""), obj.get("timezone", ""))
        out.state, out.send_at = obj.get("status") or "?", start.isoformat()
        first = start.astimezone(UTC).date() - timedelta(days=1)
        changed = obj.get("modified_on") or ""
        last = max(datetime.now(UTC).date(), _day_of(changed) or first,
                   start.astimezone(UTC).date()) + timedelta(days=1)
        rows = await self.client.results(first, last, b.remote_id)
        counts = Counter(str(row.get("disposition") or "unknown") for row in rows)
        out.results = dict(sorted(counts.items()))
        out.sent = len(rows) - counts.get("opted_out", 0)
        out.rejected = sum(counts.get(k, 0) for k in REJECTED_DISPOSITIONS)
        out.unknown = 0
        out.delivered = counts.get("delivered", 0)
        # active (or completed): the vendor holds it and sends at its start; paused or
        # cancelled: it does not
        handed = out.sent or int(out.state in ("active", "completed"))
        out.delivery = phase(handed, start, out.delivered, r.spec.timezone,
                             self.ctx.options.now)
        if details:
            out.details = [{"window": f"{first} .. {last}", "results": len(rows),
                            **{f"disposition {k}": v for k, v in out.results.items()}}]
        if show_contacts:
            out.contacts = [{"address": row.get("email_to"), "outcome": row.get("disposition"),
                             "at": row.get("start_date")} for row in rows]
        return out



def _day_of(stamp: str) -> date | None:
    try:
        return datetime.fromisoformat(stamp).date()
    except ValueError:
        return None

