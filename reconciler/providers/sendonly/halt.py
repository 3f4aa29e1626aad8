"""Send-only accounts (Octopush, Connectly) under `campaignctl halt`: neither API has a
way to cancel a send once handed over (octopush-sms-campaign.txt, octopush-email-campaign
.txt and connectly-campaign-send.txt document a send and nothing else), so batches
already handed over with a send time still ahead are listed as not stopped, with their
recipient count and time; the vendor's support is the only way left. A running apply stops
before its next batch (batches.py), and later plans refuse every send."""

from __future__ import annotations

from datetime import UTC, datetime

from reconciler.engine.halting import StopOutcome
from reconciler.state.ledger import SENT, UNKNOWN
from reconciler.words import plural


def _last_send_time(r) -> datetime | None:
    """The latest instant the campaign's batches were asked to go out at (a local-time send
    reaches UTC-12 last); None for an immediate send."""
    local = r.spec.local_send
    if local is not None:
        return local.in_zone("Etc/GMT+12")
    return r.spec.send_time()


class SendOnlyHalt:
    """A mixin of SendOnlyProvider (it provides `ctx`, `ledger`, `account`)."""

    async def halt(self) -> list[StopOutcome]:
        account = self.account.name
        now = datetime.now(UTC)
        out = []
        for name in self.ledger.campaigns(account):
            r = self.ctx.workspace.get("Campaign", name)
            when = _last_send_time(r) if r is not None else None
            if when is None or when <= now:
                continue  # delivered (or delivering) already: nothing is waiting
            handed = sum(b.recipients for b in self.ledger.batches(account, name)
                         if b.status in (SENT, UNKNOWN))
            if handed:
                out.append(StopOutcome(
                    f"Campaign/{name}", account, False,
                    f"{plural(handed, 'recipient')} handed to {self.account.type} with a send "
                    f"time up to {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC: its API has no way to cancel a send; "
                    "ask the vendor's support"))
        return out
