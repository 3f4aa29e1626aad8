"""HTTP client of Connectly's Campaign Send API (connectly-campaign-send.txt).

One POST carries many sendout entries (one per recipient). The endpoint allows 200
requests/s and answers 429 beyond it, having accepted nothing, so VendorHttp both spaces
requests below that (rate_limit, default 190/s to keep headroom for clock skew) and retries
429s after Retry-After. A send is not idempotent: 5xx, timeouts and dropped connections
raise OutcomeUnknown and are never retried.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from reconciler.http import VendorHttp
from reconciler.secrets import Secret

VENDOR = "connectly"
ENTRY_FIELDS = frozenset(
    {"sender", "client", "campaignName", "variables", "campaignVersion", "scheduledAt"})


def _entry(i: int, entry: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(entry) - ENTRY_FIELDS)
    if unknown:
        raise ValueError(f"connectly send: entries[{i}] has undocumented field(s) "
                         f"{', '.join(unknown)}")
    # Optional fields left unset are omitted, not sent as null.
    return {k: v for k, v in entry.items() if v is not None}


class ConnectlyClient:
    def __init__(self, base_url: str, business_id: str, api_key: Secret, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 rate_limit: float = 190, **http_options: Any):
        if not business_id:
            raise ValueError("connectly: business_id is empty")
        self.business_id = business_id
        # The business id is a credential that travels in the path: the log shows ****.
        self.http = VendorHttp(VENDOR, base_url, {"X-API-Key": api_key.reveal()},
                               transport=transport, rate_limit=rate_limit,
                               redact=[business_id], **http_options)

    @property
    def send_path(self) -> str:
        # Quoted so an id with "/" or "?" cannot change which endpoint is called.
        return f"/v1/businesses/{quote(self.business_id, safe='')}/send/campaigns"

    async def __aenter__(self) -> ConnectlyClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send_campaigns(self, entries: list[dict[str, Any]],
                             paced: bool = False) -> Any:
        """POST one batch of sendout entries; returns the vendor's answer. `paced`: the
        caller has just taken its rate-limit slot (`self.http.pace()`)."""
        if not entries:
            raise ValueError("connectly send: no entries")
        body = [_entry(i, e) for i, e in enumerate(entries)]
        response = await self.http.request("POST", self.send_path, json=body,
                                           idempotent=False, paced=paced)
        # The doc does not say what the answer holds: any JSON is taken (the provider
        # reads what it can of it); one that is not JSON leaves the outcome unknown.
        return self.http.answer(response, self.send_path, (dict, list, str, int, float,
                                                           bool, type(None)),
                                idempotent=False)
