"""What `campaignctl status` says about one campaign: vendor-neutral, filled by each
provider's `campaign_status` hook, collected by status/collect.py, rendered by render/status.py."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
