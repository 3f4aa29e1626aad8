"""Message events a vendor called back with (scheduled-campaigns `event_callback`), kept in
the state store (SQLite or PostgreSQL) by `campaignctl callbacks serve` and read by
`campaignctl status`. One row per callback POST; addresses are kept for `--show-contacts`
and counted everywhere else."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.state.store import Store

EVENTS = ("submitted", "delivered", "bounced", "opened", "clicked")


@dataclass
class CallbackEvent:
    event: str
    at: float
    emails: list[str]
    telephones: list[str]

    @property
    def addresses(self) -> list[str]:
        return [*self.emails, *self.telephones]


class CallbackEvents:
    def __init__(self, store: Store):
        self.store = store

    def record(self, account: str, campaign: str, event: str, at: float,
               emails: Sequence[str], telephones: Sequence[str]) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT INTO callback_events (account, campaign, event, at, emails, "
                       "telephones, received_at) VALUES (?,?,?,?,?,?,?)",
                       (account, campaign, event, at, json.dumps(list(emails)),
                        json.dumps(list(telephones)), time.time()))

    def of(self, account: str, campaign: str) -> list[CallbackEvent]:
        return [CallbackEvent(e, at, json.loads(em), json.loads(tel))
                for e, at, em, tel in self.store.execute(
                    "SELECT event, at, emails, telephones FROM callback_events WHERE "
                    "account=? AND campaign=? ORDER BY at, id", (account, campaign))]

    def counts(self, account: str, campaign: str) -> dict[str, int]:
        """Distinct recipients per event (a callback may repeat an address)."""
        seen: dict[str, set[str]] = {}
        for e in self.of(account, campaign):
            seen.setdefault(e.event, set()).update(e.addresses)
        return {e: len(seen[e]) for e in EVENTS if e in seen}
