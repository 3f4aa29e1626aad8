"""What `campaignctl status` says about one campaign: vendor-neutral, filled by each
provider's `campaign_status` hook, collected by status/collect.py, rendered by render/status.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass
class CampaignStatus:
    account: str
    vendor: str
    name: str
    state: str
    send_at: str | None = None
    planned: int | None = None  # recipients the manifests target now (None: vendor-side)
    sent: int | None = None
    rejected: int | None = None
    unknown: int | None = None
    cost: float | None = None
    currency: str | None = None
    #: recipients the vendor reports delivered (its results or callbacks); None: no report
    delivered: int | None = None
    #: where the send is, in words: not handed over, scheduled for a time (handed to the
    #: vendor, which sends it then), handed to the vendor, delivered (phase() below)
    delivery: str = ""
    #: vendor results as the API gives them (email-campaigns dispositions; callback events)
    results: dict[str, int] = field(default_factory=dict)
    remote_id: str | None = None
    note: str = ""
    #: with --target: batches (send-only), result windows, events
    details: list[dict[str, Any]] = field(default_factory=list)
    #: with --show-contacts: one row per recipient (address and outcome)
    contacts: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.contacts is None:
            out.pop("contacts")
        return out


def phase(handed: int | None, send_at: datetime | None, delivered: int | None,
          timezone: str | None = None, now: datetime | None = None) -> str:
    """Where a send is: `handed` recipients given to the vendor, to send at `send_at`;
    `delivered` as the vendor reports it. A send handed over for a later time is
    "scheduled for" that time, never "sent"; "delivered" only from the vendor's word."""
    if delivered:
        return f"delivered to {delivered:,}"
    if not handed:
        return "not handed over"
    now = now or datetime.now(UTC)
    if send_at is not None and send_at.tzinfo is not None and send_at > now:
        return f"scheduled for {_local(send_at, timezone)}"
    return "handed to the vendor, no delivery report"


def _local(when: datetime, timezone: str | None) -> str:
    try:
        local = when.astimezone(ZoneInfo(timezone)) if timezone else when
    except (ZoneInfoNotFoundError, ValueError):
        local = when
    offset = local.utcoffset()
    zone = timezone or getattr(local.tzinfo, "key", None) or (
        "UTC" if not offset else local.strftime("UTC%z"))
    return f"{local:%Y-%m-%d %H:%M} {zone}"
