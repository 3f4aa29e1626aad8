"""HTTP client for the scheduled-campaigns API (`/campaign`, `/campaign/<id>`).

Bodies are application/x-www-form-urlencoded, built as a list of tuples so `segments[]`
repeats once per id; `when` is always sent as a Unix timestamp int.

Every PUT carries the campaign's full `segments[]`: the doc says of a PUT's `segments[]`
"If none, campaign sends to all contacts", so a PUT that left them out (to change only a
name or a state) could widen the audience to the whole list. `update()` refuses a PUT
without a `segments` entry; an empty one (no `segments[]` at all) is only right for a
campaign that does target all contacts.

`list` is not a PUT field, so changing it is a replace; so is clearing the segments (the
provider plans a replace for it rather than rely on a PUT to widen an audience).
Clearing `event_callback` (None) on PUT sends `event_callback=` (empty string).

Retries follow reconciler.http: POST (create) is never retried after it may have reached
the vendor; it raises OutcomeUnknown. The API has no list endpoint, so a lost create cannot
be found again by name: the caller must record it as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import httpx

from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.http import VendorHttp
from reconciler.providers.scheduled_campaigns.states import STATES
from reconciler.providers.scheduled_campaigns.when import to_timestamp
from reconciler.secrets import Secret

VENDOR = "scheduled-campaigns"
POST_FIELDS = frozenset({"name", "domain", "list", "segments", "state", "when",
                         "event_callback"})
PUT_FIELDS = POST_FIELDS - {"list"}
FORM = "application/x-www-form-urlencoded"

__all__ = ["CampaignGone", "ScheduledCampaignsClient", "forces_replace", "POST_FIELDS",
           "PUT_FIELDS"]


class CampaignGone(ApiError):
    """The campaign id answers 404: deleted outside campaignctl (drift), or never existed."""

    @property
    def campaign_id(self) -> int | None:
        tail = self.path.rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() else None


def forces_replace(field: str, new_value: Any) -> bool:
    """True when changing `field` to `new_value` cannot be done with a PUT."""
    return field == "list" or (field == "segments" and not new_value)


class ScheduledCampaignsClient:
    def __init__(self, base_url: str, api_key: Secret, *,
                 transport: httpx.AsyncBaseTransport | None = None, **http_options: Any):
        self.http = VendorHttp(
            VENDOR, base_url, {"Authorization": f"Bearer {api_key.reveal()}",
                               "Accept": "application/json"},
            transport=transport, **http_options)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def get(self, campaign_id: int) -> dict:
        return await self._call("GET", _path(campaign_id))

    async def create(self, fields: dict[str, Any]) -> dict:
        for name in ("name", "domain", "list", "when"):
            if fields.get(name) is None:
                raise ValueError(f"{VENDOR}: creating a campaign needs `{name}`")
        created = await self._call("POST", "/campaign", _form(fields, POST_FIELDS, put=False))
        campaign_id = created.get("id")
        if isinstance(campaign_id, bool) or not isinstance(campaign_id, int) or campaign_id <= 0:
            # Answered yes without saying what it created: a campaign may exist that we
            # cannot name (no list endpoint), so never created again blindly.
            raise OutcomeUnknown(VENDOR, "POST", "/campaign",
                                 "the answer carries no campaign id")
        return created

    async def update(self, campaign_id: int, fields: dict[str, Any]) -> dict:
        """PUT the fields given, which must include the campaign's full `segments`."""
        if "segments" not in fields:
            raise ValueError(f"{VENDOR}: every PUT must carry the campaign's full segments[] "
                             "(without them the campaign sends to all contacts)")
        return await self._call("PUT", _path(campaign_id), _form(fields, PUT_FIELDS, put=True))

    async def delete(self, campaign_id: int) -> dict:
        """Deletes the campaign; returns it as it was."""
        return await self._call("DELETE", _path(campaign_id))

    async def _call(self, method: str, path: str,
                    form: list[tuple[str, str]] | None = None) -> dict:
        kwargs: dict[str, Any] = {}
        if form is not None:
            kwargs = {"content": urlencode(form), "headers": {"Content-Type": FORM}}
        try:
            response = await self.http.request(method, path, **kwargs)
        except ApiError as exc:
            if exc.status == 404 and not isinstance(exc, CampaignGone):
                raise CampaignGone(exc.vendor, exc.method, exc.path, 404, exc.detail) from None
            raise
        # A POST answered 2xx in words we cannot read may have created the campaign: its
        # outcome is unknown (never created again blindly); a read or PUT is an error.
        return _normalise(self.http.answer(response, path, dict))


def _path(campaign_id: int) -> str:
    if isinstance(campaign_id, bool) or not isinstance(campaign_id, int) or campaign_id <= 0:
        raise ValueError(f"{VENDOR}: campaign id must be a positive int, got {campaign_id!r}")
    return f"/campaign/{campaign_id}"


def _form(fields: dict[str, Any], allowed: frozenset[str], *, put: bool) -> list[tuple[str, str]]:
    unknown = set(fields) - allowed
    if unknown:
        verb = "PUT" if put else "POST"
        raise ValueError(f"{VENDOR}: {verb} does not take {', '.join(sorted(unknown))}")
    form: list[tuple[str, str]] = []
    for name, value in fields.items():
        if name == "segments":
            ids = list(_ids(value))
            form.extend(("segments[]", str(i)) for i in ids)
        elif name == "when":
            form.append(("when", str(to_timestamp(value))))
        elif name == "event_callback":
            if value is not None:
                form.append((name, str(value)))
            elif put:
                form.append((name, ""))  # clears it; on POST absence already means none
        elif name in ("domain", "list"):
            form.append((name, str(next(_ids([value])))))
        elif name == "state":
            if value not in STATES:
                raise ValueError(f"{VENDOR}: unknown state {value!r}")
            form.append((name, value))
        else:
            form.append((name, str(value)))
    return form


def _ids(values: Iterable[Any]) -> Iterable[int]:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{VENDOR}: ids must be ints, got {v!r}")
        yield v


def _normalise(campaign: dict) -> dict:
    """Make `when` a Unix int whichever form the vendor answered in, so diffs compare."""
    when = campaign.get("when")
    if when is not None and not isinstance(when, int):
        try:
            campaign["when"] = to_timestamp(when)
        except ValueError:
            pass  # leave the vendor's value for the caller to report
    return campaign
