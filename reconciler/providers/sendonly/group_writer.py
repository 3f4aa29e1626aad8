"""The send ledger's writes of concurrent batches, committed together (one fsync for
every batch in flight, each batch's request still leaving only after its record is on
disk)."""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.state.ledger import LedgerError, SendLedger


class GroupWriter:
    """Group commit for concurrent batches: every ledger write submitted while the previous
    commit runs (or during one turn of the event loop) is committed in one transaction (one
    fsync), and each caller resumes only after that commit. A batch's request therefore
    still leaves only after its in-flight record is on disk, but 16 concurrent batches cost
    one fsync, not 16. On SQLite the commit runs in a worker thread on its own connection,
    so requests in flight are answered while it waits for the disk."""

    def __init__(self, ledger: SendLedger):
        self.ledger = ledger
        writer = getattr(ledger.store, "thread_writer", None)
        self.threaded = SendLedger(writer()) if writer is not None else None
        self.pending: list[tuple[tuple, asyncio.Future]] = []
        self._drain: asyncio.Task | None = None

    async def submit(self, op: tuple) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((op, future))
        if self._drain is None:
            self._drain = loop.create_task(self._commit_all())
        result = await future
        if isinstance(result, LedgerError):
            raise result
        return result

    async def _commit_all(self) -> None:
        try:
            while self.pending:
                work, self.pending = self.pending, []
                ops = [op for op, _ in work]
                try:
                    if self.threaded is not None:
                        results = await asyncio.to_thread(self.threaded.group, ops)
                    else:
                        results = self.ledger.group(ops)
                except BaseException as exc:  # the whole transaction rolled back
                    for _, future in work:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), result in zip(work, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._drain = None

    async def aclose(self) -> None:
        """After the last batch: wait for a commit still running, then close its connection."""
        if self._drain is not None:
            await asyncio.shield(self._drain)
        if self.threaded is not None:
            self.threaded.store.db.close()
