"""The audience of a send: the campaign's contact groups, deduplicated by the channel's
address (phone for SMS and WhatsApp, email for email), minus everyone on its opt-out lists.

Contacts are streamed from the manifests and CSVs; only the audience itself (one small
tuple per recipient) is kept. The first occurrence of an address wins (its name and
params personalise the message); later ones are counted as duplicates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from reconciler.contacts import Contact, read_csv
from reconciler.workspace import Resource, Workspace

Channel = Literal["sms", "email", "whatsapp"]
T = TypeVar("T")


@dataclass(frozen=True)
class Recipient:
    address: str  # E.164 phone or lower-case email: the ledger's key
    contact: Contact

    def fields(self) -> dict[str, str]:
        """Personalisation fields the contact has (first_name, last_name, param1..5)."""
        c = self.contact
        names = ("first_name", "last_name", "param1", "param2", "param3", "param4", "param5")
        return {n: getattr(c, n) for n in names if getattr(c, n)}


@dataclass
class Audience:
    recipients: list[Recipient] = field(default_factory=list)
    suppressed: int = 0  # removed because they are on an opt-out list
    kept: int = 0  # of those, only by an opt-out the manifests no longer list (remembered)
    no_address: int = 0  # contacts without the channel's address (skipped)
    duplicates: int = 0  # the same address again (in the same or another group)

    @property
    def addresses(self) -> list[str]:
        return [r.address for r in self.recipients]


def address_of(contact: Contact, channel: Channel) -> str | None:
    return contact.email if channel == "email" else contact.phone


def opt_out_addresses(lists: Sequence[Resource]) -> set[str]:
    """Every address on the lists: inline entries, and both the email and the phone of each
    CSV row (a row with both opts out both)."""
    out: set[str] = set()
    for r in lists:
        out.update(getattr(r.spec, "entries", []))
        path = r.csv_path()
        if path is not None and path.is_file():
            for _, row in read_csv(path):
                if isinstance(row, Contact):
                    out.update(a for a in (row.email, row.phone) if a)
    return out


def build_audience(groups: Sequence[Resource], blocked: set[str], channel: Channel,
                   listed: set[str] | None = None) -> Audience:
    """`blocked`: every opt-out in force; `listed`: those the manifests still list (the
    others were kept from the state store; None: all are listed)."""
    audience = Audience()
    audience.recipients.extend(iter_audience(groups, blocked, channel, audience, listed))
    return audience


def iter_audience(groups: Sequence[Resource], blocked: set[str], channel: Channel,
                  audience: Audience, listed: set[str] | None = None) -> Iterator[Recipient]:
    """The recipients one by one (nothing kept but the addresses seen); the skipped ones
    are counted on `audience`."""
    seen: set[str] = set()
    for group in groups:
        for contact in group.iter_contacts():
            address = address_of(contact, channel)
            if not address:
                audience.no_address += 1
                continue
            if address in seen:
                audience.duplicates += 1
                continue
            seen.add(address)
            if address in blocked:
                audience.suppressed += 1
                if listed is not None and address not in listed:
                    audience.kept += 1
                continue
            yield Recipient(address, contact)


def _sources(ws: Workspace, campaign: Resource, in_force: dict[str, set[str]] | None
             ) -> tuple[list[Resource], set[str], set[str]]:
    spec = campaign.spec
    groups = [g for n in spec.contact_groups if (g := ws.get("ContactGroup", n)) is not None]
    lists = [o for n in spec.opt_out_lists if (o := ws.get("OptOutList", n)) is not None]
    listed = opt_out_addresses(lists)
    blocked = set(listed)
    for o in lists:
        blocked |= (in_force or {}).get(o.name, set())
    return groups, blocked, listed


def campaign_audience(ws: Workspace, campaign: Resource, channel: Channel,
                      in_force: dict[str, set[str]] | None = None) -> Audience:
    """`in_force`: list name -> every opt-out of that list in force (listed or remembered);
    a list missing from it counts with what its manifest lists."""
    groups, blocked, listed = _sources(ws, campaign, in_force)
    return build_audience(groups, blocked, channel, listed)


def campaign_recipients(ws: Workspace, campaign: Resource, channel: Channel
                        ) -> Iterator[Recipient]:
    """The campaign's audience streamed, for counting (a million rows are never held)."""
    groups, blocked, _ = _sources(ws, campaign, None)
    return iter_audience(groups, blocked, channel, Audience())


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def batch_count(n: int, size: int) -> int:
    return -(-n // size)
