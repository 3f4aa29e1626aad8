"""How many batches of one send may be in flight at once.

Every batch in flight is written to the ledger before its request, and a crash leaves all
of them unknown (never resent automatically). So keep in flight only what it takes to keep
the vendor's rate limit busy: by Little's law, rate x round trip. The window follows the
fastest round trip seen (queueing on a busy machine never widens it), with a quarter of
headroom and one spare, and never exceeds `ceiling` (the account's max_concurrency).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

START = 4  # before the first round trip is measured


class InFlightWindow:
    def __init__(self, ceiling: int, rate: float | None = None):
        self.ceiling = max(1, ceiling)
        self.rate = rate  # requests per second the vendor allows (None: no limit known)
        self.fastest: float | None = None
        self.busy = 0
        self.peak = 0
        self._changed = asyncio.Condition()

    @property
    def limit(self) -> int:
        if self.rate is None:
            return self.ceiling
        if self.fastest is None:
            return min(self.ceiling, START)
        return max(1, min(self.ceiling, math.ceil(self.rate * self.fastest * 1.25) + 1))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self.busy < self.limit)
            self.busy += 1
            self.peak = max(self.peak, self.busy)
        try:
            yield
        finally:
            async with self._changed:
                self.busy -= 1
                self._changed.notify_all()

    def round_trip(self, seconds: float) -> None:
        self.fastest = seconds if self.fastest is None else min(self.fastest, seconds)


def clock() -> float:
    return time.monotonic()
