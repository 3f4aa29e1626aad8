"""How progress is shown, on stderr: a live display of a fixed number of lines (rich) on a
terminal; one plain line per step when stderr is not a terminal or CI=true (a CI log never
holds a control character); nothing with --quiet. The engine and the providers report
through reconciler.engine.reporting."""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from typing import IO, Any

from reconciler.engine.reporting import NO_PROGRESS, Reporter, Task
from reconciler.render.text import in_ci

#: A running task's plain line is repeated at most this often (a CI log shows it is alive).
PLAIN_EVERY = 5.0
#: Running actions the terminal names; the others are counted ("and 12 more running").
RUNNING_SHOWN = 8
#: Redraws of the terminal display per second, however many events arrive.
REFRESH_PER_SECOND = 10
#: What the terminal's line for all the tasks of a unit says.
UNIT_LINES = {"contacts": "contacts uploaded", "opt-outs": "opt-outs uploaded",
              "recipients": "recipients sent"}


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
        self.ended: float | None = None  # the rate and the time taken stop there

    def elapsed(self) -> float:
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    def rate(self) -> float | None:
        elapsed = self.elapsed()
        return self.completed / elapsed if elapsed > 0 and self.completed else None

    def text(self, final: bool = False, label: str | None = None) -> str:
        label = self.label if label is None else label
        unit = f" {_units(self.total if self.total is not None else self.completed, self.unit)}" \
            if self.unit else ""
        if self.total is None:
            out = f"{label}: {_count(self.completed)}{unit}"
        else:
            pct = 100 * self.completed / self.total if self.total else 100
            out = f"{label}: {_count(self.completed)}/{_count(self.total)}{unit} ({pct:.0f}%)"
        rate = self.rate()
        per = f" {self.unit}/s" if self.unit else "/s"
        if final:
            out += f" in {_duration(self.elapsed())}"
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


class TerminalTask(_Counted, Task):
    """A task on the terminal: its count goes to its unit's line (contacts, recipients);
    one of no known size (a plan's reads) has a line of its own while it runs."""

    def __init__(self, reporter: TerminalReporter, label: str, total: int | None, unit: str):
        super().__init__(label, total, unit)
        self.reporter = reporter
        self.sum = reporter.sum_for(unit) if total is not None else None
        self.closed = False

    def advance(self, n: int = 1) -> None:
        self.set(self.completed + n)

    def set(self, completed: int) -> None:
        if self.sum is not None:
            self.sum.completed += completed - self.completed
        self.completed = completed

    def close(self, failed: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.ended = time.monotonic()
        self.reporter.closed(self)


class TerminalReporter(Reporter):
    """The live display on a terminal (stderr): always the same few lines, however many
    actions an apply has. The actions (done, failed, total, rate, time left); the running
    ones (RUNNING_SHOWN named, the rest counted), each with its upload's or send's count;
    one line per unit (contacts uploaded, recipients sent) summing every task of that unit;
    one line per read of a plan while it runs. Finished work only adds to the counts; a
    failed action gets one line above the display (a failure stops new launches, so there
    are few). Each event changes counters (O(1)); the display is redrawn by rich's own
    thread REFRESH_PER_SECOND times a second. It is up while work runs and taken down
    between phases (a confirmation prompt is never drawn over), its last state left."""

    def __init__(self, stream: IO[str]):
        from rich.console import Console

        self.console = Console(file=stream, highlight=False, soft_wrap=False)
        self.lock = threading.Lock()  # the events' thread against the redrawing thread
        self.live: Any = None
        self.open = 0  # open tasks, and the apply while it runs: the display is up
        self.actions_run: _Counted | None = None  # the apply's count of finished actions
        self.failed = 0
        self.running: dict[tuple[str, str], tuple[Any, float]] = {}  # (op, address): ...
        self.work: dict[str, TerminalTask] = {}  # a running action's task, by address
        self.unsized: dict[int, TerminalTask] = {}  # reads, while they run
        self.sums: dict[str, _Counted] = {}  # unit: every task of that unit
        self.sized_open: dict[str, int] = {}  # unit: its tasks still running

    # -- the display ----------------------------------------------------------------------

    def _start(self) -> None:
        if self.live is None:
            from rich.live import Live

            self.live = Live(console=self.console, get_renderable=self.render,
                             refresh_per_second=REFRESH_PER_SECOND, transient=False,
                             redirect_stdout=True, redirect_stderr=True)
            self.live.start(refresh=True)  # drawn at once: a fast read is seen too

    def _stop_if_idle(self) -> None:
        if self.open <= 0 and self.live is not None:
            self.open = 0
            self.live.stop()  # drawn one last time: the final counts stay on screen
            self.live = None

    def lines(self) -> list[str]:
        """What the display shows now: a bounded number of lines."""
        with self.lock:
            out = [self._actions_line()] if self.actions_run is not None else []
            now = time.monotonic()
            for action, started in itertools.islice(self.running.values(), RUNNING_SHOWN):
                task = self.work.get(action.address)
                # "upload ContactGroup/x" on the line of ContactGroup/x: "upload: 1,200/..."
                doing = (f"  {task.text(label=task.label.partition(' ')[0])}"
                         if task is not None else "")
                out.append(f"  {action.op} {action.address} ({_duration(now - started)})"
                           f"{doing}")
            if len(self.running) > RUNNING_SHOWN:
                out.append(f"  and {len(self.running) - RUNNING_SHOWN} more running")
            for total in self.sums.values():
                out.append(total.text(final=total.ended is not None))
            for task in itertools.islice(self.unsized.values(), RUNNING_SHOWN):
                out.append(task.text())
            if len(self.unsized) > RUNNING_SHOWN:
                out.append(f"and {len(self.unsized) - RUNNING_SHOWN} more reads")
        return out

    def render(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        return Group(*(Text(line, no_wrap=True, overflow="ellipsis") for line in self.lines()))

    def _actions_line(self) -> str:
        run = self.actions_run
        assert run is not None and run.total is not None
        finished = run.completed + self.failed
        out = f"apply: {_count(run.completed)}/{_count(run.total)} {_units(run.total, 'actions')}"
        if self.failed:
            out += f", {_count(self.failed)} failed"
        if run.ended is not None or finished >= run.total:
            return out + f" in {_duration(run.elapsed())}"
        elapsed = run.elapsed()
        if finished and elapsed > 0:
            rate = finished / elapsed
            out += f", {rate:,.1f} actions/s, ETA {_duration((run.total - finished) / rate)}"
        return out

    # -- what the run reports -------------------------------------------------------------

    def sum_for(self, unit: str) -> _Counted:
        with self.lock:
            total = self.sums.get(unit)
            if total is None:
                label = UNIT_LINES.get(unit, unit or "done")
                total = self.sums[unit] = _Counted(label, 0, unit)
            total.ended = None
            self.sized_open[unit] = self.sized_open.get(unit, 0) + 1
            return total

    def task(self, label: str, total: int | None = None, unit: str = "") -> Task:
        self.open += 1
        task = TerminalTask(self, label, total, unit)
        with self.lock:
            if task.sum is not None:
                task.sum.total = (task.sum.total or 0) + (total or 0)
                self.work[label.partition(" ")[2]] = task  # "upload ContactGroup/x"
            else:
                self.unsized[id(task)] = task
        self._start()  # after the task is counted: the first drawing shows it
        return task

    def closed(self, task: TerminalTask) -> None:
        with self.lock:
            if task.sum is not None:
                # What was not done (a failure, fewer rows than announced) is not to come.
                task.sum.total = (task.sum.total or 0) - max(0, (task.total or 0)
                                                             - task.completed)
                address = task.label.partition(" ")[2]
                if self.work.get(address) is task:
                    del self.work[address]
                self.sized_open[task.unit] -= 1
                if not self.sized_open[task.unit]:
                    task.sum.ended = task.ended
            else:
                self.unsized.pop(id(task), None)
        self.open -= 1
        self._stop_if_idle()

    def actions(self, total: int) -> None:
        self.open += 1
        with self.lock:
            self.actions_run = _Counted("apply", total, "actions")
            self.failed = 0
        self._start()

    def action(self, event: str, action: Any, error: str | None = None) -> None:
        self._start()
        with self.lock:
            if event == "start":
                self.running[action.op, action.address] = (action, time.monotonic())
                return
            self.running.pop((action.op, action.address), None)
            if self.actions_run is not None:
                if event == "failed":
                    self.failed += 1
                else:
                    self.actions_run.completed += 1
        if event == "failed":  # above the display, once; outside the lock (rich redraws)
            self.console.print(_action_line(event, action, error), style="red", markup=False)

    def close(self) -> None:
        """The apply ended: take the display down, leaving its last state on screen."""
        with self.lock:
            if self.actions_run is not None:
                self.actions_run.ended = time.monotonic()
                self.open -= 1
            self.running.clear()
        self.open = 0
        self._stop_if_idle()
        with self.lock:
            self.actions_run = None
            self.work.clear()
            self.unsized.clear()
            self.sums.clear()
            self.sized_open.clear()
