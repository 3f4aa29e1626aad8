"""The state store: what the vendor APIs cannot tell us.

- bindings: manifest (account, kind, name) -> the vendor's id, plus a digest of what we
  last applied (ownership: we only ever delete what we bound);
- the send ledger (see reconciler/state/ledger.py);
- the opt-outs applied to send-only accounts, which have no opt-out API of their own
  (reconciler/state/optouts.py);
- a lock so two applies on one workspace never run at once, held by the running process
  itself (SQLite: an OS lock on a file next to state.db; PostgreSQL: an advisory lock of
  its session), so a run that dies, even SIGKILLed, leaves nothing to unlock;
- small key/value metadata (the last applied fingerprint).

Two backends share the SQL of `Store`: SQLite at `.campaignctl/state.db` (the default, one
machine) and PostgreSQL (reconciler/state/postgres.py: teams and CI, where runners come and
go and the state must outlive them).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import CampaignctlError
from reconciler.state.oslock import ProcessLock

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
CREATE TABLE IF NOT EXISTS ledger_costs (
  batch_id INTEGER PRIMARY KEY REFERENCES ledger_batches(id),
  cost REAL NOT NULL, currency TEXT);
CREATE TABLE IF NOT EXISTS ledger_send_times (
  batch_id INTEGER PRIMARY KEY REFERENCES ledger_batches(id), send_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_dropped (
  account TEXT NOT NULL, campaign TEXT NOT NULL, recipient TEXT NOT NULL, cap TEXT NOT NULL,
  eligible_at REAL NOT NULL, recorded_at REAL NOT NULL,
  PRIMARY KEY (account, campaign, recipient));
CREATE TABLE IF NOT EXISTS callback_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account TEXT NOT NULL, campaign TEXT NOT NULL, event TEXT NOT NULL, at REAL NOT NULL,
  emails TEXT NOT NULL, telephones TEXT NOT NULL, received_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS callback_events_campaign ON callback_events(account, campaign);
CREATE TABLE IF NOT EXISTS optouts (
  account TEXT NOT NULL, list TEXT NOT NULL, address TEXT NOT NULL, recorded_at REAL NOT NULL,
  PRIMARY KEY (account, list, address));
"""
#: Every table SCHEMA creates; a store missing one (made by an older version) gets it.
TABLES = ("bindings", "locks", "meta", "ledger_batches", "ledger_recipients", "ledger_costs",
          "ledger_send_times", "ledger_dropped", "callback_events", "optouts")
#: meta key: the lineage (history) a state belongs to, given when the state is created
#: (reconciler/state/lineage.py says what checks it)
LINEAGE_META = "lineage"


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


@dataclass(frozen=True)
class LockInfo:
    """The record of a lock: who took it, when, and whether its process still holds it."""

    name: str
    holder: str
    acquired_at: float
    alive: bool

    @property
    def lock_id(self) -> str:
        """Names this taking of the lock (as Terraform's lock ID), for `state unlock`."""
        text = f"{self.name}|{self.holder}|{self.acquired_at!r}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def since(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.acquired_at))


def lock_holder() -> str:
    user = os.environ.get("USER") or os.environ.get("GITHUB_ACTOR") or "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class Store:
    """What every state backend offers. Subclasses give `execute` (SQL with `?`
    placeholders), `insert_rows`, `transaction()` and the lock; the rest is shared SQL."""

    #: what the backend raises when a primary key would be duplicated.
    integrity_errors: tuple[type[BaseException], ...] = ()
    #: where the state lives, for messages (never a password).
    where: str = ""
    #: names of the locks this store (this process) holds.
    _held: set[str]

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def insert_rows(self, table: str, rows: list[Sequence[Any]]) -> None:
        """Insert many rows at once (a duplicate key raises one of `integrity_errors`)."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Store]:
        """One transaction; statements run on the store inside it are part of it."""
        raise NotImplementedError

    def keep_out_writers(self, table: str) -> None:
        """Inside a transaction: wait for every transaction writing `table` to end, and keep
        new ones waiting until this one ends (what is read or timed after is ordered
        against every write of `table`)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # bindings -------------------------------------------------------------------------
    def get_binding(self, account: str, kind: str, name: str) -> Binding | None:
        row = self.execute(
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
                for a, k, n, rid, d, data in self.execute(sql + " ORDER BY 1,2,3", args)]

    def put_binding(self, b: Binding) -> None:
        self.execute(
            "INSERT INTO bindings VALUES (?,?,?,?,?,?,?) ON CONFLICT(account, kind, name) DO "
            "UPDATE SET remote_id=excluded.remote_id, digest=excluded.digest, "
            "data=excluded.data, updated_at=excluded.updated_at",
            (b.account, b.kind, b.name, b.remote_id, b.digest,
             json.dumps(b.data) if b.data is not None else None, time.time()))

    def bind_created(self, b: Binding, expected: str | None) -> Binding | None:
        """Bind a manifest to what a create just made, unless it was bound meanwhile to
        something other than `expected` (the remote id the plan saw, None for unbound):
        then nothing is written and the binding found is returned, never overwritten."""
        with self.transaction():
            current = self.get_binding(b.account, b.kind, b.name)
            if current is not None and current.remote_id != expected:
                return current
            self.put_binding(b)
        return None

    def remove_binding(self, account: str, kind: str, name: str) -> bool:
        cur = self.execute("DELETE FROM bindings WHERE account=? AND kind=? AND name=?",
                           (account, kind, name))
        return cur.rowcount > 0

    # lock -------------------------------------------------------------------------------
    # Each backend holds its lock with something that dies with the process (`_try_hold`,
    # `_let_go`); the `locks` row only says who holds it, for messages and `state unlock`.
    def _try_hold(self, name: str) -> bool:
        """Take the process-held lock without waiting; False if someone else holds it."""
        raise NotImplementedError

    def _let_go(self, name: str) -> None:
        raise NotImplementedError

    def acquire_lock(self, holder: str, name: str = "apply") -> None:
        if name in self._held or not self._try_hold(name):
            raise self._locked_error(name)
        self._held.add(name)
        # A row left by a holder that died is stale: its process-held lock went with it.
        self.execute("INSERT INTO locks VALUES (?,?,?) ON CONFLICT (name) DO UPDATE SET "
                     "holder=excluded.holder, acquired_at=excluded.acquired_at",
                     (name, holder, time.time()))

    def release_lock(self, name: str = "apply") -> bool:
        """Release our own lock. False if we do not hold it."""
        if name not in self._held:
            return False
        self._held.discard(name)
        self.execute("DELETE FROM locks WHERE name=?", (name,))
        self._let_go(name)
        return True

    def lock_info(self, name: str = "apply") -> LockInfo | None:
        """Who last took the lock, if the lock is recorded, and whether they still hold it."""
        row = self.execute("SELECT holder, acquired_at FROM locks WHERE name=?",
                           (name,)).fetchone()
        if row is None:
            return None
        return LockInfo(name, row[0], row[1], self._holder_alive(name))

    def _holder_alive(self, name: str) -> bool:
        if name in self._held:
            return True
        if not self._try_hold(name):
            return True
        self._let_go(name)
        return False

    def _locked_error(self, name: str) -> LockedError:
        info = self.lock_info(name)
        who = (f"{info.holder} since {info.since} (lock ID {info.lock_id})" if info
               else "another run that is starting")
        return LockedError(
            f"the workspace is locked by {who}: another apply is running. Wait for it to "
            "finish; the lock goes with that process when it ends, even if it is killed, "
            "so there is nothing to unlock by hand.")

    def break_lock(self, lock_id: str, name: str = "apply") -> LockInfo | None:
        """`state unlock LOCK_ID`: forget the record of a lock whose holder is gone. Refuses
        (naming the holder) while the holder is alive, or when LOCK_ID is not the lock's id.
        Returns the record removed; None when nothing is locked."""
        info = self.lock_info(name)
        if info is None:
            return None
        if lock_id != info.lock_id:
            raise LockedError(f"lock ID {lock_id!r} is not the workspace's lock: the lock is "
                              f"{info.lock_id}, held by {info.holder} since {info.since}")
        if info.alive:
            raise LockedError(
                f"refusing to break lock {info.lock_id}: its holder {info.holder} (since "
                f"{info.since}) is alive and still holds it. Two applies at once could send "
                "the same campaign twice. Wait for it, or stop that process: the lock is "
                "released when it ends.")
        self.execute("DELETE FROM locks WHERE name=? AND holder=? AND acquired_at=?",
                     (name, info.holder, info.acquired_at))
        return info

    @contextmanager
    def locked(self, name: str = "apply") -> Iterator[None]:
        self.acquire_lock(lock_holder(), name)
        try:
            yield
        finally:
            self.release_lock(name)

    # meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.execute("INSERT INTO meta VALUES (?,?) ON CONFLICT(key) DO UPDATE SET "
                     "value=excluded.value", (key, value))

    def give_lineage(self) -> str:
        """The state's lineage, given now (a new random id) if it has none yet."""
        self.execute("INSERT INTO meta VALUES (?,?) ON CONFLICT(key) DO NOTHING",
                     (LINEAGE_META, str(uuid.uuid4())))
        return self.get_meta(LINEAGE_META)


class SqliteStore(Store):
    """SQLite state at `.campaignctl/state.db`; WAL + synchronous=FULL so a ledger write
    that returned is on disk before the vendor is called. The lock is an exclusive OS
    lock on `state.db.lock` next to it (reconciler/state/oslock.py), held by the applying
    process: the OS releases it when that process ends, however it ends."""

    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = str(self.path)
        self._held = set()
        self._lock_files: dict[str, Any] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        created = self.db.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone() is None
        self.db.executescript(SCHEMA)
        if created:  # a new state starts a new history
            self.give_lineage()

    def thread_writer(self) -> SqliteStore:
        """A second connection to this state for writes made from a worker thread (the send
        ledger's group commits, so their fsync does not stall the event loop): it never
        shares a transaction with this connection, and SQLite serialises the two."""
        other = object.__new__(SqliteStore)
        other.path, other.where, other._held, other._lock_files = self.path, self.where, set(), {}
        other.db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                   check_same_thread=False)
        other.db.execute("PRAGMA synchronous=FULL")
        return other

    @staticmethod
    def holds_state(path: Path) -> bool:
        """Whether the file is a campaignctl state (checked read-only: nothing is created)."""
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError:
            return False
        return {"bindings", "meta", "ledger_batches", "ledger_recipients"} <= tables

    def execute(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, args)

    def insert_rows(self, table: str, rows: list[Sequence[Any]]) -> None:
        if rows:
            marks = ",".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def close(self) -> None:
        for name in list(self._lock_files):
            self._let_go(name)
        self.db.close()

    def keep_out_writers(self, table: str) -> None:
        pass  # the transaction's BEGIN IMMEDIATE holds the database's only write lock

    @contextmanager
    def transaction(self) -> Iterator[SqliteStore]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _lock_path(self, name: str) -> Path:
        return self.path.with_name(f"{self.path.name}.lock" if name == "apply"
                                   else f"{self.path.name}.{name}.lock")

    def _try_hold(self, name: str) -> bool:
        lock = ProcessLock(self._lock_path(name))
        if not lock.try_hold():
            return False
        self._lock_files[name] = lock
        return True

    def _let_go(self, name: str) -> None:
        lock = self._lock_files.pop(name, None)
        if lock is not None:
            lock.let_go()
