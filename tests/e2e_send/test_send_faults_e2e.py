"""Never send twice, never re-subscribe, under fire: random vendor faults (latency, 500,
429, dropped connections, responses lost after the send was committed) and SIGKILL of the
CLI between and during batches, mixed with what operators do every week: `state unlock`
after a killed run, restoring an old opt-out CSV, renaming the Campaign manifest followed
by `state mv`, two applies started at once, a `state migrate` into PostgreSQL killed at a
random point of its run (then finished), and the state swapped for an empty one for a
round (then put back). Then plain applies (no --resend-unknown) until the plan converges.

Invariants checked against the sandbox's own delivery log:
- no recipient received the campaign twice;
- nobody received it after their opt-out was applied (an opt-out whose apply was killed
  before it was recorded, then dropped by a restored CSV, was never applied);
- every recipient of the audience is either recorded as sent or reported as unknown by the
  plan, and the sandbox delivered at least everyone recorded as sent and nobody outside
  sent + unknown;
- while any outcome is unknown the plan never says the live state matches.
The rounds stop early when the time budget is spent, so the test stays bounded.
"""

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from conftest import run_cli
from send_helpers import ledger_counts, phones, sms_workspace, write_csv

SMS_PATH = "/v1/public/sms-campaign/send"
START, GROWTH, BATCH = 600, 400, 200
ROUNDS, BUDGET = 10, 35.0  # seconds of rounds before converging
OPERATOR_ACTIONS = ("csv_restore", "rename", "concurrent_apply", "killed_migrate",
                    "swapped_state")
STATE = "state:\n  backend: postgres\n  dsn: ${CAMPAIGNCTL_STATE_DSN}\n"
#: where the state lives: the SQLite file until the migrate finishes, then PostgreSQL
STATE_DSN: dict[str, str | None] = {"dsn": None}


def start_apply(ws):
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(ws),
                             "--auto-approve"], env={**os.environ, "NO_COLOR": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)


def with_opt_out_list(ws):
    manifest = ws / "sms.yaml"
    manifest.write_text(manifest.read_text().replace(
        "  contact_groups: [customers]\n", "  contact_groups: [customers]\n"
        "  opt_out_lists: [stop]\n") + "---\nkind: OptOutList\nname: stop\nprovider: sms\n"
        "spec: {file: stop.csv}\n")
    write_csv(ws / "stop.csv", [])


def rename_campaign(ws, old: str, new: str) -> None:
    manifest = ws / "sms.yaml"
    manifest.write_text(manifest.read_text().replace(
        f"kind: Campaign\nname: {old}\n", f"kind: Campaign\nname: {new}\n"))


def column(path, sql: str) -> set[str]:
    """One column of a SQLite file (empty before the file exists), or of the PostgreSQL
    state once the workspace moved there."""
    if STATE_DSN["dsn"] and path.name == "state.db":
        import psycopg

        with psycopg.connect(STATE_DSN["dsn"]) as conn:
            conn.execute("SET search_path TO campaignctl")
            return {r[0] for r in conn.execute(sql)}
    if not path.is_file():
        return set()
    db = sqlite3.connect(path)
    try:
        return {r[0] for r in db.execute(sql)}
    finally:
        db.close()


def remembered(ws) -> set[str]:
    return column(ws / ".campaignctl" / "state.db", "SELECT address FROM optouts")


def holding(ws) -> set[str]:
    return column(ws / ".campaignctl" / "state.db", "SELECT recipient FROM ledger_recipients")


def kill_once_held(proc, ws, more: int, timeout: float = 60.0) -> bool:
    """SIGKILL the apply as soon as its ledger holds `more` recipients than when it started
    (0: at once; a batch's rows are written before it is sent, so most kills land between
    the write-ahead and the vendor's answer). False if it ended first."""
    target, deadline = len(holding(ws)) + more, time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if not more or len(holding(ws)) >= target:
            os.kill(proc.pid, signal.SIGKILL)
            return True
        time.sleep(0.01)
    return False


def delivered_to(sandbox_server) -> set[str]:
    return column(sandbox_server.data_dir / "octopush" / "deliveries.db",
                  "SELECT DISTINCT recipient FROM deliveries")


def swap_state(ws, tmp_path):
    """Put an empty state where the workspace's is (SQLite: the file moved away;
    PostgreSQL: a schema-name typo); returns what puts it back."""
    config = ws / "campaignctl.yaml"
    if STATE_DSN["dsn"]:
        text = config.read_text()
        config.write_text(text + "  schema: campaignctl_typo\n")
        return lambda: config.write_text(text)
    aside = tmp_path / "aside"
    aside.mkdir(exist_ok=True)
    state = ws / ".campaignctl"
    files = [f for f in state.glob("state.db*") if not f.name.endswith(".lock")]
    for f in files:
        f.rename(aside / f.name)

    def back() -> None:
        for f in state.glob("state.db*"):
            if not f.name.endswith(".lock"):
                f.unlink()
        for f in files:
            (aside / f.name).rename(f)
    return back


def killed_migrate(ws, rng) -> int:
    """`state migrate` SIGKILLed just before a random statement of its run (or, now and
    then, run to its end): its return code."""
    from test_lineage_e2e import killed_migrate as run

    return run(ws, {}, rng.randrange(0, 60)).returncode


@pytest.mark.posix
def test_random_faults_sigkill_and_operator_actions_never_send_twice(tmp_path,
                                                                     sandbox_server,
                                                                     postgres_dsn,
                                                                     monkeypatch):
    monkeypatch.setenv("CAMPAIGNCTL_STATE_DSN", postgres_dsn)
    monkeypatch.setitem(STATE_DSN, "dsn", None)
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, START, batch_size=BATCH)
    with_opt_out_list(ws)
    total, name, versions = START, "promo", [[]]
    rng = random.Random(20261202)
    fired: dict[str, int] = {}
    done = {a: 0 for a in ("unlock", "rename_refused", "lock_refused", "state_refused",
                           *OPERATOR_ACTIONS)}
    swapped = None
    kills = runs = mid_batch = rounds = 0
    ever_applied: set[str] = set()  # opt-outs some apply recorded
    resubscribed: set[str] = set()  # delivered after their opt-out was recorded: never
    began = time.monotonic()
    for round_ in range(ROUNDS):
        if time.monotonic() - began > BUDGET and rounds >= 2 + len(OPERATOR_ACTIONS):
            break
        rounds += 1
        rules = [
            {"path_prefix": SMS_PATH, "kind": "latency", "probability": 0.5, "seconds": 0.4},
            {"path_prefix": SMS_PATH, "kind": "error_500", "probability": 0.05},
            {"path_prefix": SMS_PATH, "kind": "rate_limit_429", "probability": 0.1},
            {"path_prefix": SMS_PATH, "kind": "drop_before", "probability": 0.04},
            {"path_prefix": SMS_PATH, "kind": "lose_response", "probability": 0.06},
        ]
        assert sandbox_server.post("/_sandbox/faults", {"seed": round_, "rules": rules}
                                   ).status_code == 200
        if round_:  # the group grows, and some of the newcomers opt out at once
            new = phones(GROWTH, total)
            total += GROWTH
            write_csv(ws / "customers.csv", phones(total))
            versions.append(versions[-1] + rng.sample(new, 5))
            write_csv(ws / "stop.csv", versions[-1])
        # Each operator action once (rounds 2-6), then drawn at random (a migrate once).
        action = (None if round_ < 2 else OPERATOR_ACTIONS[round_ - 2]
                  if round_ < 2 + len(OPERATOR_ACTIONS)
                  else rng.choice((None, *OPERATOR_ACTIONS[:3], "swapped_state")))
        if action == "csv_restore":  # an old opt-out CSV comes back from a backup
            write_csv(ws / "stop.csv", versions[rng.randrange(len(versions) - 1)])
        elif action == "rename":
            new_name = f"promo-{round_}"
            rename_campaign(ws, name, new_name)
            refused = run_cli("plan", str(ws))
            if "! refuse Campaign/" + new_name in refused.stdout:
                assert f"state mv Campaign/{name} Campaign/{new_name}" in refused.stdout
                done["rename_refused"] += 1
            moved = run_cli("state", "mv", f"Campaign/{name}", f"Campaign/{new_name}", str(ws))
            # Nothing to move when every earlier run was killed before its first batch.
            assert moved.returncode == 0 or (not ledger_counts(ws, STATE_DSN["dsn"]) and "is not in the state"
                                             in moved.stderr), moved.stderr
            name = new_name
        elif action == "killed_migrate":  # the CI job's apply follows, with no word
            config = ws / "campaignctl.yaml"
            config.write_text(config.read_text() + STATE)
            assert killed_migrate(ws, rng) in (0, -signal.SIGKILL)
        elif action == "swapped_state":  # a new empty state: a deleted file, a typo
            swapped = swap_state(ws, tmp_path)
        applied_before, delivered_before = remembered(ws), delivered_to(sandbox_server)
        procs = [start_apply(ws)]
        if action == "concurrent_apply":
            procs.append(start_apply(ws))
        if action:
            done[action] += 1
        runs += len(procs)
        state_action = action in ("killed_migrate", "swapped_state")
        if round_ and not state_action and rng.random() < 0.75:
            # kill it: before, between or during a batch
            # At a point of its progress (not after a delay, which a faster apply outruns).
            kills += kill_once_held(procs[0], ws, rng.randrange(0, GROWTH + 1))
        for proc in procs:
            proc.wait(120)
        codes = [p.returncode for p in procs]
        done["lock_refused"] += len(procs) == 2 and 1 in codes
        counts = ledger_counts(ws, STATE_DSN["dsn"])
        mid_batch += codes[0] == -signal.SIGKILL and "in_flight" in counts
        ever_applied |= remembered(ws)
        resubscribed |= (delivered_to(sandbox_server) - delivered_before) & applied_before
        print(f"round {round_}: {action or '-'}, rc {codes}, ledger {counts}")
        for kind, n in sandbox_server.get("/_sandbox/faults").json()["fired"].items():
            fired[kind] = fired.get(kind, 0) + n
        if state_action and codes[0] == 1:  # refused: an empty or foreign state
            done["state_refused"] += 1
            assert delivered_to(sandbox_server) == delivered_before
        if action == "killed_migrate":  # the operator finishes the move
            moved = run_cli("state", "migrate", str(ws))
            assert moved.returncode == 0, moved.stderr
            STATE_DSN["dsn"] = postgres_dsn
        if swapped is not None:
            swapped()  # the right state back
            swapped = None
        if -signal.SIGKILL in codes:
            # What an operator does after a killed run (its SQLite lock row stays behind).
            run_cli("state", "unlock", str(ws))
            done["unlock"] += 1
    httpx.delete(sandbox_server.url + "/_sandbox/faults")

    converged = False
    for _ in range(8):
        applied_before, delivered_before = remembered(ws), delivered_to(sandbox_server)
        applied = run_cli("apply", str(ws), "--auto-approve")
        resubscribed |= (delivered_to(sandbox_server) - delivered_before) & applied_before
        runs += 1
        plan = run_cli("plan", str(ws), "--detailed-exitcode")
        # In sync, or nothing to change but recipients of unknown outcome to decide on
        # (exit 2 as well: a decision is outstanding, and this test never resends).
        if plan.returncode == 0 or (plan.returncode == 2 and "No changes." in plan.stdout):
            converged = True
            break
        assert plan.returncode == 2, plan.stdout + plan.stderr + applied.stderr
    assert converged, plan.stdout
    ever_applied |= remembered(ws)

    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["duplicates"] == [], delivered["duplicates"][:5]
    assert delivered["total"] == delivered["distinct_recipients"]
    assert not resubscribed
    in_force = set(versions[-1]) | ever_applied
    counts = ledger_counts(ws, STATE_DSN["dsn"])
    sent = counts.get("sent", 0)
    unknown = counts.get("unknown", 0) + counts.get("in_flight", 0)
    held = holding(ws)
    assert len(held) == sent + unknown
    assert held | in_force == set(phones(total))  # everyone sent, unknown or opted out
    assert sent <= delivered["total"] <= sent + unknown
    if unknown:
        m = re.search(r"outcome unknown for ([\d,]+) recipient", plan.stdout)
        assert m and int(m.group(1).replace(",", "")) == unknown, plan.stdout
        assert "matches the manifests" not in plan.stdout
        assert f"outcome of {unknown:,} recipient{'' if unknown == 1 else 's'} is unknown" \
            in plan.stdout
    else:
        assert "The live state matches the manifests" in plan.stdout
    print(f"\nfault e2e: {rounds} rounds, {runs} applies ({kills} SIGKILLed, {mid_batch} of "
          f"them mid-batch), operator actions {done}, faults fired {fired}; delivered "
          f"{delivered['total']}, ledger sent {sent}, unknown {unknown}, opt-outs applied "
          f"{len(ever_applied)} (none delivered after), in {time.monotonic() - began:.0f}s")
    assert sum(fired.values()) >= 8 and kills >= 2 and fired["lose_response"] >= 1
    assert all(done[a] for a in OPERATOR_ACTIONS) and done["unlock"] >= 1
    assert done["state_refused"] >= 1
