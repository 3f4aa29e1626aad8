"""The send ledger: the truth of what a send-only API (Octopush, Connectly) was asked to send.

Write-ahead, per batch, in the state store (SQLite with WAL + synchronous=FULL, or PostgreSQL;
every write below is committed before it returns):

1. `begin(...)` records the batch as `in_flight` with every recipient, and commits, BEFORE
   the request leaves. A recipient can be in at most one live batch per campaign: the
   primary key (account, campaign, recipient) of ledger_recipients makes a second
   in-flight/sent/unknown record of the same person impossible at the database level.
2. After the vendor answered:
   - `sent(batch, ticket)`: accepted;
   - `rejected(batch, error)`: a 4xx (or 429 after retries): nothing was sent. The batch
     record stays (with its error and count); its recipients are freed, so a fixed
     manifest can send to them;
   - `not_sent(batch, error)`: the connection failed before the request was sent: freed;
   - `unknown(batch, reason)`: timeout after sending, dropped connection, 5xx: the
     recipients stay attached to the batch and are never sent again automatically.
3. A batch still `in_flight` when the next apply starts (the process was killed mid-request)
   is `unknown`: `expire_in_flight` turns it so under the apply lock, and every reader
   treats `in_flight` as unknown anyway.

`--resend-unknown` (an explicit decision) moves recipients of unknown batches into a new
in-flight batch (`begin(..., take_over_unknown=True)`); an unknown batch left empty becomes
`resent`.

A person who checked an unknown batch with the vendor settles it (`settle`: `sent` keeps
its recipients as sent, `not_sent` frees them for the next apply). Sends made before the
tool was adopted are recorded with `record_sent` (`campaignctl state ledger import`), so
the tool never sends to those recipients again. A batch's cost, when the vendor answers
with one (Octopush `total_cost`), is kept in `ledger_costs`.

Each batch stores the campaign's identity (a hash of what was sent: text, sender...), so a
campaign whose content changed after anyone received it is detected and refused.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.secrets import redact_optional
from reconciler.state.store import Store

IN_FLIGHT, SENT, REJECTED, NOT_SENT, UNKNOWN, RESENT = (
    "in_flight", "sent", "rejected", "not_sent", "unknown", "resent")
#: statuses whose recipients may have received the message: never sent to again.
HOLDING = (IN_FLIGHT, SENT, UNKNOWN)
#: the ledger key of a campaign's proofs (`campaignctl proof`): NAME#proof, which no
#: manifest name can be, so a proof never counts as, blocks or replaces the real send.
PROOF_SUFFIX = "#proof"


def proof_key(campaign: str) -> str:
    return campaign + PROOF_SUFFIX


def identity_of(fields: dict[str, Any]) -> str:
    """A stable hash of what makes a campaign's content (key order does not matter)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


BATCH_COLUMNS = ("id, campaign, identity, status, recipients, ticket, error, created_at, "
                 "updated_at")


class LedgerError(Exception):
    """The ledger refused a write that would break exactly-once (a bug if ever raised)."""


@dataclass
class Batch:
    id: int
    campaign: str
    identity: str
    status: str
    recipients: int
    ticket: str | None
    error: str | None
    created_at: float
    updated_at: float


@dataclass
class CampaignLedger:
    """What the ledger knows about one campaign of one account."""

    campaign: str
    sent: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)  # unknown or (still) in flight
    identities: set[str] = field(default_factory=set)  # of batches that may have reached people
    #: held back by a frequency cap and dropped from this campaign (never sent it)
    dropped: set[str] = field(default_factory=set)
    batches: list[Batch] = field(default_factory=list)

    @property
    def holding(self) -> set[str]:
        return self.sent | self.unknown

    @property
    def unknown_batches(self) -> list[Batch]:
        return [b for b in self.batches if b.status in (IN_FLIGHT, UNKNOWN)]

    @property
    def rejected_batches(self) -> list[Batch]:
        return [b for b in self.batches if b.status == REJECTED]


class SendLedger:
    def __init__(self, store: Store):
        self.store = store

    # reads ----------------------------------------------------------------------------
    def batch(self, batch_id: int) -> tuple[str, Batch] | None:
        """(account, batch) of one batch id, or None."""
        row = self.store.execute(
            f"SELECT account, {BATCH_COLUMNS} FROM ledger_batches WHERE id=?",
            (batch_id,)).fetchone()
        return (row[0], Batch(*row[1:])) if row else None

    def unknown_batches(self) -> list[tuple[str, Batch]]:
        """(account, batch) of every batch whose outcome is unknown (or still in flight)."""
        return [(row[0], Batch(*row[1:])) for row in self.store.execute(
            f"SELECT account, {BATCH_COLUMNS} FROM ledger_batches WHERE status IN (?, ?) "
            "ORDER BY id", (IN_FLIGHT, UNKNOWN))]

    def costs(self, account: str, campaign: str) -> tuple[float, str | None] | None:
        """(total cost of the sent batches, currency), if the vendor priced any."""
        row = self.store.execute(
            "SELECT sum(c.cost), max(c.currency), count(*) FROM ledger_costs c JOIN "
            "ledger_batches b ON b.id = c.batch_id WHERE b.account=? AND b.campaign=? AND "
            "b.status=?", (account, campaign, SENT)).fetchone()
        return (round(row[0], 6), row[1]) if row and row[2] else None

    def batch_costs(self, account: str, campaign: str) -> dict[int, float]:
        return dict(self.store.execute(
            "SELECT c.batch_id, c.cost FROM ledger_costs c JOIN ledger_batches b ON "
            "b.id = c.batch_id WHERE b.account=? AND b.campaign=?", (account, campaign)))

    def recipients(self, batch_id: int) -> list[str]:
        return [r[0] for r in self.store.execute(
            "SELECT recipient FROM ledger_recipients WHERE batch_id=? ORDER BY recipient",
            (batch_id,))]

    def batches(self, account: str, campaign: str | None = None) -> list[Batch]:
        sql = f"SELECT {BATCH_COLUMNS} FROM ledger_batches WHERE account=?"
        args: tuple = (account,)
        if campaign is not None:
            sql += " AND campaign=?"
            args += (campaign,)
        return [Batch(*row) for row in self.store.execute(sql + " ORDER BY id", args)]

    def campaign(self, account: str, campaign: str) -> CampaignLedger:
        out = CampaignLedger(campaign)
        out.batches = self.batches(account, campaign)
        status = {b.id: b.status for b in out.batches}
        for recipient, batch_id in self.store.execute(
                "SELECT recipient, batch_id FROM ledger_recipients WHERE account=? AND campaign=?",
                (account, campaign)):
            if status.get(batch_id) == SENT:
                out.sent.add(recipient)
            else:
                out.unknown.add(recipient)
        out.identities = {b.identity for b in out.batches if b.status in HOLDING}
        out.dropped = {r[0] for r in self.store.execute(
            "SELECT recipient FROM ledger_dropped WHERE account=? AND campaign=?",
            (account, campaign))}
        return out

    def deliveries(self, since: float) -> list[tuple[str, str, str, float]]:
        """(account, campaign, recipient, when) of every recipient that may have received
        a message (sent, unknown or in flight) at or after `since`: `when` is the batch's
        scheduled send time where it had one, else when it was recorded."""
        return [tuple(r) for r in self.store.execute(
            "SELECT b.account, b.campaign, l.recipient, coalesce(t.send_at, b.created_at) "
            "FROM ledger_recipients l JOIN ledger_batches b ON b.id = l.batch_id "
            "LEFT JOIN ledger_send_times t ON t.batch_id = b.id "
            "WHERE b.status IN (?, ?, ?) AND coalesce(t.send_at, b.created_at) >= ? "
            "ORDER BY 1, 2, 3, 4", (*HOLDING, since))]

    def campaigns(self, account: str) -> list[str]:
        """The campaigns with real sends (proofs are apart: `proofs`)."""
        return [r[0] for r in self.store.execute(
            "SELECT DISTINCT campaign FROM ledger_batches WHERE account=? ORDER BY 1", (account,))
            if not r[0].endswith(PROOF_SUFFIX)]

    def campaign_names(self) -> list[tuple[str, str]]:
        """(account, campaign) of every campaign the ledger holds real sends of."""
        return [tuple(r) for r in self.store.execute(
            "SELECT DISTINCT account, campaign FROM ledger_batches ORDER BY 1, 2")
            if not r[1].endswith(PROOF_SUFFIX)]

    def proofs(self, account: str, campaign: str) -> list[Batch]:
        """The proofs of a campaign, oldest first: one batch each, its recipients counted
        (never listed: they are not the campaign's audience)."""
        return self.batches(account, proof_key(campaign))

    def begin_proof(self, account: str, campaign: str, identity: str, recipients: int) -> int:
        """Record a proof as in flight, committed before its request leaves."""
        now = time.time()
        with self.store.transaction() as db:
            return db.execute(
                "INSERT INTO ledger_batches (account, campaign, identity, status, recipients, "
                "ticket, error, created_at, updated_at) VALUES (?,?,?,?,?,NULL,NULL,?,?) "
                "RETURNING id", (account, proof_key(campaign), identity, IN_FLIGHT, recipients,
                                 now, now)).fetchone()[0]

    def account(self, account: str) -> dict[str, CampaignLedger]:
        """Every campaign of the account with batches, or recipients dropped by a cap."""
        names = set(self.campaigns(account)) | {r[0] for r in self.store.execute(
            "SELECT DISTINCT campaign FROM ledger_dropped WHERE account=?", (account,))}
        return {c: self.campaign(account, c) for c in sorted(names)}

    # writes ---------------------------------------------------------------------------
    def begin(self, account: str, campaign: str, identity: str, recipients: Iterable[str],
              *, take_over_unknown: bool = False, send_at: float | None = None) -> int:
        """Record a batch as in flight with its recipients, committed. Returns its id.

        Raises LedgerError (and records nothing) if a recipient is already sent or
        pending, unless take_over_unknown and the recipient's batch is unknown."""
        with self.store.transaction() as db:
            return self._begin(db, account, campaign, identity, list(recipients),
                               take_over_unknown, send_at)

    def sent(self, batch_id: int, ticket: str | None, note: str | None = None,
             cost: tuple[float, str | None] | None = None) -> None:
        with self.store.transaction() as db:
            self._finish(db, batch_id, SENT, ticket, note, cost)

    def settle(self, batch_id: int, sent: bool, note: str) -> Batch:
        """A person checked an unknown batch with the vendor: it was `sent` (its recipients
        stay sent) or it was not (they are freed, the next apply sends to them). Only an
        unknown or interrupted (in flight) batch can be settled; call under the apply lock."""
        with self.store.transaction() as db:
            found = self.batch(batch_id)
            if found is None:
                raise LedgerError(f"no batch {batch_id} in the send ledger")
            _, batch = found
            if batch.status not in (IN_FLIGHT, UNKNOWN):
                raise LedgerError(f"batch {batch_id} is {batch.status}, not unknown: only a "
                                  "batch whose outcome is unknown can be settled")
            self._finish(db, batch_id, SENT if sent else NOT_SENT, None, note)
        return self.batch(batch_id)[1]

    def record_sent(self, account: str, campaign: str, identity: str,
                    recipients: Iterable[str], note: str) -> tuple[int | None, int]:
        """Record recipients sent outside campaignctl as one `sent` batch. Recipients the
        ledger already holds for the campaign are left where they are. Returns (batch id
        or None if nobody was new, recipients recorded)."""
        with self.store.transaction() as db:
            held = {r[0] for r in db.execute(
                "SELECT recipient FROM ledger_recipients WHERE account=? AND campaign=?",
                (account, campaign))}
            new = sorted(set(recipients) - held)
            if not new:
                return None, 0
            batch_id = self._begin(db, account, campaign, identity, new)
            self._finish(db, batch_id, SENT, None, note)
            return batch_id, len(new)

    def drop(self, account: str, campaign: str,
             held: Iterable[tuple[str, str, float]]) -> int:
        """Recipients a frequency cap held back from a campaign that does not send them
        later (recipient, cap, eligible at): never sent this campaign. Returns how many
        were new."""
        now = time.time()
        with self.store.transaction() as db:
            known = {r[0] for r in db.execute(
                "SELECT recipient FROM ledger_dropped WHERE account=? AND campaign=?",
                (account, campaign))}
            rows = [(account, campaign, r, cap, at, now) for r, cap, at in sorted(held)
                    if r not in known]
            db.insert_rows("ledger_dropped", rows)
            return len(rows)

    def unknown(self, batch_id: int, reason: str) -> None:
        with self.store.transaction() as db:
            self._finish(db, batch_id, UNKNOWN, None, reason)

    def rejected(self, batch_id: int, error: str) -> None:
        with self.store.transaction() as db:
            self._finish(db, batch_id, REJECTED, None, error)

    def not_sent(self, batch_id: int, error: str) -> None:
        with self.store.transaction() as db:
            self._finish(db, batch_id, NOT_SENT, None, error)

    def group(self, ops: list[tuple]) -> list[Any]:
        """Several writes in ONE transaction (one fsync), each isolated by a savepoint.

        ops: ("begin", account, campaign, identity, recipients, take_over_unknown[, send_at])
        (send_at: when the batch is to reach people, epoch seconds) or
        ("finish", batch_id, status, ticket, error). Returns, per op, its result or the
        LedgerError it raised (that op alone is rolled back)."""
        results: list[Any] = []
        with self.store.transaction() as db:
            for op in ops:
                db.execute("SAVEPOINT ledger_op")
                try:
                    if op[0] == "begin":
                        results.append(self._begin(db, *op[1:]))
                    else:
                        results.append(self._finish(db, *op[1:]))
                except LedgerError as exc:
                    db.execute("ROLLBACK TO ledger_op")
                    results.append(exc)
                db.execute("RELEASE ledger_op")
        return results

    def expire_in_flight(self, account: str, campaign: str | None = None) -> int:
        """Batches left in flight by a run that died: their outcome is unknown. Call only
        while holding the apply lock (a live apply's batches are in flight too)."""
        sql = "UPDATE ledger_batches SET status=?, error=?, updated_at=? WHERE account=? AND status=?"
        args: tuple = (UNKNOWN, "the run stopped while this batch was in flight", time.time(),
                       account, IN_FLIGHT)
        if campaign is not None:
            sql += " AND campaign=?"
            args += (campaign,)
        with self.store.transaction() as db:
            return db.execute(sql, args).rowcount

    def _begin(self, db, account: str, campaign: str, identity: str, recipients: list[str],
               take_over_unknown: bool = False, send_at: float | None = None) -> int:
        now = time.time()
        batch_id = db.execute(
            "INSERT INTO ledger_batches (account, campaign, identity, status, recipients, "
            "ticket, error, created_at, updated_at) VALUES (?,?,?,?,?,NULL,NULL,?,?) "
            "RETURNING id",
            (account, campaign, identity, IN_FLIGHT, len(recipients), now, now)).fetchone()[0]
        if send_at is not None:
            # When it reaches people (a future send_at, or the run's clock): what
            # frequency caps count (reconciler/policy/frequency.py).
            db.execute("INSERT INTO ledger_send_times VALUES (?,?)", (batch_id, send_at))
        if not take_over_unknown:
            try:
                db.insert_rows("ledger_recipients",
                               [(account, campaign, r, batch_id) for r in recipients])
            except self.store.integrity_errors:
                raise LedgerError(
                    f"{campaign}: a recipient of this batch is already sent or pending; "
                    "refusing to send it again") from None
            return batch_id
        emptied: set[int] = set()
        for r in recipients:
            row = db.execute(
                "SELECT b.id, b.status FROM ledger_recipients l JOIN ledger_batches b "
                "ON b.id = l.batch_id WHERE l.account=? AND l.campaign=? AND l.recipient=?",
                (account, campaign, r)).fetchone()
            if row is None:
                db.execute("INSERT INTO ledger_recipients VALUES (?,?,?,?)",
                           (account, campaign, r, batch_id))
            elif row[1] == UNKNOWN:
                db.execute("UPDATE ledger_recipients SET batch_id=? WHERE account=? AND "
                           "campaign=? AND recipient=?", (batch_id, account, campaign, r))
                emptied.add(row[0])
            else:
                raise LedgerError(
                    f"{campaign}: a recipient is already in batch {row[0]} ({row[1]}); "
                    "refusing to send it again")
        for old in emptied:
            left = db.execute("SELECT count(*) FROM ledger_recipients WHERE batch_id=?",
                              (old,)).fetchone()[0]
            if not left:
                self._set(db, old, RESENT, error=f"recipients resent in batch {batch_id}")
        return batch_id

    def _finish(self, db, batch_id: int, status: str, ticket: str | None,
                error: str | None, cost: tuple[float, str | None] | None = None) -> None:
        self._set(db, batch_id, status, ticket=ticket, error=error)
        if cost is not None:
            db.execute("INSERT INTO ledger_costs VALUES (?,?,?)", (batch_id, *cost))
        if status in (REJECTED, NOT_SENT):
            # Nothing was sent: the recipients are free again (the batch record stays).
            db.execute("DELETE FROM ledger_recipients WHERE batch_id=?", (batch_id,))

    @staticmethod
    def _set(db, batch_id: int, status: str, ticket: str | None = None,
             error: str | None = None) -> None:
        # Every error text the ledger keeps is written here, with no credential in it.
        error = redact_optional(error)
        db.execute("UPDATE ledger_batches SET status=?, ticket=coalesce(?, ticket), "
                   "error=?, updated_at=? WHERE id=?",
                   (status, ticket, error, time.time(), batch_id))
