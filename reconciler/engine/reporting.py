"""Progress reporting, as the engine, the executor and the providers see it: a Reporter
passed in the run context (RunContext.reporter). They say what long work is under way and
how far it got; how that is shown (a live bar on a terminal, one plain line per step in a
CI log, nothing with --quiet) is the command line's business (reconciler/render/progress.py).

    with ctx.reporter.task("upload ContactGroup/x", total=50_000, unit="contacts") as t:
        t.advance(1_500)

The default reporter shows nothing, so library use and tests need none.
"""

from __future__ import annotations

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

    def close(self) -> None:
        """The run is over (a live display is taken down)."""


NO_PROGRESS = Reporter()
