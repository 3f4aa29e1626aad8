"""The state is the memory of every send: a plan or apply with an empty, swapped, foreign or
half-migrated state is refused (exit 1, naming the lineage) and sends nothing, on SQLite and
PostgreSQL; a `state migrate` killed at any point of its run leaves the target empty or
complete, and the migrated source refuses to apply."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from conftest import EXAMPLE, run_cli
from send_helpers import ledger_counts, sms_workspace

from reconciler.state.store import SqliteStore

STATE = "state:\n  backend: postgres\n  dsn: ${CAMPAIGNCTL_STATE_DSN}\n"
TOTAL, BATCH = 3_000, 200


def delivered(sandbox_server) -> int:
    return sandbox_server.get("/_sandbox/octopush/deliveries").json()["total"]


def lineage_of(ws) -> str:
    return (ws / "campaignctl.lineage").read_text().split()[-1]


def refused(result, lineage: str) -> bool:
    return (result.returncode == 1 and lineage in result.stderr and "lineage" in result.stderr
            and "Traceback" not in result.stderr)


def test_sqlite_state_deleted_or_swapped_is_refused_and_sends_nothing(tmp_path,
                                                                      sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, TOTAL, batch_size=BATCH)
    first = run_cli("apply", str(ws), "--auto-approve")
    assert first.returncode == 0, first.stderr
    assert "campaignctl.lineage: commit it" in first.stderr
    lineage, sent = lineage_of(ws), delivered(sandbox_server)
    assert sent == TOTAL
    state = ws / ".campaignctl" / "state.db"
    kept = tmp_path / "kept.db"
    shutil.copy(state, kept)

    # The state file deleted (a clean checkout, a wiped disk): a new empty one is refused.
    for f in state.parent.glob("state.db*"):
        f.unlink()
    for command in (("plan", str(ws)), ("apply", str(ws), "--auto-approve")):
        result = run_cli(*command)
        assert refused(result, lineage), result.stdout + result.stderr
        assert "is empty" in result.stderr and "state migrate" in result.stderr
    assert delivered(sandbox_server) == sent

    # Swapped for another workspace's state (a foreign lineage): refused, naming both.
    for f in state.parent.glob("state.db*"):
        f.unlink()
    foreign = SqliteStore(state)
    other = foreign.give_lineage()
    foreign.close()
    result = run_cli("apply", str(ws), "--auto-approve")
    assert refused(result, lineage) and other in result.stderr, result.stderr
    assert delivered(sandbox_server) == sent

    # The right state back: nothing to do.
    for f in state.parent.glob("state.db*"):
        f.unlink()
    shutil.copy(kept, state)
    again = run_cli("plan", str(ws), "--detailed-exitcode")
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout + again.stderr
    shown = run_cli("state", "lineage", str(ws))
    assert shown.returncode == 0 and shown.stdout.count(lineage) == 2
    assert "the same" in shown.stdout


def test_postgres_new_database_or_other_schema_is_refused_and_sends_nothing(
        tmp_path, sandbox_server, postgres_server, postgres_dsn):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, TOTAL, batch_size=BATCH)
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text() + STATE)
    env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn}
    assert run_cli("apply", str(ws), "--auto-approve", env=env).returncode == 0
    lineage, sent = lineage_of(ws), delivered(sandbox_server)
    assert sent == TOTAL

    # The DSN secret changed to a new database.
    other_db = {"CAMPAIGNCTL_STATE_DSN": postgres_server.new_database()}
    result = run_cli("apply", str(ws), "--auto-approve", env=other_db)
    assert refused(result, lineage) and "is empty" in result.stderr, result.stderr
    # A schema-name typo.
    config.write_text(config.read_text() + "  schema: campaignctl_typo\n")
    for command in (("plan", str(ws)), ("apply", str(ws), "--auto-approve")):
        result = run_cli(*command, env=env)
        assert refused(result, lineage), result.stdout + result.stderr
        assert "campaignctl_typo" in result.stderr
    password = postgres_dsn.split(":")[2].split("@")[0]
    assert password not in result.stdout + result.stderr
    assert delivered(sandbox_server) == sent


#: Runs `campaignctl state migrate` in a process that SIGKILLs itself just before the
#: KILL_AT-th statement migrate sends to either store (0: never), and reports the count.
KILLER = """
import os, signal, sys
from reconciler.state import migrate as m
from reconciler.state.postgres import PostgresStore
from reconciler.state.store import SqliteStore
limit, seen, counting = int(os.environ["KILL_AT"]), [0], [False]
def counted(fn):
    def run(self, *args, **kw):
        if counting[0]:
            seen[0] += 1
            if seen[0] == limit:
                os.kill(os.getpid(), signal.SIGKILL)
        return fn(self, *args, **kw)
    return run
for cls in (SqliteStore, PostgresStore):
    cls.execute, cls.insert_rows = counted(cls.execute), counted(cls.insert_rows)
real = m.migrate
def migrate(*args):
    counting[0] = True
    try:
        return real(*args)
    finally:
        print("STATEMENTS", seen[0], file=sys.stderr)
m.migrate = migrate
from reconciler.cli import main
main(sys.argv[1:])
"""


def killed_migrate(ws, env: dict[str, str], kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", KILLER, "state", "migrate", str(ws)],
                          env={**os.environ, **env, "KILL_AT": str(kill_at)},
                          capture_output=True, text=True, timeout=120)


def test_a_migrate_killed_at_20_points_leaves_the_target_empty_or_complete(
        tmp_path, sandbox_server, postgres_server):
    applied = sms_workspace(tmp_path / "applied", sandbox_server.url, TOTAL, batch_size=BATCH)
    assert run_cli("apply", str(applied), "--auto-approve").returncode == 0
    lineage, sent = lineage_of(applied), delivered(sandbox_server)
    source = ledger_counts(applied)
    config = applied / "campaignctl.yaml"
    config.write_text(config.read_text() + STATE)

    def checkout(name: str):
        return shutil.copytree(applied, tmp_path / name)

    whole = killed_migrate(checkout("count"), {"CAMPAIGNCTL_STATE_DSN":
                                               postgres_server.new_database()}, 0)
    assert whole.returncode == 0, whole.stderr
    total = int(whole.stderr.split("STATEMENTS")[1].split()[0])
    assert total >= 25, total  # batches, recipients, opt-outs, meta, locks, the mark
    points = sorted({1 + round(i * (total - 1) / 19) for i in range(20)})
    assert len(points) == 20
    outcomes = {"empty": 0, "complete": 0}
    for point in points:
        ws = checkout(f"at-{point}")
        dsn = postgres_server.new_database()
        env = {"CAMPAIGNCTL_STATE_DSN": dsn}
        killed = killed_migrate(ws, env, point)
        assert killed.returncode == -9, (point, killed.stderr)
        target = ledger_counts(ws, dsn)
        assert target in ({}, source), (point, target)  # empty or complete, never half
        outcome = "complete" if target else "empty"
        outcomes[outcome] += 1
        # The CI job's plain apply, with no word from the operator.
        result = run_cli("apply", str(ws), "--auto-approve", env=env)
        if outcome == "empty":
            assert refused(result, lineage), (point, result.stdout + result.stderr)
        else:
            assert result.returncode == 0 and "No changes" in result.stdout, result.stderr
        assert delivered(sandbox_server) == sent, point
        # Running the migrate again finishes the job (or says it is done).
        done = run_cli("state", "migrate", str(ws), env=env)
        assert done.returncode == 0, (point, done.stderr)
        assert ledger_counts(ws, dsn) == source
    assert outcomes["empty"] and outcomes["complete"], outcomes

    # The migrated source refuses to apply, naming where its history went.
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace(STATE, ""))
    old = run_cli("apply", str(ws), "--auto-approve")
    assert old.returncode == 1 and "was migrated to postgresql://" in old.stderr, old.stderr
    assert lineage in old.stderr
    assert delivered(sandbox_server) == sent


def test_an_upgraded_workspace_records_its_lineage_on_the_next_apply(tmp_path,
                                                                     sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 400, batch_size=BATCH)
    # A new workspace's first plan has nothing to warn of: its first apply records it.
    first = run_cli("plan", str(ws))
    assert first.returncode == 0 and "lineage" not in first.stdout, first.stdout
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    (ws / "campaignctl.lineage").unlink()  # as a workspace applied before lineages
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 0 and "records no state lineage" in plan.stdout, plan.stdout
    assert not (ws / "campaignctl.lineage").exists()  # a plan writes nothing
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0 and "commit it" in applied.stderr
    store = SqliteStore(ws / ".campaignctl" / "state.db")
    try:
        assert lineage_of(ws) == store.get_meta("lineage")
    finally:
        store.close()
    assert "records no state lineage" not in run_cli("plan", str(ws)).stdout


def test_a_migrate_never_run_leaves_a_sqlite_state_that_stops_the_plan(
        tmp_path, sandbox_server, postgres_dsn):
    """A workspace from before lineages (no campaignctl.lineage): its SQLite state with
    history still in the workspace stops a plan against the new, empty PostgreSQL one."""
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 400, batch_size=BATCH)
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    (ws / "campaignctl.lineage").unlink()
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text() + STATE)
    env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn}
    result = run_cli("apply", str(ws), "--auto-approve", env=env)
    assert result.returncode == 1 and "never migrated" in result.stderr, result.stderr
    assert delivered(sandbox_server) == 400
    moved = run_cli("state", "migrate", str(ws), env=env)
    assert moved.returncode == 0 and "lineage" in moved.stdout, moved.stderr
    assert "campaignctl.lineage: commit it" in moved.stdout  # recorded for the workspace
    assert run_cli("plan", str(ws), "--detailed-exitcode", env=env).returncode == 0


def test_email_campaigns_live_objects_the_state_never_saw_stop_the_plan(tmp_path):
    """An upgraded workspace (no lineage recorded) whose state was swapped for an empty
    one: the email-campaigns account visibly holds campaigns, so the plan stops."""
    ws = shutil.copytree(EXAMPLE, tmp_path / "campaigns",
                         ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    assert run_cli("apply", str(ws), "--env", "staging", "--auto-approve").returncode == 0
    (ws / "campaignctl.lineage").unlink()
    for f in (ws / ".campaignctl" / "staging").glob("state.db*"):
        f.unlink()
    plan = run_cli("plan", str(ws), "--env", "staging")
    assert plan.returncode == 1, plan.stdout + plan.stderr
    assert "records nothing of mail (email-campaigns)" in plan.stderr
    assert "campaigns live at the vendor" in plan.stderr and "Traceback" not in plan.stderr
    # The explicit, reviewed way out: this state is the workspace's from now on.
    new = run_cli("state", "lineage", str(ws), "--env", "staging", "--new", "--auto-approve")
    assert new.returncode == 0 and "It forgets" in new.stdout, new.stdout + new.stderr
    assert lineage_of(ws) in new.stdout
    assert run_cli("plan", str(ws), "--env", "staging").returncode == 0
