"""Move a workspace's state from one store to another (a local SQLite file into the team's
PostgreSQL, when a workspace moves to CI). Bindings, the send ledger and the remembered
opt-outs of send-only accounts are what stop a second create, a second send and a
re-subscription, so they move whole or not at all: one transaction on the target, both
stores locked, and the target must hold no state yet."""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.errors import CampaignctlError
from reconciler.state.records import meta_rows
from reconciler.state.store import Store, lock_holder
from reconciler.words import plural

LEDGER_COLUMNS = ("account, campaign, identity, status, recipients, ticket, error, "
                  "created_at, updated_at")


@dataclass
class Moved:
    bindings: int
    meta: int
    batches: int
    recipients: int
    optouts: int = 0


def held(store: Store) -> tuple[int, int, int]:
    """(bindings, ledger batches, remembered opt-outs) a store holds."""
    return tuple(store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                 for table in ("bindings", "ledger_batches", "optouts"))


def migrate(source: Store, target: Store) -> Moved:
    holder = lock_holder() + " (state migrate)"
    source.acquire_lock(holder)
    try:
        target.acquire_lock(holder)
        try:
            bindings, batches, optouts = held(target)
            if bindings or batches or optouts:
                raise CampaignctlError(
                    f"the target state already holds {plural(bindings, 'binding')}, "
                    f"{plural(batches, 'ledger batch')} and {plural(optouts, 'opt-out')}; refusing to mix two states. Migrate into an empty one "
                    "(another database, or another `state.schema`).")
            with target.transaction():
                return _copy(source, target)
        finally:
            target.release_lock()
    finally:
        source.release_lock()


def _copy(source: Store, target: Store) -> Moved:
    bindings = source.execute("SELECT account, kind, name, remote_id, digest, data, "
                              "updated_at FROM bindings").fetchall()
    target.insert_rows("bindings", bindings)
    meta = meta_rows(source)  # every typed record (state/records.py), and any other key
    for key, value in meta:
        target.set_meta(key, value)
    new_id: dict[int, int] = {}
    for old, *row in source.execute(f"SELECT id, {LEDGER_COLUMNS} FROM ledger_batches "
                                    "ORDER BY id").fetchall():
        new_id[old] = target.execute(
            f"INSERT INTO ledger_batches ({LEDGER_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
            "RETURNING id", row).fetchone()[0]
    recipients = [(account, campaign, recipient, new_id[batch]) for account, campaign,
                  recipient, batch in source.execute(
                      "SELECT account, campaign, recipient, batch_id FROM ledger_recipients")]
    target.insert_rows("ledger_recipients", recipients)
    costs = [(new_id[batch], cost, currency) for batch, cost, currency in source.execute(
        "SELECT batch_id, cost, currency FROM ledger_costs")]
    target.insert_rows("ledger_costs", costs)
    events = source.execute("SELECT account, campaign, event, at, emails, telephones, "
                            "received_at FROM callback_events ORDER BY id").fetchall()
    for row in events:
        target.execute("INSERT INTO callback_events (account, campaign, event, at, emails, "
                       "telephones, received_at) VALUES (?,?,?,?,?,?,?)", row)
    optouts = source.execute("SELECT account, list, address, recorded_at FROM optouts"
                             ).fetchall()
    target.insert_rows("optouts", optouts)
    return Moved(len(bindings), len(meta), len(new_id), len(recipients), len(optouts))
