"""The SQLite state's lock and bindings: the lock is an OS lock held by the applying
process (it dies with it); the locks row only names the holder; a binding written since a
plan is never overwritten by a create."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import run_cli, write_workspace

from reconciler.state.store import Binding, LockedError, SqliteStore


def test_a_second_store_is_refused_while_the_first_holds_the_lock(tmp_path):
    first, second = SqliteStore(tmp_path / "state.db"), SqliteStore(tmp_path / "state.db")
    try:
        first.acquire_lock("alice@laptop pid 10")
        with pytest.raises(LockedError) as caught:
            second.acquire_lock("bob@laptop pid 20")
        info = second.lock_info()
        assert info.alive and info.holder == "alice@laptop pid 10"
        assert f"locked by alice@laptop pid 10 since {info.since} (lock ID {info.lock_id})" \
            in str(caught.value)
        with pytest.raises(LockedError, match="alice@laptop pid 10.*is alive"):
            second.break_lock(info.lock_id)
        assert second.release_lock() is False  # not ours
        first.release_lock()
        second.acquire_lock("bob@laptop pid 20")
        assert second.lock_info().holder == "bob@laptop pid 20"
    finally:
        first.close()
        second.close()


@pytest.mark.posix
def test_a_sigkilled_holder_leaves_a_record_but_no_lock(tmp_path):
    path = tmp_path / "state.db"
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from reconciler.state.store import SqliteStore
        store = SqliteStore({str(path)!r})
        store.acquire_lock("ci@runner pid 1")
        print("locked", flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        store = SqliteStore(path)
        assert store.lock_info().alive
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    try:
        info = store.lock_info()
        assert info.holder == "ci@runner pid 1" and not info.alive
        store.acquire_lock("next@runner pid 2")  # proceeds: nothing to unlock
        store.release_lock()
        assert store.lock_info() is None
    finally:
        store.close()


def test_state_unlock_needs_the_lock_id_and_clears_only_a_dead_holders_record(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": "providers: {}\n"})
    dead = SqliteStore(ws / ".campaignctl" / "state.db")
    dead.acquire_lock("ci@runner pid 1")
    lock_id = dead.lock_info().lock_id
    shown = run_cli("state", "unlock", str(ws))  # shows the lock, breaks nothing
    assert shown.returncode == 1 and f"lock {lock_id}: taken by ci@runner pid 1" in shown.stdout
    assert "alive" in shown.stdout and "not breaking it: its holder is alive" in shown.stderr
    dead.close()  # the process-held lock goes; the record stays, as after a SIGKILL
    wrong = run_cli("state", "unlock", "0123456789abcdef", str(ws))
    assert wrong.returncode == 1 and f"the lock is {lock_id}" in wrong.stderr
    released = run_cli("state", "unlock", lock_id, str(ws))
    assert released.returncode == 0, released.stderr
    assert "its holder ci@runner pid 1" in released.stdout and "no longer running" in released.stdout
    assert run_cli("state", "unlock", lock_id, str(ws)).stdout.strip() == "not locked"


def test_binding_what_a_create_made_never_overwrites_a_binding_written_meanwhile(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    try:
        assert store.bind_created(Binding("mail", "Campaign", "launch", "c2"), None) is None
        found = store.bind_created(Binding("mail", "Campaign", "launch", "c3"), None)
        assert found is not None and found.remote_id == "c2"
        assert store.get_binding("mail", "Campaign", "launch").remote_id == "c2"
        # The plan saw c2 gone (deleted at the vendor): recreating it may rebind.
        assert store.bind_created(Binding("mail", "Campaign", "launch", "c4"), "c2") is None
        assert store.get_binding("mail", "Campaign", "launch").remote_id == "c4"
    finally:
        store.close()
