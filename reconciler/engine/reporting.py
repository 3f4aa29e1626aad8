"""Progress reporting, as the engine, the executor and the providers see it: a Reporter
passed in the run context (RunContext.reporter). They say what long work is under way and
how far it got; how that is shown (a live bar on a terminal, one plain line per step in a
CI log, nothing with --quiet) is the command line's business (reconciler/render/progress.py).

    with ctx.reporter.task("upload ContactGroup/x", total=50_000, unit="contacts") as t:
        t.advance(1_500)

The default reporter shows nothing, so library use and tests need none. `Requests` counts
one session's vendor requests as each provider's HTTP layer reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Task:
    """One piece of long work with a count: contacts uploaded, recipients sent, requests
    read. `total` may be None (not known in advance)."""

    def advance(self, n: int = 1) -> None:
        """`n` more units are done."""

    def set(self, completed: int) -> None:
        """Exactly `completed` units are done (a retried upload starts again)."""

    def close(self, failed: bool = False) -> None:
        """The work ended (`failed`: before its total)."""

    def __enter__(self) -> Task:
        return self

    def __exit__(self, kind: Any, *rest: Any) -> None:
        self.close(failed=kind is not None)


class Reporter:
    """What a run reports. Every hook does nothing here; the CLI passes one that shows."""

    def task(self, label: str, total: int | None = None, unit: str = "") -> Task:
        return Task()

    def action(self, event: str, action: Any, error: str | None = None) -> None:
        """The executor's hook: `event` is start, done or failed, for one plan action."""

    def actions(self, total: int) -> None:
        """How many actions the apply is about to run."""

    def parallelism(self, limit: int) -> None:
        """At most `limit` of them run at once (apply --parallelism)."""

    def batch(self, event: str, address: str, batch: Any, recipients: int,
              error: str | None = None) -> None:
        """A send's batch around the ledger: `event` is sent, unknown (the outcome could
        not be known: never resent unasked), rejected or not_sent (nothing was sent)."""

    def close(self) -> None:
        """The run is over (a live display is taken down)."""


NO_PROGRESS = Reporter()


#: methods that change nothing at the vendor (the rest count as writes in reports)
READ_METHODS = frozenset({"GET", "HEAD"})


class Requests:
    """The vendor requests of one session (engine/planner.open_session makes one): every
    provider's HTTP layer reports to it, through `for_account`, each request it sends and
    each answer; the planner shows an account's reads as they come (`showing`)."""

    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0
        self._showing: dict[str, Task] = {}

    def for_account(self, account: str) -> _AccountRequests:
        return _AccountRequests(self, account)

    @contextmanager
    def showing(self, account: str, task: Task) -> Iterator[None]:
        """While open, each answer to `account` advances `task` (its reads' progress)."""
        self._showing[account] = task
        try:
            yield
        finally:
            self._showing.pop(account, None)

    def totals(self) -> tuple[int, int]:
        """(reads, writes) sent so far."""
        return self.reads, self.writes


class _AccountRequests:
    """One account's view of `Requests`: what its HTTP layer calls (http.RequestObserver)."""

    def __init__(self, requests: Requests, account: str):
        self.requests, self.account = requests, account

    def sent(self, method: str) -> None:
        if method.upper() in READ_METHODS:
            self.requests.reads += 1
        else:
            self.requests.writes += 1

    def answered(self) -> None:
        task = self.requests._showing.get(self.account)
        if task is not None:
            task.advance()
