"""The state store: what the vendor APIs cannot tell us.

- bindings: manifest (account, kind, name) -> the vendor's id, plus a digest of what we
  last applied (ownership: we only ever delete what we bound);
- the send ledger (see reconciler/state/ledger.py);
- a lock so two applies on one workspace never run at once;
- small key/value metadata (the last applied fingerprint).
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import CampaignctlError

SCHEMA = """
CREATE TABLE IF NOT EXISTS bindings (
  account TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
  remote_id TEXT NOT NULL, digest TEXT, data TEXT, updated_at REAL NOT NULL,
  PRIMARY KEY (account, kind, name));
CREATE TABLE IF NOT EXISTS locks (
  name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL, campaign TEXT NOT NULL, identity TEXT NOT NULL,
  status TEXT NOT NULL, recipients INTEGER NOT NULL,
  ticket TEXT, error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_recipients (
  account TEXT NOT NULL, campaign TEXT NOT NULL, recipient TEXT NOT NULL,
  batch_id INTEGER NOT NULL REFERENCES ledger_batches(id),
  PRIMARY KEY (account, campaign, recipient));
CREATE INDEX IF NOT EXISTS ledger_recipients_batch ON ledger_recipients(batch_id);
"""


class LockedError(CampaignctlError):
    pass


@dataclass
class Binding:
    account: str
    kind: str
    name: str
    remote_id: str
    digest: str | None = None
    data: dict[str, Any] | None = None


def lock_holder() -> str:
    user = os.environ.get("USER") or os.environ.get("GITHUB_ACTOR") or "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class SqliteStore:
    """SQLite state at `.campaignctl/state.db`; WAL + synchronous=FULL so a ledger write
    that returned is on disk before the vendor is called."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # bindings -------------------------------------------------------------------------
    def get_binding(self, account: str, kind: str, name: str) -> Binding | None:
        row = self.db.execute(
            "SELECT remote_id, digest, data FROM bindings WHERE account=? AND kind=? AND name=?",
            (account, kind, name)).fetchone()
        if row is None:
            return None
        return Binding(account, kind, name, row[0], row[1], json.loads(row[2]) if row[2] else None)

    def bindings(self, account: str | None = None) -> list[Binding]:
        sql = "SELECT account, kind, name, remote_id, digest, data FROM bindings"
        args: tuple = ()
        if account is not None:
            sql += " WHERE account=?"
            args = (account,)
        return [Binding(a, k, n, rid, d, json.loads(data) if data else None)
                for a, k, n, rid, d, data in self.db.execute(sql + " ORDER BY 1,2,3", args)]

    def put_binding(self, b: Binding) -> None:
        self.db.execute(
            "INSERT INTO bindings VALUES (?,?,?,?,?,?,?) ON CONFLICT(account, kind, name) DO "
            "UPDATE SET remote_id=excluded.remote_id, digest=excluded.digest, "
            "data=excluded.data, updated_at=excluded.updated_at",
            (b.account, b.kind, b.name, b.remote_id, b.digest,
             json.dumps(b.data) if b.data is not None else None, time.time()))

    def remove_binding(self, account: str, kind: str, name: str) -> bool:
        cur = self.db.execute("DELETE FROM bindings WHERE account=? AND kind=? AND name=?",
                              (account, kind, name))
        return cur.rowcount > 0

    # lock -------------------------------------------------------------------------------
    def acquire_lock(self, holder: str, name: str = "apply") -> None:
        try:
            self.db.execute("INSERT INTO locks VALUES (?,?,?)", (name, holder, time.time()))
        except sqlite3.IntegrityError:
            row = self.lock_info(name)
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row[1])) if row else "?"
            raise LockedError(
                f"the workspace is locked by {row[0] if row else '?'} since {since}: another "
                f"apply is running. If it died, run `campaignctl state unlock`.") from None

    def lock_info(self, name: str = "apply") -> tuple[str, float] | None:
        return self.db.execute("SELECT holder, acquired_at FROM locks WHERE name=?",
                               (name,)).fetchone()

    def release_lock(self, name: str = "apply") -> bool:
        return self.db.execute("DELETE FROM locks WHERE name=?", (name,)).rowcount > 0

    @contextmanager
    def locked(self, name: str = "apply") -> Iterator[None]:
        self.acquire_lock(lock_holder(), name)
        try:
            yield
        finally:
            self.release_lock(name)

    # meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta VALUES (?,?) ON CONFLICT(key) DO UPDATE SET "
                        "value=excluded.value", (key, value))


def open_store(config) -> SqliteStore:
    """The workspace's state store (config: reconciler.config.WorkspaceConfig)."""
    if config.state.backend == "postgres":
        raise CampaignctlError("the PostgreSQL state backend is not available in this build")
    path = Path(config.state.path)
    if not path.is_absolute():
        path = config.directory / path
    return SqliteStore(path)
