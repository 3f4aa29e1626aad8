"""The audience of a send: the campaign's contact groups, deduplicated by the channel's
address (phone for SMS and WhatsApp, email for email), minus everyone on its opt-out lists.

The contacts of a send-only account are parsed once per command (their rows are kept
after validation's pass), and each campaign's deduplicated recipients are built once and
reused by the plan, the send-window check and an apply's read-back; other contacts are
streamed. The first occurrence of an address wins (its name and params personalise the
message); later ones are counted as duplicates.

Vendor-neutral: the send windows check every vendor's campaigns against it
(reconciler/policy), and the send-only accounts send to it (reconciler/providers/sendonly/).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from reconciler.contacts import PERSONAL_FIELDS, Contact
from reconciler.workspace import Resource, Workspace

Channel = Literal["sms", "email", "whatsapp"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str  # E.164 phone or lower-case email: the ledger's key
    contact: Contact

    def fields(self) -> dict[str, str]:
        """Personalisation fields the contact has (first_name, last_name, param1..5)."""
        c = self.contact
        return {n: getattr(c, n) for n in PERSONAL_FIELDS if getattr(c, n)}


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
        out.update(r.iter_addresses())
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
    return _unblocked(_deduplicated(groups, channel, audience), blocked, audience, listed)


def _deduplicated(groups: Sequence[Resource], channel: Channel, audience: Audience,
                  ) -> Iterator[Recipient]:
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
            yield Recipient(address, contact)


def _unblocked(recipients: Iterable[Recipient], blocked: set[str], audience: Audience,
               listed: set[str] | None) -> Iterator[Recipient]:
    for x in recipients:
        if x.address in blocked:
            audience.suppressed += 1
            if listed is not None and x.address not in listed:
                audience.kept += 1
            continue
        yield x


def _candidates(ws: Workspace, groups: Sequence[Resource], channel: Channel,
                audience: Audience) -> Iterable[Recipient]:
    """The groups' contacts deduplicated by the channel's address, before any opt-out.
    When every group keeps its rows (a send-only account's, held for the command anyway)
    they are built once per command and reused: by the plan, the send-window check and
    an apply's read-back. Only the opt-out filter runs each time: an apply can change
    the opt-outs in force. Other groups are streamed (a million rows are never held)."""
    if not groups or not all(g.keep_rows for g in groups):
        return _deduplicated(groups, channel, audience)
    key = ("deduplicated", tuple(g.name for g in groups), channel)
    if key not in ws.memo:
        counts = Audience()
        ws.memo[key] = (list(_deduplicated(groups, channel, counts)),
                        counts.no_address, counts.duplicates)
    found, no_address, duplicates = ws.memo[key]
    audience.no_address += no_address
    audience.duplicates += duplicates
    return found


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
    audience = Audience()
    audience.recipients.extend(_unblocked(_candidates(ws, groups, channel, audience),
                                          blocked, audience, listed))
    return audience


def campaign_recipients(ws: Workspace, campaign: Resource, channel: Channel
                        ) -> Iterator[Recipient]:
    """The campaign's audience one by one, for counting (nothing more is held than what
    `_candidates` keeps)."""
    groups, blocked, _ = _sources(ws, campaign, None)
    audience = Audience()
    return _unblocked(_candidates(ws, groups, channel, audience), blocked, audience, None)


def batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    if size < 1:
        raise ValueError("batch size must be at least 1")
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def batch_count(n: int, size: int) -> int:
    return -(-n // size)
