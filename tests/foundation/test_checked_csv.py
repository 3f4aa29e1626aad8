"""Issue 11 with issue 18's guarantee: a plan reads while it checks the CSV rows it knows are
clean, and checks every other row before any vendor call.

An apply records the SHA-256 of every CSV it checked clean; the next plan checks those
files' rows while its reads are in flight (in a child process on Linux, else in a worker
thread). A file changed since (a bad row added, or a good one) is checked before the first
request, as on a first plan; a record that lies about a file still cannot get a bad row
past the diff, nor can a check process that dies. Run in-process on the click
entry point against the sandbox over real HTTP, with the CSV parser's file opening and the
HTTP requests observed."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import cli_in_process as run
from conftest import sandbox_accounts, write_workspace

import reconciler.contacts
from reconciler import checked_csv, deferred_checks
from reconciler.state.store import SqliteStore
from reconciler.workspace_files import file_sha256, open_csv

ROWS = "email,first_name,last_name\n" + "".join(
    f"user{i}@example.com,User,{i}\n" for i in range(50))
BAD_ROW = "not-an-email,Bad,Row\n"


def workspace(root: Path, url: str) -> Path:
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              mail: {{type: email-campaigns, base_url: "{url}", token: "${{TEST_TOKEN}}"}}
            """,
        "mail.yaml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@example.com}
            ---
            kind: ContactGroup
            name: customers
            provider: mail
            spec: {title: Customers, file: customers.csv}
            ---
            kind: OptOutList
            name: stop
            provider: mail
            spec: {file: stop.csv}
            """,
        "customers.csv": ROWS,
        "stop.csv": "email\nuser3@example.com\n",
    })
    return sandbox_accounts(root)


class Observed:
    """The order of CSV openings and vendor requests, logged to a file by every process of
    the run (the plan forks its deferred checks on Linux). A CSV opened off the plan's main
    thread, or in another process (a check left for while the reads are in flight), first
    waits, up to 10 s, for a request to have been sent: it can only be opened after one."""

    def __init__(self, log: Path):
        self.log = log
        self.log.write_text("")
        self.pid = os.getpid()
        self.waited_in_vain = False

    def note(self, kind: str, what: str) -> None:
        with open(self.log, "a") as f:
            f.write(f"{kind}\t{what}\t{os.getpid()}\n")

    @property
    def events(self) -> list[tuple[str, str]]:
        return [tuple(line.split("\t")[:2]) for line in self.log.read_text().splitlines()]

    def pids(self, name: str) -> set[int]:
        return {int(line.split("\t")[2]) for line in self.log.read_text().splitlines()
                if line.split("\t")[1] == name}

    def requests(self, method: str | None = None) -> list[str]:
        return [what for kind, what in self.events
                if kind == "request" and (method is None or what.startswith(method + " "))]

    def wait_for_a_request(self) -> bool:
        deadline = time.monotonic() + 10
        while not self.requests():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def before_first_request(self) -> set[str]:
        first = next((i for i, (kind, _) in enumerate(self.events) if kind == "request"),
                     len(self.events))
        return {what for kind, what in self.events[:first] if kind == "csv"}

    def in_worker(self) -> set[str]:
        return {what for kind, what in self.events if kind == "csv (worker)"}

    def clear(self) -> None:
        self.log.write_text("")


@pytest.fixture
def observed(monkeypatch, tmp_path) -> Observed:
    seen = Observed(tmp_path / "observed.log")
    real_open, real_send = reconciler.contacts.open_csv, httpx.AsyncClient.send

    def opening(path, *args):
        if threading.current_thread() is threading.main_thread() and os.getpid() == seen.pid:
            seen.note("csv", Path(path).name)
        else:
            seen.waited_in_vain |= not seen.wait_for_a_request()
            seen.note("csv (worker)", Path(path).name)
        return real_open(path, *args)

    async def sending(self, request, **kwargs):
        seen.note("request", f"{request.method} {request.url.path}")
        return await real_send(self, request, **kwargs)

    monkeypatch.setattr(reconciler.contacts, "open_csv", opening)
    monkeypatch.setattr(httpx.AsyncClient, "send", sending)
    return seen


def applied(ws: Path, capsys, observed: Observed) -> None:
    code, out = run(capsys, "apply", str(ws), "--auto-approve")
    assert code == 0, out
    observed.clear()


def test_a_first_plan_checks_every_row_before_its_first_request(tmp_path, sandbox_server,
                                                               capsys, observed):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    code, out = run(capsys, "plan", str(ws))
    assert code == 0, out
    assert observed.before_first_request() == {"customers.csv", "stop.csv"}, observed.events
    assert not observed.in_worker()
    assert "+ create ContactGroup/customers" in out, out


def test_after_an_apply_the_plan_reads_while_it_checks_the_unchanged_rows(
        tmp_path, sandbox_server, capsys, observed):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    code, out = run(capsys, "plan", str(ws), "--detailed-exitcode")
    assert code == 0, out  # nothing to change: the rows were checked and diffed all the same
    assert observed.in_worker() == {"customers.csv", "stop.csv"}, observed.events
    assert not observed.waited_in_vain  # each was opened once a request was in flight
    assert not observed.before_first_request()
    if sys.platform == "linux":  # by a child process, on the other core
        assert os.getpid() not in observed.pids("customers.csv") | observed.pids("stop.csv")


@pytest.mark.parametrize("bad", [False, True])
def test_a_check_process_that_dies_leaves_its_files_to_the_plan(
        tmp_path, sandbox_server, capsys, observed, monkeypatch, bad):
    """The child that checks the known-clean files dies before answering: the plan checks
    them itself, so a clean workspace still plans and a bad row still stops it."""
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    if bad:
        bad_row_recorded_clean(ws)
    plan_pid, real_check = os.getpid(), deferred_checks.check_csv

    def check(r, *args):
        if os.getpid() != plan_pid:
            os._exit(7)
        return real_check(r, *args)

    monkeypatch.setattr(deferred_checks, "check_csv", check)
    code, out = run(capsys, "plan", str(ws), "--detailed-exitcode")
    assert "Traceback" not in out
    if bad:
        assert code == 1 and "customers.csv:52" in out, out
    else:
        assert code == 0, out
    assert observed.pids("customers.csv") >= {plan_pid}  # checked by the plan itself


def test_a_bad_row_added_since_the_apply_stops_the_plan_before_any_request(
        tmp_path, sandbox_server, capsys, observed):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    with open(ws / "customers.csv", "a") as f:
        f.write(BAD_ROW)
    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out = run(capsys, command[0], str(ws), *command[1:])
        assert code == 1, out
        assert "customers.csv:52" in out and "Traceback" not in out, out
        assert "not-an-email" not in out  # the row is named by its place, not its content
        assert observed.requests() == [], observed.events


def test_a_good_row_added_since_the_apply_is_checked_before_the_first_request(
        tmp_path, sandbox_server, capsys, observed):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    with open(ws / "customers.csv", "a") as f:
        f.write("late@example.com,Late,Comer\n")
    code, out = run(capsys, "plan", str(ws), "--detailed-exitcode")
    assert code == 2, out
    assert "customers.csv" in observed.before_first_request(), observed.events
    assert observed.in_worker() == {"stop.csv"}, observed.events  # unchanged: read meanwhile
    assert "~ update ContactGroup/customers" in out, out


def bad_row_recorded_clean(ws: Path) -> None:
    """A bad row appended to customers.csv, under a record (edited by hand, or a bug) that
    calls the file as it now is clean."""
    with open(ws / "customers.csv", "a") as f:
        f.write(BAD_ROW)
    store = SqliteStore(ws / ".campaignctl" / "state.db")
    store.set_meta(checked_csv.CHECKED_META, json.dumps({
        "checker": checked_csv.checker_key(),
        "files": [file_sha256(ws / "customers.csv"), file_sha256(ws / "stop.csv")]}))
    store.close()


def test_a_record_that_calls_a_bad_file_clean_cannot_get_its_row_past_the_diff(
        tmp_path, sandbox_server, capsys, observed):
    """The record only decides when a file is checked: a store edited by hand (or a bug)
    that calls a bad file clean lets the reads start, but the plan and the apply still stop
    at the row, with nothing written."""
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    bad_row_recorded_clean(ws)
    for command in (["plan"], ["apply", "--auto-approve"]):
        code, out = run(capsys, command[0], str(ws), *command[1:])
        assert code == 1, out
        assert "customers.csv:52" in out and "Traceback" not in out, out
        assert observed.requests("GET"), observed.events  # it did start reading
        assert not [r for r in observed.requests() if not r.startswith("GET ")], observed.events
        observed.clear()


def test_other_checking_code_starts_from_an_empty_record(tmp_path, sandbox_server, capsys,
                                                        observed, monkeypatch):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    monkeypatch.setattr(checked_csv, "checker_key", lambda: "another phonenumbers")
    code, out = run(capsys, "plan", str(ws), "--detailed-exitcode")
    assert code == 0, out
    assert observed.before_first_request() == {"customers.csv", "stop.csv"}, observed.events
    assert not observed.in_worker()


def test_the_apply_records_the_digest_of_each_file_it_checked(tmp_path, sandbox_server,
                                                              capsys, observed):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    applied(ws, capsys, observed)
    store = SqliteStore(ws / ".campaignctl" / "state.db")
    try:
        assert checked_csv.known_clean(store) == {file_sha256(ws / "customers.csv"),
                                                  file_sha256(ws / "stop.csv")}
        for unreadable in ("{not json", '["a list"]', '{"checker": 1, "files": "abc"}'):
            store.set_meta(checked_csv.CHECKED_META, unreadable)
            assert checked_csv.known_clean(store) == set()
    finally:
        store.close()


def test_the_digest_taken_while_parsing_is_that_of_the_whole_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ROWS.encode() * 2000)  # a BOM, then 2.7 MB of rows
    sha256 = hashlib.sha256()
    with open_csv(path, sha256) as fh:
        lines = sum(1 for _ in fh)
    assert lines == 51 * 2000
    assert sha256.hexdigest() == file_sha256(path)
