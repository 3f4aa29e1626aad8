"""What progress looks like in a CI log (plain lines) and which display a run gets."""

from __future__ import annotations

import io

import pytest

from reconciler.engine.actions import Action
from reconciler.engine.reporting import NO_PROGRESS
from reconciler.render import progress as shown
from reconciler.render.progress import PlainReporter, TerminalReporter, make_reporter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(shown.time, "monotonic", c)
    return c


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_send_logs_its_rate_and_eta_then_its_total(clock):
    log = io.StringIO()
    reporter = PlainReporter(log)
    with reporter.task("send Campaign/spring", total=50_000, unit="recipients") as task:
        clock.now += 2
        task.advance(10_000)  # under PLAIN_EVERY since the start: no line yet
        clock.now += 3
        task.advance(15_000)
        clock.now += 1
        task.advance(5_000)  # under PLAIN_EVERY since the last line
        clock.now += 4
        task.advance(20_000)
    assert log.getvalue().splitlines() == [
        "send Campaign/spring: 25,000/50,000 recipients (50%), 5,000 recipients/s, "
        "ETA 5.0 s",
        "send Campaign/spring: 50,000/50,000 recipients (100%) in 10.0 s "
        "(5,000 recipients/s)",
    ]


def test_actions_are_numbered_and_a_failed_upload_says_it_stopped(clock):
    log = io.StringIO()
    reporter = PlainReporter(log)
    reporter.actions(2)
    first = Action("create", "ContactGroup", "everyone", "mail", "not in the account")
    reporter.action("start", first)
    with pytest.raises(RuntimeError), reporter.task("upload ContactGroup/everyone", total=1,
                                                     unit="contacts"):
        raise RuntimeError("connection lost")
    reporter.action("failed", first, "cannot reach the vendor")
    assert log.getvalue().splitlines() == [
        "upload ContactGroup/everyone: 0/1 contact (0%) in 0.0 s (stopped)",
        "[1/2] FAILED: create ContactGroup/everyone: cannot reach the vendor",
    ]


def test_reads_get_a_line_only_when_slow(clock):
    log = io.StringIO()
    reporter = PlainReporter(log)
    with reporter.task("read mail (email-campaigns)", unit="requests") as task:
        task.advance(5)
    assert log.getvalue() == ""
    with reporter.task("read sched (scheduled-campaigns)", unit="requests") as task:
        task.advance(1)
        clock.now += 6
    assert log.getvalue() == "read sched (scheduled-campaigns): 1 request in 6.0 s\n"


def test_bars_only_on_a_terminal_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert isinstance(make_reporter(stream=Tty()), TerminalReporter)
    assert isinstance(make_reporter(stream=io.StringIO()), PlainReporter)
    assert make_reporter(quiet=True, stream=Tty()) is NO_PROGRESS
    monkeypatch.setenv("CI", "true")
    assert isinstance(make_reporter(stream=Tty()), PlainReporter)
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(make_reporter(stream=Tty()), PlainReporter)


def test_the_terminal_display_counts_contacts_and_leaves_its_last_state(monkeypatch):
    screen = Tty()
    reporter = TerminalReporter(screen)
    reporter.console.width = 120
    reporter.actions(1)
    with reporter.task("upload ContactGroup/everyone", total=50_000, unit="contacts") as t:
        t.set(20_000)
        t.set(50_000)
    reporter.action("done", Action("create", "ContactGroup", "everyone", "mail", "not in the account"))
    reporter.close()
    text = screen.getvalue()
    assert "upload ContactGroup/everyone" in text and "50,000/50,000 contacts" in text
    assert "done: create ContactGroup/everyone" in text and "1/1 action" in text
