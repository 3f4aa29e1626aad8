"""Remembered opt-outs of send-only accounts, on both backends, and a PostgreSQL state made
by an older campaignctl (no optouts table) gaining the table on first use."""

from __future__ import annotations

import psycopg

from reconciler.state.optouts import OptOutMemory
from reconciler.state.postgres import PostgresStore
from reconciler.state.store import SqliteStore


def check_memory(store) -> None:
    memory = OptOutMemory(store)
    memory.apply("sms", "stop", ["+1", "+2"], [])
    memory.apply("sms", "stop", ["+3"], ["+1"])
    assert memory.recorded("sms", "stop") == {"+2", "+3"}
    assert memory.recorded("sms", "other") == set() == memory.recorded("wa", "stop")


def test_memory_on_sqlite(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    try:
        check_memory(store)
    finally:
        store.close()


def test_memory_on_postgres_and_an_older_schema_gains_the_table(postgres_dsn):
    store = PostgresStore(postgres_dsn)
    store.close()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:  # as version 1 left it
        conn.execute("DROP TABLE campaignctl.optouts")
        conn.execute("UPDATE campaignctl.meta SET value='1' WHERE key='schema_version'")
    store = PostgresStore(postgres_dsn)
    try:
        assert store.get_meta("schema_version") == "2"
        check_memory(store)
    finally:
        store.close()
