"""email-campaigns -> manifests, for `campaignctl import`: every live sender, the opt-out
list, every contact group (its contacts as CSV rows), message and campaign.

Each spec is what the provider's diff reads back as equal, so the next plan is clean:
a contact's single `name` becomes first_name/last_name only when joining them gives the
name back; a campaign's `start_date` in its API zone becomes `send_at` with its offset.
A campaign the vendor has already sent (`completed`) is written with
`lifecycle.ignore_changes: [state]`: it is frozen, and no manifest state can say
"completed". Cancelled campaigns are not imported (they can never change or send again).
"""

from __future__ import annotations

from typing import Any

from reconciler.providers.base import ImportedResource
from reconciler.providers.email_campaigns.client import oid
from reconciler.providers.email_campaigns.timezones import API_TO_IANA, from_api
from reconciler.words import plural

ANY_OPTOUT_LIST = "*"  # a ref to the account's opt-out list, whatever its manifest name


def name_fields(name: str) -> dict[str, str]:
    """first_name/last_name that join (with one space) back to exactly `name`."""
    if not name:
        return {}
    if name != name.strip():
        return {"first_name": name}  # CSV values are stripped on reading: keep it whole
    first, _, last = name.partition(" ")
    if last and last == last.strip() and first:
        return {"first_name": first, "last_name": last}
    return {"first_name": name}


def _ref_id(value: Any) -> str | None:
    return value.get("$oid") if isinstance(value, dict) else None


def sender(obj: dict) -> ImportedResource:
    spec = {"description": obj.get("description") or None, "email": obj.get("email")}
    return ImportedResource("Sender", oid(obj), obj.get("description") or obj.get("email")
                            or "sender", {k: v for k, v in spec.items() if v})


def message(obj: dict) -> ImportedResource:
    return ImportedResource("Message", oid(obj), obj.get("description") or "message",
                            {"channel": "email", "subject": obj.get("description"),
                             "body": obj.get("email_message")})


def group(obj: dict) -> ImportedResource:
    rows = []
    for c in obj.get("contacts") or []:
        if c.get("email"):
            rows.append({"email": c["email"].lower(), **name_fields(c.get("name") or "")})
    tag = obj.get("tag") or ""
    return ImportedResource("ContactGroup", oid(obj), tag or "group", {"title": tag},
                            rows=rows, note=f"{plural(len(rows), 'contact')}")


def optouts(items: list[dict], account: str) -> ImportedResource | None:
    emails = sorted({o["email"].lower() for o in items if o.get("email")})
    if not emails:
        return None
    return ImportedResource("OptOutList", ANY_OPTOUT_LIST, f"{account}-opt-outs", {},
                            rows=[{"email": e} for e in emails],
                            note=f"{plural(len(emails), 'opt-out')}")


def campaign(obj: dict) -> ImportedResource | None:
    status = obj.get("status")
    if status == "cancelled":
        return None
    zone = obj.get("timezone") or ""
    when = from_api(obj.get("start_date") or "", zone)
    spec: dict[str, Any] = {"title": obj.get("name"), "send_at": when.isoformat(),
                            "timezone": API_TO_IANA.get(zone, zone)}
    refs: dict[str, Any] = {}
    for key, kind, field in (("message", "Message", "message_id"),
                             ("sender", "Sender", "sender_id"),
                             ("contact_groups", "ContactGroup", "contact_group_id")):
        refs[key] = (kind, _ref_id(obj.get(field)))
    refs["opt_out_lists"] = ("OptOutList", ANY_OPTOUT_LIST)
    lifecycle: dict[str, Any] = {}
    note = status or ""
    if status in ("active", "paused"):
        spec["state"] = status
    else:
        spec["state"] = "active"
        lifecycle = {"ignore_changes": ["state"]}
        note = f"{status}: already sent and frozen; written with ignore_changes: [state]"
    return ImportedResource("Campaign", oid(obj), obj.get("name") or "campaign", spec,
                            note=note, refs=refs, lifecycle=lifecycle)
