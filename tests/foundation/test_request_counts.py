"""The run's request counts and read progress come from what each HTTP layer reports to the
session (engine/reporting.Requests), not from the engine reaching into a provider's clients:
a request counts when it leaves (a lost answer too), progress moves when it is answered."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from reconciler.engine.reporting import Requests, Task
from reconciler.errors import OutcomeUnknown
from reconciler.http import VendorHttp

BASE = "https://api.vendor.test"


class Counted(Task):
    def __init__(self) -> None:
        self.done = 0

    def advance(self, n: int = 1) -> None:
        self.done += n


@respx.mock
def test_reads_and_writes_are_counted_as_they_leave_and_shown_as_answered():
    respx.get(f"{BASE}/lists").mock(return_value=httpx.Response(200, json=[]))
    respx.post(f"{BASE}/send").mock(side_effect=httpx.RemoteProtocolError("dropped"))
    requests, shown = Requests(), Counted()
    http = VendorHttp("acme", BASE, {"X-Key": "k-0123456789"},
                      observer=requests.for_account("acct"), sleep=lambda s: asyncio.sleep(0))

    async def run() -> None:
        with requests.showing("acct", shown):
            await http.request("GET", "/lists")
            await http.request("GET", "/lists")
        await http.request("GET", "/lists")  # no task shown any more: counted only
        with pytest.raises(OutcomeUnknown):
            await http.request("POST", "/send")  # left, never answered
        await http.aclose()

    asyncio.run(run())
    assert requests.totals() == (3, 1)
    assert shown.done == 2
