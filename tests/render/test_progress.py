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


def terminal(width: int = 120) -> tuple[TerminalReporter, Tty]:
    screen = Tty()
    reporter = TerminalReporter(screen)
    reporter.console.width = width
    return reporter, screen


def group(i: int) -> Action:
    return Action("create", "ContactGroup", f"g{i:04d}", "mail", "not in the account")


def test_the_terminal_display_counts_contacts_and_leaves_its_last_state(clock):
    reporter, screen = terminal()
    reporter.actions(1)
    reporter.action("start", group(0))
    with reporter.task("upload ContactGroup/g0000", total=50_000, unit="contacts") as t:
        t.set(20_000)
        assert reporter.lines()[1].startswith(
            "  create ContactGroup/g0000 (0.0 s)  upload: 20,000/50,000 contacts (40%)")
        t.set(50_000)
    reporter.action("done", group(0))
    reporter.close()
    text = screen.getvalue()
    assert "apply: 1/1 action in " in text
    assert "contacts uploaded: 50,000/50,000 contacts (100%) in " in text
    assert "done: create" not in text  # a finished action is a count, not a line


def test_running_actions_are_shown_up_to_a_fixed_number_and_finished_ones_collapse(clock):
    reporter, _ = terminal()
    reporter.actions(400)
    actions = [group(i) for i in range(400)]
    for a in actions[:30]:  # many starts before any finish, as a parallel apply does
        reporter.action("start", a)
    for a in reversed(actions[:20]):  # finished out of order
        reporter.action("done", a)
    clock.now += 10
    lines = reporter.lines()
    assert lines[0] == "apply: 20/400 actions, 2.0 actions/s, ETA 3 min 10 s"
    running = [line.split(" (")[0] for line in lines[1:1 + shown.RUNNING_SHOWN]]
    assert running == [f"  create ContactGroup/g{i:04d}" for i in range(20, 28)]
    assert lines[1 + shown.RUNNING_SHOWN] == "  and 2 more running"
    assert len(lines) == shown.RUNNING_SHOWN + 2
    for a in actions[20:]:
        reporter.action("start", a)
        reporter.action("done", a)
    assert reporter.lines() == ["apply: 400/400 actions in 10.0 s"]
    reporter.close()


def test_a_failed_action_is_printed_once_above_the_display_and_counted(clock):
    reporter, screen = terminal()
    reporter.actions(3)
    for a in (group(0), group(1), group(2)):
        reporter.action("start", a)
    reporter.action("failed", group(1), "the vendor said 500")
    reporter.action("done", group(0))
    clock.now += 2
    assert reporter.lines()[0] == "apply: 1/3 actions, 1 failed, 1.0 actions/s, ETA 1.0 s"
    assert [line.split(" (")[0] for line in reporter.lines()[1:]] == ["  create ContactGroup/g0002"]
    reporter.action("done", group(2))
    reporter.close()
    text = shown_text(screen)
    assert text.count("FAILED: create ContactGroup/g0001: the vendor said 500") == 1
    assert "apply: 2/3 actions, 1 failed in 2.0 s" in text


def shown_text(screen: io.StringIO) -> str:
    import re
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())


def test_contacts_and_recipients_are_summed_over_their_tasks_with_rate_and_time_left(clock):
    reporter, screen = terminal()
    reporter.actions(3)
    first = reporter.task("upload ContactGroup/a", total=1_000, unit="contacts")
    second = reporter.task("upload ContactGroup/b", total=3_000, unit="contacts")
    send = reporter.task("send Campaign/promo", total=500, unit="recipients")
    first.advance(600)
    second.set(400)
    send.advance(100)
    clock.now += 2
    assert reporter.lines()[1:] == [
        "contacts uploaded: 1,000/4,000 contacts (25%), 500 contacts/s, ETA 6.0 s",
        "recipients sent: 100/500 recipients (20%), 50 recipients/s, ETA 8.0 s",
    ]
    first.advance(400)
    first.close()
    second.set(0)  # a retried upload starts again
    second.set(1_000)
    second.close(failed=True)  # what it did not upload is no longer to come
    clock.now += 2
    assert reporter.lines()[1] == ("contacts uploaded: 2,000/2,000 contacts (100%) in 2.0 s "
                                   "(1,000 contacts/s)")
    send.advance(400)
    send.close()
    reporter.close()
    assert "recipients sent: 500/500 recipients (100%) in 4.0 s (125 recipients/s)" in \
        shown_text(screen)


def test_a_plans_reads_show_while_they_run_and_the_display_is_down_between_phases(clock):
    reporter, screen = terminal()
    mail = reporter.task("read mail (email-campaigns)", unit="requests")
    sched = reporter.task("read sched (scheduled-campaigns)", unit="requests")
    mail.advance(3)
    clock.now += 1
    assert reporter.lines() == ["read mail (email-campaigns): 3 requests, 3 requests/s",
                                "read sched (scheduled-campaigns): 0 requests"]
    mail.close()
    assert reporter.lines() == ["read sched (scheduled-campaigns): 0 requests"]
    assert reporter.live is not None
    sched.close()
    assert reporter.lines() == [] and reporter.live is None  # a prompt may follow
    reporter.actions(1)
    assert reporter.live is not None
    reporter.close()
    assert reporter.live is None and reporter.lines() == []


def test_events_do_not_draw_the_display_themselves(monkeypatch):
    """2,000 actions finishing: the terminal gets the redraws of rich's refresh thread (here
    made to wait 100 s between two), not a write per event: only the first and last states."""
    monkeypatch.setattr(shown, "REFRESH_PER_SECOND", 0.01)
    screen = Tty()
    writes = []
    screen.write = lambda text: writes.append(text) or len(text)  # type: ignore[method-assign]
    reporter = TerminalReporter(screen)
    reporter.actions(2_000)
    for i in range(2_000):
        reporter.action("start", group(i))
        with reporter.task(f"upload ContactGroup/g{i:04d}", total=2, unit="contacts") as t:
            t.advance(2)
        reporter.action("done", group(i))
    reporter.close()
    assert len(writes) <= 6, writes
    assert "apply: 2,000/2,000 actions in " in "".join(writes)


def test_a_read_done_before_the_first_redraw_is_still_drawn(monkeypatch):
    monkeypatch.setattr(shown, "REFRESH_PER_SECOND", 0.01)
    reporter, screen = terminal()
    with reporter.task("read mail (email-campaigns)", unit="requests") as task:
        task.advance(2)
    assert "read mail (email-campaigns): 0 requests" in shown_text(screen)
    assert reporter.live is None
