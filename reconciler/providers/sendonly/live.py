"""What a send-only account's read finds, and what its vendor answers to a batch: the
send ledger of each campaign, each campaign prepared for the plan (its content, audience and
pending recipients), the opt-out lists, the estimate of a send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.audience import Audience, Channel, Recipient
from reconciler.errors import CampaignctlError
from reconciler.state.ledger import CampaignLedger


@dataclass
class Estimate:
    messages: int | None = None
    cost: float | None = None
    currency: str | None = None
    note: str = ""
    refused: str | None = None  # the vendor rejected a simulated send
    basis: str | None = None  # how it was made (shown with the estimate)


@dataclass
class Prepared:
    """One campaign, computed in read(): everything diff() and execute() need."""

    channel: Channel
    content: dict[str, Any]
    identity: str
    audience: Audience
    pending: list[Recipient] = field(default_factory=list)
    estimate: Estimate | None = None
    #: recipients a frequency cap holds back from this send: address -> (cap, eligible at)
    held: dict[str, tuple[str, datetime]] = field(default_factory=dict)


@dataclass
class ListOptOuts:
    """One OptOutList of a send-only account: what its manifest lists and what the state
    store remembers from earlier applies."""

    listed: set[str]
    recorded: set[str]
    opt_in: set[str]

    @property
    def add(self) -> set[str]:
        return self.listed - self.recorded

    @property
    def remove(self) -> set[str]:
        """Explicit opt-ins of remembered opt-outs (an address still listed stays)."""
        return (self.opt_in & self.recorded) - self.listed

    @property
    def in_force(self) -> set[str]:
        return self.listed | (self.recorded - self.remove)

    @property
    def kept(self) -> int:
        """Remembered opt-outs the manifest no longer lists: they stay in force."""
        return len(self.recorded - self.listed - self.remove)


@dataclass
class SendLive:
    campaigns: dict[str, CampaignLedger] = field(default_factory=dict)
    prepared: dict[str, Prepared] = field(default_factory=dict)
    optouts: dict[str, ListOptOuts] = field(default_factory=dict)

    def ledger(self, name: str) -> CampaignLedger:
        return self.campaigns.get(name) or CampaignLedger(name)


def local_time(when: datetime, tz: str | None) -> str:
    return (when.astimezone(ZoneInfo(tz)) if tz else when).isoformat()


def utc_text(ts: float) -> str:
    """A ledger timestamp as shown: ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


class SendFailed(CampaignctlError):
    pass


@dataclass
class Receipt:
    """What a vendor answered to an accepted batch: its ticket and, if priced, its cost."""

    ticket: str | None
    cost: float | None = None
    currency: str | None = None
