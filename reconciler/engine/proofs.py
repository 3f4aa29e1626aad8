"""Proof sends (`campaignctl proof Campaign/NAME`): a campaign's exact content sent now to a
proof group of at most 50 people, through the campaign's own account, recorded in the send
ledger under the campaign's proof key (state/ledger.py `proof_key`), apart from the real
send: a proof never counts as, blocks or replaces it.

A provider that can send proofs implements `ProofSender`; one whose API cannot send a
campaign's content to a group of ours says why in `proof_unsupported`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from reconciler.state.ledger import SENT, Batch
from reconciler.words import plural

MAX_PROOF_RECIPIENTS = 50
#: a real send refused by `lifecycle.require_proof` (format with name=)
NO_PROOF = ("lifecycle.require_proof: no proof of this exact content was sent yet; run "
            "`campaignctl proof Campaign/{name}` and check it first")


@dataclass
class ProofSent:
    campaign: str
    account: str
    group: str
    recipients: int
    status: str  # the ledger batch's: sent, unknown, rejected, not_sent
    ticket: str | None = None
    note: str | None = None

    @property
    def line(self) -> str:
        what = (f"proof of Campaign/{self.campaign} sent to "
                f"{plural(self.recipients, 'recipient')} of ContactGroup/{self.group} "
                f"(account {self.account})")
        if self.status == SENT:
            return what + (f", ticket {self.ticket}" if self.ticket else "")
        return f"{what}: {self.status}" + (f" ({self.note})" if self.note else "")


@runtime_checkable
class ProofSender(Protocol):
    async def send_proof(self, campaign: Any, group: Any) -> ProofSent:
        """Send `campaign`'s content now to the ContactGroup `group`'s contacts (at most
        MAX_PROOF_RECIPIENTS), recorded under its proof key."""


def last_proof(proofs: list[Batch], identity: str) -> Batch | None:
    """The last proof sent of this very content (its identity), or None."""
    found = [b for b in proofs if b.identity == identity and b.status == SENT]
    return found[-1] if found else None


def group_of(note: str | None) -> str:
    """The group a proof batch went to (its ledger note: `proof to ContactGroup/NAME`)."""
    return (note or "").removeprefix("proof to ") or "proof group"
