"""How progress is shown, on stderr: live bars (rich) on a terminal; one plain line per step
when stderr is not a terminal or CI=true (a CI log never holds a control character);
nothing with --quiet. The engine and the providers report through reconciler.engine.reporting."""

from __future__ import annotations

import functools
import os
import sys
import time
from typing import IO, Any

from reconciler.engine.reporting import NO_PROGRESS, Reporter, Task
from reconciler.render.text import in_ci

#: A running task's plain line is repeated at most this often (a CI log shows it is alive).
PLAIN_EVERY = 5.0


def live_terminal(stream: IO[str]) -> bool:
    """Bars only on an interactive terminal: not in CI, not on a dumb terminal."""
    if in_ci():
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def make_reporter(quiet: bool = False, stream: IO[str] | None = None) -> Reporter:
    if quiet:
        return NO_PROGRESS
    stream = stream or sys.stderr
    return TerminalReporter(stream) if live_terminal(stream) else PlainReporter(stream)


def _count(n: float) -> str:
    return f"{int(n):,}"


def _units(n: float, unit: str) -> str:
    """`unit` (a plural) for n of them: 1 contact, 2 contacts."""
    return unit[:-1] if int(n) == 1 and unit.endswith("s") else unit


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _action_line(event: str, action: Any, error: str | None) -> str:
    if event == "failed":
        return f"FAILED: {action.op} {action.address}: {error}"
    return f"done: {action.op} {action.address}"


class _Counted:
    """What both kinds of task share: the count, the rate and the time left."""

    def __init__(self, label: str, total: int | None, unit: str):
        self.label, self.total, self.unit = label, total, unit
        self.completed = 0
        self.started = time.monotonic()

    def rate(self) -> float | None:
        elapsed = time.monotonic() - self.started
        return self.completed / elapsed if elapsed > 0 and self.completed else None

    def text(self, final: bool = False) -> str:
        unit = f" {_units(self.total if self.total is not None else self.completed, self.unit)}" \
            if self.unit else ""
        if self.total is None:
            out = f"{self.label}: {_count(self.completed)}{unit}"
        else:
            pct = 100 * self.completed / self.total if self.total else 100
            out = f"{self.label}: {_count(self.completed)}/{_count(self.total)}{unit} ({pct:.0f}%)"
        rate = self.rate()
        per = f" {self.unit}/s" if self.unit else "/s"
        if final:
            out += f" in {_duration(time.monotonic() - self.started)}"
            if rate and self.total is not None:
                out += f" ({_count(rate)}{per})"
        elif rate:
            out += f", {_count(rate)}{per}"
            if self.total:
                out += f", ETA {_duration(max(0, self.total - self.completed) / rate)}"
        return out


class PlainTask(_Counted, Task):
    def __init__(self, reporter: PlainReporter, label: str, total: int | None, unit: str):
        super().__init__(label, total, unit)
        self.reporter = reporter
        self.last = self.started
        self.closed = False

    def advance(self, n: int = 1) -> None:
        self.set(self.completed + n)

    def set(self, completed: int) -> None:
        self.completed = completed
        now = time.monotonic()
        if now - self.last >= PLAIN_EVERY and (self.total is None or completed < self.total):
            self.last = now
            self.reporter.line(self.text())

    def close(self, failed: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        # Work of no known size (the reads of a plan) gets its line only when it was slow:
        # a log of every plan is not to grow by a line per account.
        slow = time.monotonic() - self.started >= PLAIN_EVERY
        if self.total is not None or failed or slow:
            self.reporter.line(self.text(final=True) + (" (stopped)" if failed else ""))


class PlainReporter(Reporter):
    """For logs: a line per finished action, numbered; a line per finished upload or send
    (and per read that took PLAIN_EVERY seconds or more), with a progress line every
    PLAIN_EVERY seconds while one runs. Plain text only."""

    def __init__(self, stream: IO[str]):
        self.stream = stream
        self.total = 0
        self.finished = 0

    def line(self, text: str) -> None:
        self.stream.write(text.replace("\r", " ").replace("\x1b", "") + "\n")
        self.stream.flush()

    def task(self, label: str, total: int | None = None, unit: str = "") -> Task:
        return PlainTask(self, label, total, unit)

    def actions(self, total: int) -> None:
        self.total, self.finished = total, 0

    def action(self, event: str, action: Any, error: str | None = None) -> None:
        if event == "start":
            return
        self.finished += 1
        self.line(f"[{self.finished}/{self.total}] {_action_line(event, action, error)}")


class TerminalTask(Task):
    def __init__(self, reporter: TerminalReporter, task_id: Any, transient: bool):
        self.reporter, self.id, self.transient = reporter, task_id, transient
        self.closed = False

    def advance(self, n: int = 1) -> None:
        self.reporter.progress.advance(self.id, n)

    def set(self, completed: int) -> None:
        self.reporter.progress.update(self.id, completed=completed)

    def close(self, failed: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        progress = self.reporter.progress
        task = progress.tasks[[t.id for t in progress.tasks].index(self.id)]
        if task.total is None:
            progress.update(self.id, total=task.completed)
        if self.transient and not failed:
            progress.remove_task(self.id)
        else:
            progress.stop_task(self.id)
        self.reporter.closed_one()


class TerminalReporter(Reporter):
    """Live bars on stderr (rich), shown while work runs and stopped between phases (so a
    confirmation prompt is never drawn over). Finished actions print a line above them."""

    def __init__(self, stream: IO[str]):
        from rich.console import Console

        self.console = Console(file=stream, highlight=False, soft_wrap=False)
        self.progress: Any = None
        self.open = 0
        self.apply_task: Any = None

    def _start(self) -> Any:
        if self.progress is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            count, rate = _columns()
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), count(), rate(),
                TimeRemainingColumn(), console=self.console, transient=False,
                redirect_stdout=True, redirect_stderr=True)
            self.progress.start()
        return self.progress

    def _stop_if_idle(self) -> None:
        if self.open == 0 and self.progress is not None:
            self.progress.stop()
            self.progress = None
            self.apply_task = None

    def task(self, label: str, total: int | None = None, unit: str = "") -> Task:
        progress = self._start()
        self.open += 1
        task_id = progress.add_task(label, total=total, unit=unit)
        return TerminalTask(self, task_id, transient=total is None)

    def closed_one(self) -> None:
        self.open -= 1
        self._stop_if_idle()

    def actions(self, total: int) -> None:
        progress = self._start()
        self.open += 1
        self.apply_task = progress.add_task("apply", total=total, unit="actions", rate=False)

    def action(self, event: str, action: Any, error: str | None = None) -> None:
        progress = self._start()
        if event == "start":
            return
        style = "red" if event == "failed" else "green"
        progress.console.print(_action_line(event, action, error), style=style,
                               markup=False)
        if self.apply_task is not None:
            progress.advance(self.apply_task, 1)

    def close(self) -> None:
        """The apply ended: take the bars down, leaving their last state on screen."""
        if self.apply_task is not None:
            self.open -= 1
        self.open = max(self.open, 0)
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
            self.apply_task = None


@functools.cache
def _columns() -> tuple[type, type]:
    # Built on first use: importing rich would cost every command's start.
    from rich.progress import ProgressColumn
    from rich.text import Text

    class CountColumn(ProgressColumn):
        """12,345/50,000 contacts (or 12,345 requests when the total is not known)."""

        def render(self, task: Any) -> Text:
            unit = _units(task.total if task.total is not None else task.completed,
                          task.fields.get("unit", ""))
            done = _count(task.completed)
            shown = done if task.total is None else f"{done}/{_count(task.total)}"
            return Text(f"{shown} {unit}".rstrip())

    class RateColumn(ProgressColumn):
        """1,234 recipients/s, over the task's whole time: an upload's ends when the vendor
        has answered, not when the last byte was handed to the socket."""

        def render(self, task: Any) -> Text:
            elapsed = task.elapsed
            if not elapsed or not task.completed or not task.fields.get("rate", True):
                return Text("")
            return Text(f"{_count(task.completed / elapsed)} {task.fields.get('unit', '')}/s")

    return CountColumn, RateColumn

