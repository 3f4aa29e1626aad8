"""The state's records, typed, each declaring how it is keyed per resource, so `state mv`
(state/move.py) and `state migrate` (state/migrate.py) iterate over them instead of
knowing key names. A new record is declared here once; its module reads and writes it
through the record.

- A table keyed by a resource's name (the bindings, the send ledger, remembered opt-outs,
  vendor events): `TableRecord`.
- A JSON document under one `meta` key whose entries are keyed `account:KIND/NAME` (the
  digests of what was applied, the prevent_destroy flags): `AddressMap`, `AddressList`.
- One `meta` key per resource, `PREFIX:account:NAME:rest` (the content a campaign's
  batches were sent with): `PerResourceKeys`.
- State-wide records (the environment, the CSVs checked clean, cached vendor estimates):
  `StateWide`, moved by nobody, copied by migrate like every `meta` row.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler.state.store import Store


@dataclass(frozen=True)
class TableRecord:
    """Rows of `table` whose `column` holds the resource's name (kinds: None for any, with
    a `kind` column)."""

    what: str
    table: str
    column: str
    kinds: tuple[str, ...] | None = None
    #: what it holds is never merged with what another name holds (`state mv` refuses)
    exclusive = True

    def _where(self, kind: str) -> tuple[str, tuple]:
        if self.kinds is None:
            return f"kind=? AND {self.column}=?", (kind,)
        return f"{self.column}=?", ()

    def applies(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def held(self, db: Store, kind: str, name: str) -> int:
        if not self.applies(kind):
            return 0
        where, args = self._where(kind)
        return db.execute(f"SELECT count(*) FROM {self.table} WHERE {where}",
                          (*args, name)).fetchone()[0]

    def move(self, db: Store, kind: str, old: str, new: str) -> None:
        if self.applies(kind):
            where, args = self._where(kind)
            db.execute(f"UPDATE {self.table} SET {self.column}=? WHERE {where}",
                       (new, *args, old))


def _address_key(key: str) -> tuple[str, str]:
    account, _, address = key.partition(":")
    return account, address


@dataclass(frozen=True)
class AddressMap:
    """A JSON object under one meta key: {"account:KIND/NAME": value}. Bookkeeping: what
    the new name holds is replaced by what moves in."""

    what: str
    key: str
    exclusive = False

    def read(self, db: Store) -> dict[str, Any]:
        raw = db.get_meta(self.key)
        return json.loads(raw) if raw else {}

    def write(self, db: Store, value: dict[str, Any]) -> None:
        db.set_meta(self.key, json.dumps(value, sort_keys=True))

    def held(self, db: Store, kind: str, name: str) -> int:
        return sum(1 for k in self.read(db) if _address_key(k)[1] == f"{kind}/{name}")

    def move(self, db: Store, kind: str, old: str, new: str) -> None:
        value = self.read(db)
        if any(_address_key(k)[1] == f"{kind}/{old}" for k in value):
            # What the new name held (recorded by an apply since the rename) is replaced.
            kept = {k: v for k, v in value.items() if _address_key(k)[1] != f"{kind}/{new}"}
            self.write(db, {_renamed(k, kind, old, new): v for k, v in kept.items()})


@dataclass(frozen=True)
class AddressList:
    """A JSON list under one meta key: ["account:KIND/NAME", ...] (bookkeeping, as above)."""

    what: str
    key: str
    exclusive = False

    def read(self, db: Store) -> set[str]:
        raw = db.get_meta(self.key)
        return set(json.loads(raw)) if raw else set()

    def write(self, db: Store, value: set[str]) -> None:
        db.set_meta(self.key, json.dumps(sorted(value)))

    def held(self, db: Store, kind: str, name: str) -> int:
        return sum(1 for k in self.read(db) if _address_key(k)[1] == f"{kind}/{name}")

    def move(self, db: Store, kind: str, old: str, new: str) -> None:
        value = self.read(db)
        if any(_address_key(k)[1] == f"{kind}/{old}" for k in value):
            kept = {k for k in value if _address_key(k)[1] != f"{kind}/{new}"}
            self.write(db, {_renamed(k, kind, old, new) for k in kept})


def _renamed(key: str, kind: str, old: str, new: str) -> str:
    account, address = _address_key(key)
    return f"{account}:{kind}/{new}" if address == f"{kind}/{old}" else key


@dataclass(frozen=True)
class PerResourceKeys:
    """One meta key per resource of `kinds`: `PREFIX:account:NAME:rest`."""

    what: str
    prefix: str
    kinds: tuple[str, ...]
    exclusive = True

    def key(self, account: str, name: str, rest: str) -> str:
        return f"{self.prefix}:{account}:{name}:{rest}"

    def _keys(self, db: Store, name: str) -> list[tuple[str, str, str, str]]:
        """(key, value, account, rest) of each key held under `name`."""
        pattern = re.compile(rf"^{re.escape(self.prefix)}:([^:]*):{re.escape(name)}:([^:]+)$")
        out = []
        for key, value in db.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                                     (f"{self.prefix}:%",)).fetchall():
            m = pattern.match(key)
            if m:
                out.append((key, value, m.group(1), m.group(2)))
        return out

    def held(self, db: Store, kind: str, name: str) -> int:
        return len(self._keys(db, name)) if kind in self.kinds else 0

    def move(self, db: Store, kind: str, old: str, new: str) -> None:
        if kind not in self.kinds:
            return
        for key, value, account, rest in self._keys(db, old):
            db.execute("DELETE FROM meta WHERE key=?", (key,))
            db.set_meta(self.key(account, new, rest), value)


@dataclass(frozen=True)
class StateWide:
    """A meta key (or every key under a prefix) that belongs to no one resource."""

    what: str
    key: str
    exclusive = False

    def held(self, db: Store, kind: str, name: str) -> int:
        return 0

    def move(self, db: Store, kind: str, old: str, new: str) -> None:
        pass


BINDINGS = TableRecord("binding", "bindings", "name")
LEDGER_BATCHES = TableRecord("send-ledger batch", "ledger_batches", "campaign", ("Campaign",))
LEDGER_RECIPIENTS = TableRecord("send-ledger recipient", "ledger_recipients", "campaign",
                                ("Campaign",))
#: recipients a frequency cap held back and the campaign dropped (policy/frequency.py)
LEDGER_DROPPED = TableRecord("frequency-cap drop", "ledger_dropped", "campaign", ("Campaign",))
CALLBACK_EVENTS = TableRecord("vendor event", "callback_events", "campaign", ("Campaign",))
OPTOUTS = TableRecord("remembered opt-out", "optouts", "list", ("OptOutList",))
#: per resource: a digest of what its manifests said at the last apply (engine/drift.py)
APPLIED = AddressMap("record of the applied manifests", "applied.manifests")
#: resources last applied with lifecycle.prevent_destroy (engine/safety.py)
PROTECTED = AddressList("prevent_destroy record", "lifecycle.prevent_destroy")
#: each campaign's audience at its last reviewed or applied send (engine/gates.py)
AUDIENCES = AddressMap("audience of the last reviewed or applied send", "safety.audiences")
#: the content each batch of a send-only campaign went out with (providers/sendonly/)
SENT_CONTENT = PerResourceKeys("sent content", "ledger-content", ("Campaign",))
ENVIRONMENT = StateWide("environment", "environment")
CHECKED_CSV = StateWide("CSV files checked clean", "checked.csv")
VENDOR_ESTIMATES = StateWide("cached vendor estimates", "octopush-sim:")
LINEAGE = StateWide("lineage", "lineage")  # state/lineage.py
MIGRATED = StateWide("mark of a state copied elsewhere", "migrated")  # never copied
PLAN_KEY = StateWide("plan signing key", "plan_signing_key")  # engine/signing.py
ORIGIN_PINS = StateWide("credential origin pins", "credential_origin:")  # state/pins.py
CREDENTIAL_SALT = StateWide("credential fingerprint salt", "credential_salt")
CREDENTIAL_PINS = StateWide("credential value pins", "credential_fingerprint:")

#: every record, in the order `state mv` moves them
RECORDS: tuple[Any, ...] = (BINDINGS, LEDGER_BATCHES, LEDGER_RECIPIENTS, LEDGER_DROPPED,
                            CALLBACK_EVENTS, OPTOUTS, APPLIED, PROTECTED, AUDIENCES,
                            SENT_CONTENT, ENVIRONMENT,
                            CHECKED_CSV, VENDOR_ESTIMATES, LINEAGE, MIGRATED, PLAN_KEY,
                            ORIGIN_PINS, CREDENTIAL_SALT, CREDENTIAL_PINS)


def meta_rows(db: Store) -> list[tuple[str, str]]:
    """Every `meta` row, for `state migrate`: the records above and any key another module
    keeps there (state-wide), copied whole."""
    return [tuple(row) for row in db.execute("SELECT key, value FROM meta").fetchall()]
