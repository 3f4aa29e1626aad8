"""The in-flight window of a send: just enough batches to keep the rate limit busy
(rate x the fastest round trip), so a crash leaves as few unknown as throughput allows."""

from __future__ import annotations

import asyncio

from reconciler.providers.sendonly.window import START, InFlightWindow


def test_window_follows_the_fastest_round_trip_within_the_ceiling():
    w = InFlightWindow(16, rate=190)
    assert w.limit == START
    w.round_trip(0.2)
    assert w.limit == 16  # 190/s x 0.2 s needs more than the ceiling allows
    w.round_trip(0.03)
    assert w.limit == 9  # ceil(190 x 0.03 x 1.25) + 1
    w.round_trip(0.5)  # a slow one (queueing) never widens it
    assert w.limit == 9
    assert InFlightWindow(16).limit == 16  # no known rate limit: the ceiling
    assert InFlightWindow(0, rate=190).limit == 1


def test_no_more_batches_in_flight_than_the_window():
    async def run() -> int:
        w = InFlightWindow(16, rate=190)
        w.round_trip(0.01)  # limit: ceil(190 x 0.01 x 1.25) + 1 = 4
        in_flight = peak = 0

        async def batch() -> None:
            nonlocal in_flight, peak
            async with w.slot():
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.01)
                in_flight -= 1

        await asyncio.gather(*(batch() for _ in range(40)))
        return peak

    assert asyncio.run(run()) == 4
