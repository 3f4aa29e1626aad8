"""What the send-only emulators delivered: one durable row per recipient, so tests can
prove that nobody got the same campaign twice."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


class DeliveryLog:
    """Durable record of every recipient an emulator delivered to, one row each.

    WAL with synchronous=NORMAL: a commit survives the process dying right after it
    (the lost-response case that matters); only an OS crash could lose the last ones."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with closing(self.connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript("""
                CREATE TABLE IF NOT EXISTS deliveries (
                    id INTEGER PRIMARY KEY, ticket TEXT NOT NULL, channel TEXT NOT NULL,
                    campaign TEXT NOT NULL, recipient TEXT NOT NULL, send_at TEXT,
                    created_at TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS deliveries_campaign
                    ON deliveries (campaign, recipient);
                CREATE INDEX IF NOT EXISTS deliveries_recipient ON deliveries (recipient);
                CREATE TABLE IF NOT EXISTS accounts (login TEXT PRIMARY KEY, credit REAL);
            """)
        # Held open for the log's lifetime: when the last connection to a WAL database
        # closes, SQLite checkpoints and deletes the WAL (with fsyncs), which made every
        # request's short-lived connection cost ~20 ms and capped an emulator at ~30 req/s.
        self._keepalive = self.connect()

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")
        db.isolation_level = "IMMEDIATE"  # take the write lock at BEGIN: no lost updates
        return db

    @staticmethod
    def insert(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
        """rows: (ticket, channel, campaign, recipient, send_at, created_at)."""
        db.executemany("INSERT INTO deliveries (ticket, channel, campaign, recipient, "
                       "send_at, created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def summary(self, campaign: str | None = None, limit: int = 1000) -> dict[str, Any]:
        where, args = ("WHERE campaign = ?", (campaign,)) if campaign else ("", ())
        with closing(self.connect()) as db:
            total, distinct = db.execute(
                f"SELECT count(*), count(DISTINCT recipient) FROM deliveries {where}",
                args).fetchone()
            # A duplicate is the same content reaching the same person twice; the same
            # person in two different campaigns is not one.
            dups = db.execute(
                f"SELECT recipient, campaign, count(*) AS n FROM deliveries {where} "
                "GROUP BY campaign, recipient HAVING n > 1 ORDER BY n DESC, recipient "
                "LIMIT ?", (*args, limit + 1)).fetchall()
            by_campaign = db.execute(
                f"SELECT campaign, channel, count(*), count(DISTINCT recipient) "
                f"FROM deliveries {where} GROUP BY campaign, channel", args).fetchall()
        return {
            "total": total,
            "distinct_recipients": distinct,
            "duplicates": [{"recipient": r, "campaign": c, "count": n}
                           for r, c, n in dups[:limit]],
            "duplicates_truncated": len(dups) > limit,
            "by_campaign": {c: {"channel": ch, "total": n, "distinct_recipients": d}
                            for c, ch, n, d in by_campaign},
        }

    def clear(self) -> None:
        with closing(self.connect()) as db, db:
            db.execute("DELETE FROM deliveries")

    def routes(self, vendor: str) -> list[Route]:
        """GET (summary, `?campaign=` filter) and DELETE on /_sandbox/<vendor>/deliveries."""
        async def summary(request: Request) -> Response:
            return JSONResponse(self.summary(request.query_params.get("campaign")))

        async def clear(request: Request) -> Response:
            self.clear()
            return Response(status_code=204)

        path = f"/_sandbox/{vendor}/deliveries"
        return [Route(path, summary, methods=["GET"]), Route(path, clear, methods=["DELETE"])]
