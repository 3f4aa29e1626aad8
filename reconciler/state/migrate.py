"""Move a workspace's state from one store to another (a local SQLite file into the team's
PostgreSQL, when a workspace moves to CI). Bindings, the send ledger and the remembered
opt-outs of send-only accounts are what stop a second create, a second send and a
re-subscription, so they move whole or not at all: one transaction on the target, both
stores locked, and the target must hold no state yet. The copy carries the lineage (the
same history goes on in the target); the source is then marked migrated (to where, when),
and plan and apply refuse it from then on (state/lineage.py)."""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import CampaignctlError
from reconciler.state.backend import open_store
from reconciler.state.lineage import (
    LINEAGE_FILE,
    LINEAGE_META,
    MIGRATED_META,
    LineageFile,
    describe_held,
    migrated_to,
    now_text,
    record,
)
from reconciler.state.lineage import held as held_records
from reconciler.state.records import meta_rows
from reconciler.state.scrub import scrub_credentials
from reconciler.state.store import SqliteStore, Store, lock_holder
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
    protections: int = 0
    lineage: str = ""
    #: the target already held this very copy (a second migrate): nothing was copied
    already: bool = False


def migrate_workspace(directory: Path, source_path: Path, environment: str | None,
                      ) -> list[str]:
    """`campaignctl state migrate`: the SQLite state at source_path into the store
    campaignctl.yaml names; the lines to print."""
    from reconciler.state.backend import workspace_config

    if not source_path.is_file():
        raise CampaignctlError(f"{source_path}: no SQLite state to migrate")
    if not SqliteStore.holds_state(source_path):
        raise CampaignctlError(f"{source_path} is not a campaignctl SQLite state")
    config = workspace_config(directory, environment)
    target = open_store(config)
    try:
        if isinstance(target, SqliteStore) and target.path.resolve() == source_path.resolve():
            raise CampaignctlError(f"campaignctl.yaml's state is {source_path} itself: set "
                                   "state.backend first")
        with closing(SqliteStore(source_path)) as source:
            recorded = LineageFile(config.directory).get(environment)
            lineage = source.get_meta(LINEAGE_META)
            if recorded is not None and lineage != recorded:
                raise CampaignctlError(
                    f"{source_path} has lineage {lineage or 'none'}, but this workspace "
                    f"applies with lineage {recorded} ({LINEAGE_FILE}): it is not this "
                    "workspace's state; nothing was copied")
            moved = migrate(source, target)
        noted = record(target, config)
    finally:
        target.close()
    return describe(moved, source_path, target.where) + ([noted] if noted else [])


def describe(moved: Moved, source: Path, where: str) -> list[str]:
    held = (f"{plural(moved.bindings, 'binding')}, "
            f"{plural(moved.batches, 'send-ledger batch')} "
            f"({plural(moved.recipients, 'recipient')}), "
            f"{plural(moved.optouts, 'remembered opt-out')}, "
            f"{plural(moved.protections, 'protection')} and "
            f"{plural(moved.meta, 'record')} of metadata")
    if moved.already:
        return [f"already done: {where} holds the state of {source} (lineage "
                f"{moved.lineage}: {held}); nothing copied. {source} is marked as migrated."]
    return [f"copied {held} from {source} into {where}, in one transaction.",
            f"lineage {moved.lineage}: the same history goes on in {where}. {source} is "
            "marked as migrated: plan and apply refuse it from now on (keep it as a record)."]


def migrate(source: Store, target: Store) -> Moved:
    holder = lock_holder() + " (state migrate)"
    source.acquire_lock(holder)
    try:
        target.acquire_lock(holder)
        try:
            lineage = source.give_lineage()  # a state made before lineages gets one now
            if target.get_meta(LINEAGE_META) == lineage:
                # The same history: a migrate already copied it (its one transaction
                # committed), perhaps killed before it could mark the source.
                _mark_migrated(source, target, lineage)
                return _already(target, lineage)
            moved = migrated_to(source)
            if moved is not None:
                raise CampaignctlError(
                    f"{source.where} was already migrated to {moved.get('to')} on "
                    f"{moved.get('at')} (lineage {moved.get('lineage')}); nothing to copy "
                    f"again into {target.where}")
            there = held_records(target)
            if not there.empty:
                raise CampaignctlError(
                    f"the target state at {target.where} already holds {describe_held(there)} "
                    f"of another history (lineage {target.get_meta(LINEAGE_META) or 'none'}, "
                    f"not {lineage}); refusing to mix two states. Migrate into an empty one "
                    "(another database, or another `state.schema`).")
            with target.transaction():
                copied = _copy(source, target)
            _mark_migrated(source, target, lineage)
            copied.lineage = lineage
            return copied
        finally:
            target.release_lock()
    finally:
        source.release_lock()


def _mark_migrated(source: Store, target: Store, lineage: str) -> None:
    if migrated_to(source) is None:
        source.set_meta(MIGRATED_META, json.dumps(
            {"to": target.where, "at": now_text(), "lineage": lineage}))


def _already(target: Store, lineage: str) -> Moved:
    h = held_records(target)
    meta = target.execute("SELECT count(*) FROM meta").fetchone()[0]
    return Moved(h.bindings, meta, h.batches, h.recipients, h.optouts, h.protections,
                 lineage, already=True)


def _copy(source: Store, target: Store) -> Moved:
    bindings = source.execute("SELECT account, kind, name, remote_id, digest, data, "
                              "updated_at FROM bindings").fetchall()
    target.insert_rows("bindings", bindings)
    # Every meta row (state/records.py), lineage included (the target's own, given at its
    # creation, goes: this is the same history); never the source's mark of a migration.
    meta = [(k, v) for k, v in meta_rows(source) if k != MIGRATED_META]
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
    times = [(new_id[batch], at) for batch, at in source.execute(
        "SELECT batch_id, send_at FROM ledger_send_times")]
    target.insert_rows("ledger_send_times", times)
    target.insert_rows("ledger_dropped", source.execute(
        "SELECT account, campaign, recipient, cap, eligible_at, recorded_at "
        "FROM ledger_dropped").fetchall())
    events = source.execute("SELECT account, campaign, event, at, emails, telephones, "
                            "received_at FROM callback_events ORDER BY id").fetchall()
    for row in events:
        target.execute("INSERT INTO callback_events (account, campaign, event, at, emails, "
                       "telephones, received_at) VALUES (?,?,?,?,?,?,?)", row)
    optouts = source.execute("SELECT account, list, address, recorded_at FROM optouts"
                             ).fetchall()
    target.insert_rows("optouts", optouts)
    scrub_credentials(target)  # rows an older version stored with a credential in them
    return Moved(len(bindings), len(meta), len(new_id), len(recipients), len(optouts),
                 held_records(target).protections)
