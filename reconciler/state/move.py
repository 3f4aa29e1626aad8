"""`campaignctl state mv KIND/OLD KIND/NEW`: a manifest was renamed, and what the state
knows under the old name moves to the new one, so the next plan sees the same resource
(not a new one to create or send again). Every record the state keeps per resource
(state/records.py: bindings, the send ledger and the content it was sent with, remembered
opt-outs, vendor events, the record of what was applied, prevent_destroy) moves in one
transaction, under the apply lock."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.errors import CampaignctlError
from reconciler.state.records import (
    BINDINGS,
    LEDGER_BATCHES,
    LEDGER_RECIPIENTS,
    OPTOUTS,
    RECORDS,
)
from reconciler.state.store import Store
from reconciler.words import plural


@dataclass
class Moved:
    """What a move found under the old name: record.what -> count (state/records.py)."""

    held: dict[str, int] = field(default_factory=dict)

    @property
    def bindings(self) -> int:
        return self.held.get(BINDINGS.what, 0)

    @property
    def batches(self) -> int:
        return self.held.get(LEDGER_BATCHES.what, 0)

    @property
    def recipients(self) -> int:
        return self.held.get(LEDGER_RECIPIENTS.what, 0)

    @property
    def optouts(self) -> int:
        return self.held.get(OPTOUTS.what, 0)

    @property
    def total(self) -> int:
        return sum(self.held.values())


def held_under(db: Store, kind: str, name: str, exclusive: bool = False) -> Moved:
    """What the state holds under KIND/NAME (every account), record by record (`exclusive`:
    only the records never merged, not bookkeeping an apply since the rename rewrote)."""
    return Moved({r.what: n for r in RECORDS
                  if (r.exclusive or not exclusive) and (n := r.held(db, kind, name))})


def move(store: Store, kind: str, old: str, new: str) -> Moved:
    if old == new:
        raise CampaignctlError(f"{kind}/{old}: the old and the new name are the same")
    with store.locked(), store.transaction() as db:
        there = held_under(db, kind, new, exclusive=True)
        if there.total:
            raise CampaignctlError(
                f"{kind}/{new} is already in the state ({describe(there)}); refusing to merge "
                "what two resources hold (a send ledger is never dropped or mixed)")
        moved = held_under(db, kind, old)
        if not moved.total:
            raise CampaignctlError(f"{kind}/{old} is not in the state (no binding"
                                   + (", no send ledger" if kind == "Campaign" else "")
                                   + (", no remembered opt-outs" if kind == "OptOutList" else "")
                                   + ")")
        move_records(db, kind, old, new)
        return moved


def move_records(db: Store, kind: str, old: str, new: str) -> None:
    """Every record the state keeps per resource, from KIND/OLD to KIND/NEW (inside the
    caller's transaction and lock)."""
    for record in RECORDS:
        record.move(db, kind, old, new)


def describe(m: Moved) -> str:
    parts = [plural(m.bindings, "binding")] if m.bindings or not m.total else []
    if m.batches:
        parts.append(f"{plural(m.batches, 'send-ledger batch')} "
                     f"({plural(m.recipients, 'recipient')})")
    shown = {BINDINGS.what, LEDGER_BATCHES.what, LEDGER_RECIPIENTS.what}
    parts += [plural(n, what) for what, n in m.held.items() if what not in shown]
    return ", ".join(parts)
