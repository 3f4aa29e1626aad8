"""The PostgreSQL state backend against a real server: the apply lock across machines (and
across a killed run), a schema per workspace, and clear errors that never show the password."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import run_cli, write_workspace

from reconciler.state.ledger import SendLedger
from reconciler.state.postgres import PostgresStore, StateUnavailable
from reconciler.state.store import Binding, LockedError

CONFIG = """\
providers:
  mail:
    type: email-campaigns
    base_url: sandbox
state:
  backend: postgres
  dsn: ${CAMPAIGNCTL_STATE_DSN}
"""
MANIFEST = """\
kind: Sender
name: news
provider: mail
spec:
  description: News
  email: news@example.com
"""


def _refused(call, *args) -> LockedError:
    with pytest.raises(LockedError) as caught:
        call(*args)
    return caught.value


def workspace(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG,
                                             "senders.yaml": MANIFEST})


def password_of(dsn: str) -> str:
    return dsn.split(":")[2].split("@")[0]


def test_a_second_apply_anywhere_is_refused_while_the_first_holds_the_lock(postgres_dsn):
    first, second = PostgresStore(postgres_dsn), PostgresStore(postgres_dsn)
    try:
        first.acquire_lock("alice@runner-1 pid 10")
        with pytest.raises(LockedError, match="locked by alice@runner-1 pid 10"):
            second.acquire_lock("bob@runner-2 pid 20")
        # `state unlock LOCK_ID` cannot take a live run's lock away, and names the holder.
        info = second.lock_info()
        assert info.alive and info.holder == "alice@runner-1 pid 10"
        assert f"(lock ID {info.lock_id})" in str(_refused(second.acquire_lock, "bob"))
        refusal = str(_refused(second.break_lock, info.lock_id))
        assert "alice@runner-1 pid 10" in refusal and "is alive" in refusal
        assert second.release_lock() is False  # not ours to release
        first.release_lock()
        second.acquire_lock("bob@runner-2 pid 20")
        assert second.lock_info().holder == "bob@runner-2 pid 20"
    finally:
        first.close()
        second.close()


@pytest.mark.posix
def test_a_killed_apply_leaves_no_lock_behind(tmp_path, postgres_server, postgres_dsn):
    """A cancelled CI job or a SIGKILL: the session ends, and the lock with it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from reconciler.state.postgres import PostgresStore
            store = PostgresStore({postgres_dsn!r})
            store.acquire_lock("ci@runner-1 pid 1")
            print("locked", flush=True)
            time.sleep(600)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        ws = workspace(tmp_path)
        env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn}
        refused = run_cli("apply", str(ws), "--auto-approve", env=env)
        assert refused.returncode == 1
        assert "locked by ci@runner-1 pid 1" in refused.stderr
        assert "Traceback" not in refused.stderr
        # The message names the lock; breaking it is refused while its holder lives.
        lock_id = re.search(r"lock ID ([0-9a-f]{16})", refused.stderr).group(1)
        kept = run_cli("state", "unlock", lock_id, str(ws), env=env)
        assert kept.returncode == 1, kept.stdout + kept.stderr
        assert "ci@runner-1 pid 1" in kept.stderr and "is alive" in kept.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    applied = run_cli("apply", str(ws), "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # The killed run's record of the lock was stale and is gone; nothing to unlock.
    assert run_cli("state", "unlock", lock_id, str(ws), env=env).stdout.strip() == "not locked"
    assert run_cli("state", "list", str(ws), env=env).stdout.startswith("Sender/news\tmail\t")


def test_state_unlock_clears_the_record_of_a_dead_holder(postgres_dsn):
    dead = PostgresStore(postgres_dsn)
    dead.acquire_lock("ci@runner-1 pid 1")
    dead.conn.close()  # the connection drops without a release
    store = PostgresStore(postgres_dsn)
    try:
        info = store.lock_info()
        assert info.holder == "ci@runner-1 pid 1" and not info.alive
        with pytest.raises(LockedError, match="is not the workspace's lock"):
            store.break_lock("0123456789abcdef")
        assert store.break_lock(info.lock_id) == info
        assert store.lock_info() is None and store.break_lock(info.lock_id) is None
    finally:
        store.close()


def test_workspaces_sharing_a_database_keep_to_their_own_schema(postgres_dsn):
    a, b = PostgresStore(postgres_dsn, schema="team_a"), PostgresStore(postgres_dsn,
                                                                        schema="team_b")
    try:
        a.put_binding(Binding("mail", "Sender", "news", "101", "d1", {"x": 1}))
        SendLedger(a).begin("sms", "promo", "id1", ["+33600000001"])
        a.acquire_lock("a@host pid 1")
        assert b.bindings() == [] and SendLedger(b).campaigns("sms") == []
        b.acquire_lock("b@host pid 2")  # each workspace has its own lock
        assert a.get_binding("mail", "Sender", "news").data == {"x": 1}
        a.put_binding(Binding("mail", "Sender", "news", "102", "d2", None))
        assert [(x.remote_id, x.data) for x in a.bindings("mail")] == [("102", None)]
        assert a.remove_binding("mail", "Sender", "news") and not a.bindings()
        a.set_meta("k", "v1")
        a.set_meta("k", "v2")
        assert a.get_meta("k") == "v2" and b.get_meta("k") is None
    finally:
        a.close()
        b.close()


def test_a_ledger_write_is_visible_to_another_machine_once_it_returns(postgres_dsn):
    writer, reader = PostgresStore(postgres_dsn), PostgresStore(postgres_dsn)
    try:
        batch = SendLedger(writer).begin("sms", "promo", "id1", ["+33600000001"])
        assert SendLedger(reader).campaign("sms", "promo").unknown == {"+33600000001"}
        SendLedger(writer).sent(batch, "ticket-1")
        assert SendLedger(reader).campaign("sms", "promo").sent == {"+33600000001"}
    finally:
        writer.close()
        reader.close()


@pytest.mark.parametrize("case", ["refused", "password", "invalid"])
def test_unusable_state_database_is_a_clear_error_without_the_password(
        tmp_path, postgres_server, postgres_dsn, case):
    from conftest import free_port

    dsn = {
        "refused": postgres_dsn.replace(f":{postgres_server.port}/", f":{free_port()}/"),
        "password": postgres_dsn.replace(password_of(postgres_dsn), "wrong-Secret-42"),
        "invalid": "host=127.0.0.1 bogus_option=1 password=wrong-Secret-42",
    }[case]
    ws = workspace(tmp_path)
    for args in (["plan", str(ws)], ["apply", str(ws), "--auto-approve"],
                 ["state", "list", str(ws)]):
        r = run_cli(*args, env={"CAMPAIGNCTL_STATE_DSN": dsn})
        assert r.returncode == 1, r.stdout + r.stderr
        assert "Traceback" not in r.stderr
        expected = {"refused": "cannot connect to the PostgreSQL state store at "
                               "postgresql://campaignctl@127.0.0.1:",
                    "password": "password authentication failed",
                    "invalid": "state.dsn is not a valid PostgreSQL connection string"}[case]
        assert expected in r.stderr
        for secret in (password_of(postgres_dsn), "wrong-Secret-42"):
            assert secret not in r.stdout + r.stderr


def test_a_lost_connection_mid_run_is_a_clear_error(postgres_dsn):
    store = PostgresStore(postgres_dsn)
    store.conn.close()
    with pytest.raises(StateUnavailable, match="lost the PostgreSQL state store"):
        store.bindings()


def test_a_password_written_into_campaignctl_yaml_is_refused(tmp_path, postgres_dsn):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG.replace("${CAMPAIGNCTL_STATE_DSN}", postgres_dsn),
        "senders.yaml": MANIFEST})
    r = run_cli("validate", str(ws))
    assert r.returncode == 1
    assert "campaignctl.yaml:7:" in r.stderr and "${CAMPAIGNCTL_STATE_DSN}" in r.stderr
    assert password_of(postgres_dsn) not in r.stdout + r.stderr


def test_a_role_without_create_works_in_a_schema_made_for_it(postgres_server, postgres_dsn):
    import psycopg

    role = "limited_" + postgres_dsn.rsplit("/", 1)[1]  # roles are cluster-wide
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'limited-Pass1'")
    limited = postgres_dsn.replace(f"{postgres_server.user}:{postgres_server.password}@",
                                   f"{role}:limited-Pass1@")
    with pytest.raises(StateUnavailable, match="not allowed to use .*permission denied") as e:
        PostgresStore(limited)
    assert "limited-Pass1" not in str(e.value)
    with psycopg.connect(postgres_dsn, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA campaignctl AUTHORIZATION {role}")
    store = PostgresStore(limited)
    try:
        store.put_binding(Binding("mail", "Sender", "news", "1"))
        assert [b.name for b in store.bindings()] == ["news"]
    finally:
        store.close()


def test_state_commands_on_the_postgres_backend(tmp_path, postgres_dsn):
    ws = workspace(tmp_path)
    env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn}
    assert run_cli("apply", str(ws), "--auto-approve", env=env).returncode == 0
    shown = run_cli("state", "show", "Sender/news", str(ws), env=env)
    assert shown.returncode == 0 and "account: mail\nremote id: " in shown.stdout
    forgot = run_cli("state", "rm", "Sender/news", str(ws), env=env)
    assert forgot.returncode == 0 and forgot.stdout.strip() == "forgot Sender/news"
    for args in (("show", "Sender/news"), ("rm", "Sender/news")):
        gone = run_cli("state", *args, str(ws), env=env)
        assert gone.returncode == 1 and "Sender/news is not in the state" in gone.stderr
    # The live sender is still there: the next plan binds it again by its address.
    plan = run_cli("plan", str(ws), env=env)
    assert "adopt" in plan.stdout and "Sender/news" in plan.stdout, plan.stdout


def test_the_schema_setting_is_checked_and_used(tmp_path):
    from reconciler.config import load_config

    ws = write_workspace(tmp_path / "ok", {"campaignctl.yaml": CONFIG + "  schema: team_a\n"})
    config, errors = load_config(ws, env={"CAMPAIGNCTL_STATE_DSN": "host=db"})
    assert not errors and config.state.schema_ == "team_a"
    bad = write_workspace(tmp_path / "bad", {"campaignctl.yaml":
                                             CONFIG + "  schema: Team-A; DROP\n"})
    config, errors = load_config(bad, env={"CAMPAIGNCTL_STATE_DSN": "host=db"})
    assert config is None and len(errors) == 1
    assert "campaignctl.yaml:8:" in str(errors[0]) and "schema" in str(errors[0])
