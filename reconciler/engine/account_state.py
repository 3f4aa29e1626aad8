"""What a provider may hold of the state: its account's records, through typed methods.

The engine hands each provider an `AccountState` (`ctx.account_state(account)`), never the
raw `Store`: its bindings (engine/identity.Bindings, the engine's), the send ledger and
the remembered opt-outs (send-only vendors), the vendor events received by callback, and
the per-account records of state/records.py (the content a batch went out with, cached
vendor estimates)."""

from __future__ import annotations

import json
from typing import Any

from reconciler.engine.identity import Bindings
from reconciler.state.events import CallbackEvents
from reconciler.state.halt import Halt, Halted, read_halt
from reconciler.state.ledger import SendLedger
from reconciler.state.optouts import OptOutMemory
from reconciler.state.records import SENT_CONTENT, VENDOR_ESTIMATES
from reconciler.state.store import Store


class AccountState:
    def __init__(self, store: Store, account: str, bindings: Bindings):
        self.account = account
        self.bindings = bindings
        self.ledger = SendLedger(store)
        self.optouts = OptOutMemory(store)
        self.events = CallbackEvents(store)
        self._store = store

    def halt(self) -> Halt | None:
        """The environment's halt (`campaignctl halt`), read afresh: a running apply asks
        before each batch."""
        return read_halt(self._store)

    def begin_proof(self, campaign: str, identity: str, recipients: int) -> int:
        """Record a proof as in flight; refused (its record closed as not sent) if the halt
        is read once the record has committed, as before each batch."""
        batch = self.ledger.begin_proof(self.account, campaign, identity, recipients)
        if (halt := self.halt()) is not None:
            self.ledger.not_sent(batch, f"halted: {halt.describe()}")
            raise Halted(f"Campaign/{campaign}: proof not sent: {halt.describe()}")
        return batch

    def sent_content(self, campaign: str, identity: str) -> dict[str, Any] | None:
        """The content a campaign's batches of this identity went out with."""
        raw = self._store.get_meta(SENT_CONTENT.key(self.account, campaign, identity))
        return json.loads(raw) if raw else None

    def record_sent_content(self, campaign: str, identity: str,
                            content: dict[str, Any]) -> None:
        """Kept once, before the first batch of that identity goes out."""
        key = SENT_CONTENT.key(self.account, campaign, identity)
        if self._store.get_meta(key) is None:
            self._store.set_meta(key, json.dumps(content, sort_keys=True))

    def cached_estimate(self, identity: str) -> dict[str, Any] | None:
        raw = self._store.get_meta(f"{VENDOR_ESTIMATES.key}{self.account}:{identity}")
        return json.loads(raw) if raw else None

    def cache_estimate(self, identity: str, value: dict[str, Any]) -> None:
        self._store.set_meta(f"{VENDOR_ESTIMATES.key}{self.account}:{identity}",
                             json.dumps(value))
