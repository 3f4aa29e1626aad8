"""A halt is ordered against the batch records of a running send, on both state backends:
a batch whose record is later than the halt's time reads the halt once its record has
committed (and stays); one that reads no halt was recorded before the halt's time. The
halt is timed under the write lock, never while waiting for it."""

import threading
import time

import pytest

from reconciler.state.halt import read_halt, record_halt
from reconciler.state.ledger import SendLedger
from reconciler.state.store import SqliteStore


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request, tmp_path):
    """Two connections to one state: the apply's and `campaignctl halt`'s."""
    if request.param == "postgres":
        from reconciler.state.postgres import PostgresStore

        dsn = request.getfixturevalue("postgres_dsn")
        pair = PostgresStore(dsn), PostgresStore(dsn)
    else:
        pair = SqliteStore(tmp_path / "state.db"), SqliteStore(tmp_path / "state.db")
    yield pair
    for store in pair:
        store.close()


def halt_in_thread(store):
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault(
        "halt", record_halt(store, "wrong audience", None, by="ops-lead")))
    thread.start()
    return thread, out


def test_a_batch_recorded_while_the_halt_waits_is_older_than_the_halt(stores):
    apply, halting = stores
    ledger = SendLedger(apply)
    with apply.transaction():  # a batch record being written when halt is run
        first = ledger._begin(apply, "acc", "promo", "id", ["+1"])
        thread, out = halt_in_thread(halting)
        time.sleep(0.3)
        assert "halt" not in out  # the halt waits for the record being written
    # The next batch is recorded as soon as the first commits, while the halt still waits
    # on SQLite (its busy handler sleeps) or is written (PostgreSQL: this waits for it).
    second = ledger.begin("acc", "promo", "id", ["+2"])
    seen = read_halt(apply)  # what the send reads once its record has committed
    thread.join(10)
    halt = out["halt"]
    created = {b.id: b.created_at for b in ledger.batches("acc")}
    assert created[first] <= halt.at
    # The second batch either read the halt (and stays), or was recorded before its time.
    assert seen is not None or created[second] <= halt.at
