"""An apply killed mid-send on one CI runner, then applies from other runners with nothing
of the first one's disk: with the send ledger in PostgreSQL nobody gets the SMS twice, the
killed run's lock went with its connection, and its in-flight batch is held as unknown."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import httpx
from conftest import run_cli
from send_helpers import ledger_counts, sms_workspace

from reconciler.providers.octopush.provider import FRAMES_IN_FLIGHT

SMS_PATH = "/v1/public/sms-campaign/send"
TOTAL, BATCH = 3_000, 200
STATE = "state:\n  backend: postgres\n  dsn: ${CAMPAIGNCTL_STATE_DSN}\n"


def test_a_run_killed_mid_send_never_causes_a_second_send(tmp_path, sandbox_server,
                                                          postgres_dsn):
    env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn, "CAMPAIGNCTL_REQUIRE_SHARED_STATE": "true"}
    first = sms_workspace(tmp_path / "runner-1", sandbox_server.url, TOTAL, batch_size=BATCH)
    config = first / "campaignctl.yaml"
    config.write_text(config.read_text() + STATE)

    def checkout(name: str):
        return shutil.copytree(first, tmp_path / name,
                               ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))

    # Every send is slow, so the kill lands in the middle of the campaign.
    rules = [{"path_prefix": SMS_PATH, "kind": "latency", "probability": 1.0, "seconds": 0.5}]
    assert sandbox_server.post("/_sandbox/faults", {"rules": rules}).status_code == 200
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(first),
                             "--auto-approve"], env={**os.environ, "NO_COLOR": "1", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # Kill it while a batch's request is out (recorded in flight, answer not yet back).
    while not ((c := ledger_counts(first, postgres_dsn)).get("sent", 0) >= 2 * BATCH
               and c.get("in_flight")):
        assert proc.poll() is None and time.monotonic() < deadline, "the apply ended early"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    # Octopush frames go a few at a time: every frame out when the run died is in flight.
    in_flight = ledger_counts(first, postgres_dsn)["in_flight"]
    assert in_flight % BATCH == 0 and BATCH <= in_flight <= FRAMES_IN_FLIGHT * BATCH
    httpx.delete(sandbox_server.url + "/_sandbox/faults")

    # Runner 2: no unlock, no files from runner 1; it finishes the campaign.
    second = checkout("runner-2")
    done = run_cli("apply", str(second), "--auto-approve", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    # Runner 3: nothing left to send; the batch that was in flight is reported, not resent.
    third = checkout("runner-3")
    plan = run_cli("plan", str(third), "--detailed-exitcode", env=env)
    assert plan.returncode in (0, 2), plan.stdout + plan.stderr
    again = run_cli("apply", str(third), "--auto-approve", env=env)
    assert again.returncode == 0 and "No changes" in again.stdout, again.stdout + again.stderr

    counts = ledger_counts(first, postgres_dsn)
    sent, unknown = counts.get("sent", 0), counts.get("unknown", 0)
    assert sent + unknown == TOTAL and "in_flight" not in counts
    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["duplicates"] == []
    assert delivered["total"] == delivered["distinct_recipients"]
    assert sent <= delivered["total"] <= sent + unknown
    # Nothing changes, but recipients of unknown outcome are a decision to take: exit 2.
    assert plan.returncode == (2 if unknown else 0), plan.stdout
    if unknown:
        m = re.search(r"outcome unknown for (\d+) recipient", plan.stdout)
        assert m and int(m.group(1)) == unknown, plan.stdout
