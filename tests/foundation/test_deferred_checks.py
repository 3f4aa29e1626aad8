"""The deferred CSV checks in a forked child (Linux): the child holds nothing of the
plan's open files, so the apply's lock is free the moment the plan is killed, even while
the child still checks; and the scans it sends back are the ones the
plan would have made itself."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys

import pytest
from conftest import write_workspace

from reconciler import deferred_checks
from reconciler.workspace import load_workspace

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the child is forked on Linux")


def workspace(root):
    write_workspace(root, {
        "campaignctl.yaml": """
            providers:
              mail: {type: email-campaigns, base_url: "https://api.test", token: "${MAIL_TOKEN}"}
            """,
        "groups.yaml": """
            kind: ContactGroup
            name: customers
            provider: mail
            spec: {file: customers.csv}
            ---
            kind: OptOutList
            name: stop
            provider: mail
            spec: {file: stop.csv}
            """,
        "customers.csv": "email,first_name\n" + "".join(
            f"u{i}@example.com,U{i}\n" for i in range(200)),
        "stop.csv": "email\nu3@example.com\nu4@example.com\n",
    })
    ws, problems = load_workspace(root, {}, offline=True)
    assert ws is not None and not problems, problems
    return ws


KILLED_MID_PLAN = """
import fcntl, os, signal, sys, time
from pathlib import Path
from reconciler import deferred_checks
from reconciler.workspace import load_workspace

ws, _ = load_workspace(Path(sys.argv[1]), {"MAIL_TOKEN": "t"}, offline=True)
ws.unchecked = list(ws.resources.values())
plan, real = os.getpid(), deferred_checks.check_csv

def slow_check(r, *args):
    if os.getpid() != plan:
        time.sleep(3)  # the child, still checking
        Path(sys.argv[2] + ".checked").touch()
    return real(r, *args)

deferred_checks.check_csv = slow_check
# The apply's lock as a plain flock (filelock 4 closes its own descriptors in a forked
# child; an older one, or any other library's open file, does not).
held = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT)
fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
deferred_checks.start_checks(ws)
os.kill(plan, signal.SIGKILL)  # the plan dies while its child checks
"""


def test_a_plan_killed_while_its_child_checks_leaves_the_apply_lock_free(tmp_path):
    workspace(tmp_path / "ws")
    lock = tmp_path / "state.db.lock"
    # Its output read through pipes: the run ends once nothing holds them (nor its child).
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_PLAN, str(tmp_path / "ws"),
                             str(lock)], capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not (tmp_path / "state.db.lock.checked").exists()  # the child is still checking
    other = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the next apply takes it at once
    finally:
        os.close(other)


def test_the_childs_scans_are_those_the_plan_would_make(tmp_path):
    forked, here = workspace(tmp_path / "a"), workspace(tmp_path / "b")
    forked.unchecked = list(forked.resources.values())
    deferred_checks.start_checks(forked)()
    for r in here.resources.values():
        r.scan()
    for key, r in forked.resources.items():
        theirs, ours = r._scan, here.resources[key]._scan
        assert theirs is not None and (theirs.emails, theirs.sha256, theirs.problems) == (
            ours.emails, ours.sha256, ours.problems)
    assert sorted(forked.get("OptOutList", "stop").csv_addresses()) == [
        "u3@example.com", "u4@example.com"]
