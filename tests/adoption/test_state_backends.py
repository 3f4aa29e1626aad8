"""The ledger's new records (settled batches, earlier sends, costs) and callback events
behave the same on SQLite and on a real PostgreSQL server; a state made before these
tables existed gets them on first use."""

from __future__ import annotations

import pytest

from reconciler.state.events import CallbackEvents
from reconciler.state.ledger import SENT, LedgerError, SendLedger
from reconciler.state.store import SqliteStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "state.db")
    else:
        from reconciler.state.postgres import PostgresStore

        s = PostgresStore(request.getfixturevalue("postgres_dsn"), schema="ws")
    try:
        yield s
    finally:
        s.close()


def test_settle_record_sent_costs_and_events(store):
    ledger = SendLedger(store)
    a = ledger.begin("sms", "promo", "id1", ["+1", "+2"])
    ledger.unknown(a, "timeout after sending")
    b = ledger.begin("sms", "promo", "id1", ["+3"])
    ledger.sent(b, "t-1", cost=(0.055, "EUR"))
    assert [x.id for _, x in ledger.unknown_batches()] == [a]
    with pytest.raises(LedgerError, match="not unknown"):
        ledger.settle(b, True, "checked")
    assert ledger.settle(a, True, "checked with the vendor").status == SENT
    assert ledger.unknown_batches() == []
    assert ledger.campaign("sms", "promo").sent == {"+1", "+2", "+3"}
    assert ledger.costs("sms", "promo") == (0.055, "EUR")

    c = ledger.begin("sms", "other", "id2", ["+4"])
    ledger.unknown(c, "lost")
    ledger.settle(c, False, "vendor has no trace")
    assert ledger.campaign("sms", "other").holding == set()  # free to send next apply

    batch, n = ledger.record_sent("sms", "promo", "id1", ["+1", "+5", "+5"], "earlier")
    assert n == 1 and ledger.recipients(batch) == ["+5"]
    assert ledger.record_sent("sms", "promo", "id1", ["+5"], "earlier") == (None, 0)

    events = CallbackEvents(store)
    events.record("sched", "news", "submitted", 10, ["a@x.org", "b@x.org"], [])
    events.record("sched", "news", "delivered", 70, ["a@x.org"], ["+33611111111"])
    events.record("sched", "news", "delivered", 80, ["a@x.org"], [])
    assert events.counts("sched", "news") == {"submitted": 2, "delivered": 2}
    assert [e.event for e in events.of("sched", "news")] == ["submitted", "delivered",
                                                              "delivered"]


def test_an_older_postgres_state_gets_the_new_tables(postgres_dsn):
    from reconciler.state.postgres import PostgresStore

    first = PostgresStore(postgres_dsn, schema="old")
    first.execute("DROP TABLE callback_events")
    first.execute("DROP TABLE ledger_costs")
    first.close()
    again = PostgresStore(postgres_dsn, schema="old")
    try:
        CallbackEvents(again).record("sched", "x", "opened", 1, ["a@x.org"], [])
        assert CallbackEvents(again).counts("sched", "x") == {"opened": 1}
    finally:
        again.close()


def test_migrate_moves_costs_and_callback_events(tmp_path, store):
    from reconciler.state.migrate import migrate

    old = SqliteStore(tmp_path / "old.db")
    ledger = SendLedger(old)
    ledger.begin("sms", "warmup", "id0", ["+9"])  # ids differ in the target
    b = ledger.begin("sms", "promo", "id1", ["+1"])
    ledger.sent(b, "t-1", cost=(0.11, "EUR"))
    CallbackEvents(old).record("sched", "news", "clicked", 5, ["a@x.org"], [])
    migrate(old, store)
    old.close()
    assert SendLedger(store).costs("sms", "promo") == (0.11, "EUR")
    assert CallbackEvents(store).counts("sched", "news") == {"clicked": 1}
