"""Masks the run's credentials in text a state already holds.

Versions before the one redaction point (reconciler/secrets.py) stored a vendor's error
as it came, and a vendor or a gateway that echoed the request put the credentials in it
(`ledger_batches.error`, which `status`, `state show` and `plan` print again). Each store
is scrubbed when it opens with the run's credentials known (SQLite and PostgreSQL alike),
and a `state migrate` target after its copy; a clean state costs one read and no write."""

from __future__ import annotations

from reconciler.secrets import run
from reconciler.state.store import Store

#: (table, key column, text column) of every text a request or a response can reach.
TEXT_COLUMNS = (("ledger_batches", "id", "error"),)


def scrub_credentials(store: Store) -> int:
    """Mask every credential of the run in the state's stored texts; returns the rows
    changed. Each update applies only to the text it read, so a concurrent write wins."""
    if not run:
        return 0
    changed = 0
    for table, key, column in TEXT_COLUMNS:
        rows = store.execute(
            f"SELECT {key}, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
        for row_key, text in rows:
            if run.holds_secret(text):
                store.execute(f"UPDATE {table} SET {column}=? WHERE {key}=? AND {column}=?",
                              (run.mask(text), row_key, text))
                changed += 1
    return changed
