"""The send ledger's group commit on SQLite runs beside the event loop: requests in flight
are answered while a commit waits for the disk, and a write is on disk when it returns."""

from __future__ import annotations

import asyncio
import sqlite3
import time

from reconciler.providers.sendonly.group_writer import GroupWriter
from reconciler.state.ledger import IN_FLIGHT, SendLedger
from reconciler.state.store import SqliteStore


def test_the_loop_runs_while_a_commit_waits_for_the_disk_and_the_record_is_then_on_disk(
        tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    writer = GroupWriter(SendLedger(store))
    group = writer.threaded.group

    def slow_disk(ops):
        time.sleep(0.3)
        return group(ops)
    writer.threaded.group = slow_disk
    ticks: list[float] = []

    async def other_work() -> None:  # e.g. answers of requests in flight
        for _ in range(10):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    async def go():
        other = asyncio.create_task(other_work())
        await asyncio.sleep(0)
        started = time.monotonic()
        batch = await writer.submit(("begin", "wa", "launch", "v1", ["+33612345678"], False))
        ended = time.monotonic()
        await other
        await writer.aclose()
        return batch, started, ended

    batch, started, ended = asyncio.run(go())
    assert ended - started >= 0.3
    assert sum(started < t < ended for t in ticks) >= 5
    with sqlite3.connect(tmp_path / "state.db") as fresh:
        row = fresh.execute("SELECT status, recipients FROM ledger_batches WHERE id=?",
                            (batch,)).fetchone()
    assert row == (IN_FLIGHT, 1)
    store.close()


def test_concurrent_writes_share_one_commit(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    writer = GroupWriter(SendLedger(store))
    commits = []
    group = writer.threaded.group
    writer.threaded.group = lambda ops: (commits.append(len(ops)), group(ops))[1]

    async def go():
        ids = await asyncio.gather(*(writer.submit(
            ("begin", "wa", "launch", "v1", [f"+3361234567{i}"], False)) for i in range(8)))
        await writer.aclose()
        return ids

    ids = asyncio.run(go())
    assert len(set(ids)) == 8
    assert sum(commits) == 8 and commits[0] == 8
    store.close()
