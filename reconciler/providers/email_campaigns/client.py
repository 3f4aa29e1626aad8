"""HTTP client for the email-campaigns API (shared/api-docs/email-campaigns-api.txt).

One method per documented operation; each returns the API's JSON as plain dicts/lists
(or None where the API answers 204 / an empty 200). Ids travel as `?_id=` on detail
paths and come back as `{"$_id": {"$oid": ...}}`; use `oid()` to read them.

Retry policy lives in VendorHttp. Here we only decide which POSTs are idempotent: the
bulk CSV endpoints are set operations (replace/add/delete the same file twice gives the
same state), so they may be retried on 5xx; resource-creating POSTs may not, and a lost
response surfaces as OutcomeUnknown for the caller to resolve by reading back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import httpx

from reconciler.engine.reporting import Task
from reconciler.errors import ApiError, OutcomeUnknown
from reconciler.http import ProgressBody, VendorHttp
from reconciler.json_stream import JsonListItems
from reconciler.providers.email_campaigns import csvio
from reconciler.secrets import Secret

VENDOR = "email-campaigns"
CAMPAIGN_STATUSES = ("active", "paused", "cancelled")
# The doc shows this header on every JSON request, GET and DELETE included. It is set per
# request, not on the client: a client-wide Content-Type would override multipart's.
JSON_HEADERS = {"Content-Type": "application/json"}
T = TypeVar("T")
E = TypeVar("E")
#: Bytes of the group listing kept while the manifests' summaries are still being made.
HELD_BYTES = 1 << 26


@dataclass(frozen=True)
class Early:
    """How list_groups_each reduces a group that arrives before what it is compared with."""

    reduce: Callable[[dict[str, Any]], Any]  # what needs nothing else
    # (reduced, what it is compared with): the compacted group, or None: needs it whole
    settle: Callable[[Any, Any], Any]


def _settled(held: list[bytes], reduced: list[Any], settle: Callable[[Any], Any],
             compact: Callable[[dict[str, Any]], Any]) -> list[Any]:
    """The groups reduced early, settled; those that need their whole entry are decoded
    again from the held bytes (in order) and compacted."""
    settled = [settle(r) for r in reduced]
    if any(s is None for s in settled):
        again = JsonListItems()
        whole = (g for piece in held for g in again.feed(piece) if isinstance(g, dict))
        settled = [s if s is not None else compact(g)
                   for s, g in zip(settled, whole, strict=True)]
    return settled


def oid(obj: dict[str, Any]) -> str:
    """The id of a resource as the API returns it: `obj["$_id"]["$oid"]`."""
    try:
        value = obj["$_id"]["$oid"]
    except (KeyError, TypeError):
        raise ValueError("object has no $_id.$oid") from None
    if not isinstance(value, str):
        raise ValueError("$_id.$oid is not a string")
    return value


def ref(resource_id: str) -> dict[str, str]:
    """An id in the form the API expects inside bodies: `{"$oid": id}`."""
    return {"$oid": resource_id}


def _detail(path: str, resource_id: str) -> str:
    # The id is part of the path string (not params=) so that errors name the resource.
    if not resource_id:
        raise ValueError("an _id is required")
    return f"{path}?_id={quote(resource_id, safe='')}"


class EmailCampaignsClient:
    def __init__(self, base_url: str, token: Secret, *,
                 transport: httpx.AsyncBaseTransport | None = None, **http_options: Any):
        self.http = VendorHttp(
            VENDOR, base_url,
            {"Authorization": f"Token {token.reveal()}", "Accept": "application/json"},
            transport=transport, **http_options)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> EmailCampaignsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- plumbing ---------------------------------------------------------------------

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        # The vendor's error text is echoed to users; VendorHttp masks the token in it
        # (some APIs quote the request headers in their errors).
        return await self.http.request(method, path, **kwargs)

    def _json(self, response: httpx.Response, method: str, path: str, kind: type) -> Any:
        # A 2xx to a create that we cannot read means it happened, but we cannot tell what
        # was created: outcome unknown (VendorHttp.answer), never created again blindly.
        return self.http.answer(response, path, kind, idempotent=method != "POST")

    async def _list(self, path: str) -> list[dict[str, Any]]:
        response = await self._send("GET", path, headers=JSON_HEADERS)
        return self._json(response, "GET", path, list)

    async def _get(self, path: str, resource_id: str) -> dict[str, Any]:
        path = _detail(path, resource_id)
        response = await self._send("GET", path, headers=JSON_HEADERS)
        return self._json(response, "GET", path, dict)

    async def _create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._send("POST", path, json=body)
        return self._created(response, path)

    def _created(self, response: httpx.Response, path: str) -> dict[str, Any]:
        created = self._json(response, "POST", path, dict)
        try:
            oid(created)
        except ValueError:
            raise OutcomeUnknown(VENDOR, "POST", path, "response carries no $_id") from None
        return created

    async def _put(self, path: str, resource_id: str, body: dict[str, Any]) -> httpx.Response:
        return await self._send("PUT", _detail(path, resource_id), json=body)

    async def _delete(self, path: str, resource_id: str) -> None:
        await self._send("DELETE", _detail(path, resource_id), headers=JSON_HEADERS)

    async def _upload(self, path: str, csv_body: bytes, fields: dict[str, str] | None = None,
                      rows: int = 0, progress: Task | None = None) -> None:
        """POST a CSV file; `progress` is told how many of its `rows` have left."""
        body: Any = csv_body if progress is None else ProgressBody(csv_body, rows, progress)
        await self._send(
            "POST", path, idempotent=True, data=fields or {},
            files={"csv_file": ("contacts.csv", body, "text/csv")})

    # -- registered from addresses ----------------------------------------------------

    async def list_senders(self) -> list[dict[str, Any]]:
        return await self._list("/email/senderid/")

    async def get_sender(self, sender_id: str) -> dict[str, Any]:
        return await self._get("/email/senderid/", sender_id)

    async def create_sender(self, description: str, email: str) -> dict[str, Any]:
        return await self._create("/email/senderid/",
                                  {"description": description, "email": email})

    async def update_sender(self, sender_id: str, description: str, email: str) -> None:
        await self._put("/email/senderid/", sender_id,
                        {"description": description, "email": email})

    async def delete_sender(self, sender_id: str) -> None:
        await self._delete("/email/senderid/", sender_id)

    # -- opt-outs ---------------------------------------------------------------------

    async def list_optouts(self) -> list[dict[str, Any]]:
        return await self._list("/email/optout/")

    async def get_optout(self, optout_id: str) -> dict[str, Any]:
        return await self._get("/email/optout/", optout_id)

    async def create_optout(self, email: str) -> dict[str, Any]:
        return await self._create("/email/optout/", {"email": email})

    async def update_optout(self, optout_id: str, email: str) -> None:
        await self._put("/email/optout/", optout_id, {"email": email})

    async def delete_optout(self, optout_id: str) -> None:
        await self._delete("/email/optout/", optout_id)

    async def bulk_add_optouts(self, emails: Iterable[str],
                               progress: Task | None = None) -> None:
        emails = list(emails)
        await self._upload("/email/optout/bulk/add/", csvio.emails_csv(emails),
                           rows=len(emails), progress=progress)

    async def bulk_delete_optouts(self, emails: Iterable[str],
                                  progress: Task | None = None) -> None:
        emails = list(emails)
        await self._upload("/email/optout/bulk/delete/", csvio.emails_csv(emails),
                           rows=len(emails), progress=progress)

    # -- contact groups ---------------------------------------------------------------

    async def list_groups(self) -> list[dict[str, Any]]:
        return await self._list("/email/contact/")

    async def list_groups_each(self, expected: Callable[[], Awaitable[E]],
                               compact: Callable[[dict[str, Any], E], T],
                               early: Early | None = None) -> list[T]:
        """GET the groups, each decoded on its own as the body arrives and compacted
        (`compact(group, wanted)`), so a listing holding ten million contacts is never held
        whole (as bytes, text or dicts). `expected()` gives what the groups are compared
        with, which may still be in the making when the answer starts; until then up to
        HELD_BYTES of it are kept, and then the vendor is left to wait (nothing more is
        read).

        With `early`, a group that arrives before then is reduced at once (`early.reduce`,
        what needs nothing else, while the wait lasts); then `early.settle(reduced, wanted)`
        finishes each reduction, or says it needs the whole group, which is decoded again
        from the bytes kept."""
        path = "/email/contact/"
        ready = asyncio.ensure_future(expected())

        async def consume(response: httpx.Response) -> list[T]:
            items, out = JsonListItems(), []
            held: list[bytes] = []  # the body's first bytes, before `ready`
            reduced: list[Any] = []  # their groups, reduced early
            size = 0
            one: Callable[[dict[str, Any]], T] | None = None  # compact, once ready

            async def once_ready() -> Callable[[dict[str, Any]], T]:
                wanted = await ready

                def one(g: dict[str, Any]) -> T:
                    return compact(g, wanted)
                if early is None:
                    for piece in held:
                        out.extend(one(g) for g in items.feed(piece) if isinstance(g, dict))
                else:
                    out.extend(_settled(held, reduced, lambda r: early.settle(r, wanted), one))
                held.clear()
                return one

            try:
                async for chunk in response.aiter_bytes():
                    if one is not None:
                        out.extend(one(g) for g in items.feed(chunk) if isinstance(g, dict))
                        continue
                    held.append(chunk)
                    size += len(chunk)
                    if early is not None:
                        reduced.extend(early.reduce(g) for g in items.feed(chunk)
                                       if isinstance(g, dict))
                    if ready.done() or size >= HELD_BYTES:
                        one = await once_ready()
                if one is None:
                    one = await once_ready()
                out.extend(one(g) for g in items.close() if isinstance(g, dict))
            except ValueError:  # not UTF-8, not JSON, or not a list
                raise ApiError(VENDOR, "GET", path, response.status_code,
                               "unexpected response body (expected a JSON list)") from None
            return out

        try:
            return await self.http.stream("GET", path, consume, headers=JSON_HEADERS)
        finally:
            if not ready.done():
                ready.cancel()
            elif not ready.cancelled():
                ready.exception()  # retrieved: an error of it is the read's, raised above

    async def get_group(self, group_id: str) -> dict[str, Any]:
        return await self._get("/email/contact/", group_id)

    async def create_group(self, tag: str) -> dict[str, Any]:
        return await self._create("/email/contact/", {"tag": tag})

    async def update_group_tag(self, group_id: str, tag: str) -> dict[str, Any]:
        # Unlike the other PUTs, this one answers 200 with the updated group.
        response = await self._put("/email/contact/", group_id, {"tag": tag})
        return self._json(response, "PUT", _detail("/email/contact/", group_id), dict)

    async def delete_group(self, group_id: str) -> None:
        await self._delete("/email/contact/", group_id)

    async def bulk_replace_contacts(self, group_id: str, contacts: Iterable[Any],
                                    progress: Task | None = None) -> None:
        """Overwrite ALL contacts of the group (an empty iterable empties it)."""
        contacts = list(contacts)
        await self._upload(_detail("/email/contact/bulk/replace/", group_id),
                           csvio.contacts_csv(contacts), self._contact_indexes(),
                           rows=len(contacts), progress=progress)

    async def bulk_update_contacts(self, group_id: str, contacts: Iterable[Any],
                                   progress: Task | None = None) -> None:
        """Add contacts, or update the name of those whose email is already there."""
        contacts = list(contacts)
        await self._upload(_detail("/email/contact/bulk/update/", group_id),
                           csvio.contacts_csv(contacts), self._contact_indexes(),
                           rows=len(contacts), progress=progress)

    async def bulk_delete_contacts(self, group_id: str, emails: Iterable[str],
                                   progress: Task | None = None) -> None:
        emails = list(emails)
        await self._upload(_detail("/email/contact/bulk/delete/", group_id),
                           csvio.emails_csv(emails), {"email_index": "0"},
                           rows=len(emails), progress=progress)

    @staticmethod
    def _contact_indexes() -> dict[str, str]:
        return {"name_index": str(csvio.NAME_INDEX), "email_index": str(csvio.EMAIL_INDEX)}

    # -- messages ---------------------------------------------------------------------

    async def list_messages(self) -> list[dict[str, Any]]:
        return await self._list("/email/message/")

    async def get_message(self, message_id: str) -> dict[str, Any]:
        return await self._get("/email/message/", message_id)

    async def create_message(self, description: str, email_message: str) -> dict[str, Any]:
        return await self._create("/email/message/",
                                  {"description": description, "email_message": email_message})

    async def update_message(self, message_id: str, description: str,
                             email_message: str) -> None:
        await self._put("/email/message/", message_id,
                        {"description": description, "email_message": email_message})

    async def delete_message(self, message_id: str) -> None:
        await self._delete("/email/message/", message_id)

    # -- campaigns --------------------------------------------------------------------

    async def list_campaigns(self) -> list[dict[str, Any]]:
        return await self._list("/email/campaign/")

    async def get_campaign(self, campaign_id: str) -> dict[str, Any]:
        return await self._get("/email/campaign/", campaign_id)

    async def create_campaign(self, attributes: dict[str, Any],
                              csv_rows: Iterable[Any] | None = None) -> dict[str, Any]:
        """POST a campaign: `attributes` as documented ({"message", "contact_group",
        "schedule"}). With contact_group.type "upload", `csv_rows` are the contacts
        (objects with .email/.name or dicts); name_index/email_index are filled in to
        match the CSV written here. Not idempotent: a lost response is OutcomeUnknown."""
        group = attributes.get("contact_group") or {}
        upload = group.get("type") == "upload"
        if upload != (csv_rows is not None):
            raise ValueError("csv_rows are required exactly when contact_group.type is upload")
        if upload:
            attributes = {**attributes, "contact_group": {
                **group, "name_index": csvio.NAME_INDEX, "email_index": csvio.EMAIL_INDEX}}
        # Every part goes through files=: a (None, text) part is a plain form field, and
        # this keeps the body multipart/form-data even when there is no csv_file.
        parts: dict[str, Any] = {"attributes": (None, json.dumps(attributes))}
        if upload:
            parts["csv_file"] = ("contacts.csv", csvio.contacts_csv(csv_rows), "text/csv")
        path = "/email/campaign/"
        response = await self._send("POST", path, files=parts)
        return self._created(response, path)

    async def set_status(self, campaign_id: str, status: str) -> None:
        """PUT {"status": ...}: active (resume), paused or cancelled."""
        if status not in CAMPAIGN_STATUSES:
            raise ValueError(f"status must be one of {', '.join(CAMPAIGN_STATUSES)}")
        await self._put("/email/campaign/", campaign_id, {"status": status})

    # -- results ----------------------------------------------------------------------

    async def results(self, start_date: date | str, end_date: date | str,
                      campaign_id: str | None = None) -> list[dict[str, Any]]:
        """Per-recipient results sent between the two dates (yyyy-mm-dd)."""
        query = {"start_date": _day(start_date), "end_date": _day(end_date)}
        if campaign_id:
            query["campaign_id"] = campaign_id
        return await self._list(f"/email/result/filter/?{urlencode(query)}")


def _day(value: date | str) -> str:
    # strftime, not isoformat: a datetime (a date subclass) must not add its time.
    return value.strftime("%Y-%m-%d") if isinstance(value, date) else value
