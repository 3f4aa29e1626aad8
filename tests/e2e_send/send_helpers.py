"""Workspaces for send-only end-to-end tests against the sandbox over real HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import sandbox_accounts, write_workspace

TEXT = "Acme: 20% off this weekend. STOP au 36111"


def phones(n: int, start: int = 0) -> list[str]:
    return [f"+336{10000000 + i:08d}" for i in range(start, start + n)]


def write_csv(path: Path, numbers: list[str]) -> None:
    path.write_text("phone,first_name\n" + "".join(f"{p},F{i}\n" for i, p in enumerate(numbers)))


def sms_workspace(root: Path, url: str, n: int, batch_size: int = 500,
                  send_at: str = "2031-01-07T09:00:00+01:00") -> Path:
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              sms:
                type: octopush
                base_url: {url}
                api_login: ${{TEST_LOGIN}}
                api_key: ${{TEST_KEY_123}}
            """,
        "sms.yaml": f"""
            kind: Sender
            name: acme
            provider: sms
            spec: {{sms_id: ACME}}
            ---
            kind: Message
            name: promo
            provider: sms
            spec: {{channel: sms, text: "{TEXT}"}}
            ---
            kind: ContactGroup
            name: customers
            provider: sms
            spec: {{file: customers.csv}}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [customers]
              send_at: "{send_at}"
              timezone: Europe/Paris
              octopush: {{purpose: wholesale, batch_size: {batch_size}}}
            """,
    })
    write_csv(root / "customers.csv", phones(n))
    return sandbox_accounts(root)


LEDGER_COUNTS = ("SELECT b.status, count(*) FROM ledger_recipients l JOIN ledger_batches b "
                 "ON b.id = l.batch_id GROUP BY b.status")


def ledger_counts(root: Path, dsn: str | None = None) -> dict[str, int]:
    """Recipients per status of the batch holding them (sent / unknown / in_flight), from
    the workspace's SQLite state or, given its DSN, the PostgreSQL one."""
    if dsn:
        import psycopg

        with psycopg.connect(dsn) as conn:
            if conn.execute("SELECT to_regclass('campaignctl.ledger_recipients')"
                            ).fetchone()[0] is None:
                return {}  # no apply has created the state yet
            conn.execute("SET search_path TO campaignctl")
            return dict(conn.execute(LEDGER_COUNTS).fetchall())
    db = sqlite3.connect(root / ".campaignctl" / "state.db")
    try:
        rows = db.execute(LEDGER_COUNTS).fetchall()
    finally:
        db.close()
    return dict(rows)
