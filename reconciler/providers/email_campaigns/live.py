"""email-campaigns: the live objects as read, the fields the plan names, and a live group
kept as the summary of its contacts (the whole list only where it differs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.contacts import summarize
from reconciler.engine.fields import Field, FieldMap
from reconciler.providers.email_campaigns.client import oid
from reconciler.workspace import Resource

LIVE_STATUSES = ("active", "paused")  # anything else has started, ended or was cancelled
LIST_KINDS = ("Sender", "ContactGroup", "Message", "Campaign")
KEY_LABELS = {"Sender": "email address", "ContactGroup": "title",
              "Message": "subject and body", "Campaign": "name", "OptOutList": "entries"}


@dataclass
class EmailLive:
    senders: dict[str, dict] = field(default_factory=dict)
    optouts: dict[str, str] = field(default_factory=dict)  # email -> id
    groups: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, dict] = field(default_factory=dict)
    campaigns: dict[str, dict] = field(default_factory=dict)
    read: bool = False

    def of(self, kind: str) -> dict[str, dict]:
        return {"Sender": self.senders, "ContactGroup": self.groups,
                "Message": self.messages, "Campaign": self.campaigns}[kind]


def by_id(items: list[dict]) -> dict[str, dict]:
    return {oid(i): i for i in items}


def ref_id(value: Any) -> str | None:
    return value.get("$oid") if isinstance(value, dict) else None


# Per kind, the manifest field each vendor field comes from: what `_desired` sends and how
# the plan names a change (engine/fields.py). `ignore_changes` may name either.
FIELDS: dict[str, FieldMap] = {
    "Sender": FieldMap(
        Field("description", "description", lambda r: r.spec.description or r.name),
        Field("email", "email", lambda r: r.spec.email)),
    "ContactGroup": FieldMap(Field("title", "tag", lambda r: r.spec.title or r.name)),
    "Message": FieldMap(
        Field("subject", "description", lambda r: r.spec.subject),
        Field("body", "email_message", lambda r: r.spec.body, ignore=("body_file",))),
    # Campaign references and its schedule are resolved by campaigns.py (live ids to
    # manifest names, the start in the campaign's zone); the map names them.
    "Campaign": FieldMap(
        Field("title", "name", lambda r: r.spec.title or r.name),
        Field("sender", "sender_id"), Field("message", "message_id"),
        Field("contact_groups", "contact_group_id", ignore=("contact_group",)),
        Field("send_at", "start_date", ignore=("timezone",)),
        Field("state", "status", lambda r: r.spec.state or "active")),
}


def ignored_fields(r: Resource) -> set[str]:
    """The vendor fields of `r` that `lifecycle.ignore_changes` leaves alone."""
    return FIELDS[r.kind].ignored(r)


@dataclass(frozen=True)
class ExpectedContacts:
    """What the manifests want of the live groups' contacts: each group's summary by
    ("id", the live id it is bound to) and by ("tag", the tag an unbound one would be
    adopted by; None where two manifests share a tag, which no summary equals), and the
    live ids bound to a manifest."""

    summaries: dict[tuple[str, Any], tuple[int, int] | None]
    bound: frozenset[str]

    def differs(self, summarized: dict) -> bool:
        """Whether a group summarize_group reduced differs from what its manifest wants."""
        try:
            gid = oid(summarized)
        except ValueError:
            gid = None
        want = self.summaries.get(("id", gid))
        if want is None and gid not in self.bound:
            want = self.summaries.get(("tag", summarized.get("tag")))
        return want != summarized["contact_summary"]


def compact_group(group: dict, expected: ExpectedContacts) -> dict:
    """A live group without its contact list: their summary, and the email->name map only
    when it differs from what the manifests want (the diff then needs every entry)."""
    out = summarize_group(group)
    # The diff walks the differing map in the vendor's order.
    out["contact_names"] = group_names(group.get("contacts") or []) \
        if expected.differs(out) else None
    return out


def summarize_group(group: dict) -> dict:
    """A live group without its contact list, with their summary: what compact_group needs
    nothing else for (the listing does it while the manifests' summaries are made)."""
    contacts = group.get("contacts") or []
    try:
        # The usual shape in one comprehension; walked backwards so that the first entry
        # of an email is the one kept, as the vendor keeps it.
        names = {c["email"].lower(): c.get("name") or "" for c in reversed(contacts)}
        names.pop("", None)
    except (KeyError, TypeError, AttributeError):
        names = group_names(contacts)
    out = {k: v for k, v in group.items() if k != "contacts"}
    out["contact_summary"] = summarize(names)
    return out


def settle_group(summarized: dict, expected: ExpectedContacts) -> dict | None:
    """compact_group of a group summarize_group reduced: None if it differs from what the
    manifests want (its email->name map is needed, from the whole group)."""
    if expected.differs(summarized):
        return None
    return {**summarized, "contact_names": None}


def group_names(contacts: list) -> dict[str, str]:
    """A live group's email->name map in the vendor's order (first entry of an email kept),
    whatever shape its entries have."""
    names: dict[str, str] = {}
    for c in contacts:
        email = c.get("email") if isinstance(c, dict) else None
        if email:
            names.setdefault(email.lower(), c.get("name") or "")
    return names


def contact_rows(contacts: dict[str, str]) -> list[dict[str, str]]:
    return [{"email": e, "name": n} for e, n in contacts.items()]

