"""Never send twice, under fire: random vendor faults (latency, 500, 429, dropped
connections, responses lost after the send was committed) and SIGKILL of the CLI between
and during batches, then plain applies (no --resend-unknown) until the plan converges.

Invariants checked against the sandbox's own delivery log:
- no recipient received the campaign twice;
- every recipient is either recorded as sent or reported as unknown by the plan, and the
  sandbox delivered at least everyone recorded as sent and nobody outside sent + unknown.
"""

import os
import random
import re
import signal
import subprocess
import sys
import time

import httpx
from conftest import run_cli
from send_helpers import ledger_counts, phones, sms_workspace, write_csv

SMS_PATH = "/v1/public/sms-campaign/send"
START, GROWTH, BATCH = 1_000, 800, 200
ROUNDS = 10


def start_apply(ws):
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(ws),
                             "--auto-approve"], env={**os.environ, "NO_COLOR": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)


def test_random_faults_and_sigkill_never_send_twice(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, START, batch_size=BATCH)
    total = START
    rng = random.Random(20261123)
    fired: dict[str, int] = {}
    kills = runs = mid_batch = 0
    for round_ in range(ROUNDS):
        rules = [
            {"path_prefix": SMS_PATH, "kind": "latency", "probability": 0.5, "seconds": 0.4},
            {"path_prefix": SMS_PATH, "kind": "error_500", "probability": 0.05},
            {"path_prefix": SMS_PATH, "kind": "rate_limit_429", "probability": 0.1},
            {"path_prefix": SMS_PATH, "kind": "drop_before", "probability": 0.04},
            {"path_prefix": SMS_PATH, "kind": "lose_response", "probability": 0.06},
        ]
        assert sandbox_server.post("/_sandbox/faults", {"seed": round_, "rules": rules}
                                   ).status_code == 200
        if round_:  # the group grows: every round has new batches to send
            total += GROWTH
            write_csv(ws / "customers.csv", phones(total))
        proc = start_apply(ws)
        runs += 1
        if rng.random() < 0.6:  # kill it: before, between or during a batch
            time.sleep(rng.uniform(1.8, 4.5))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
        proc.wait(120)
        counts = ledger_counts(ws)
        mid_batch += proc.returncode == -signal.SIGKILL and "in_flight" in counts
        print(f"round {round_}: rc {proc.returncode}, ledger {counts}")
        for kind, n in sandbox_server.get("/_sandbox/faults").json()["fired"].items():
            fired[kind] = fired.get(kind, 0) + n
        run_cli("state", "unlock", str(ws))  # what an operator does after a killed run
    httpx.delete(sandbox_server.url + "/_sandbox/faults")

    converged = False
    for _ in range(8):
        done = run_cli("apply", str(ws), "--auto-approve")
        runs += 1
        plan = run_cli("plan", str(ws), "--detailed-exitcode")
        if plan.returncode == 0:
            converged = True
            break
        assert plan.returncode == 2, plan.stdout + plan.stderr + done.stderr
    assert converged, plan.stdout

    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["duplicates"] == [], delivered["duplicates"][:5]
    assert delivered["total"] == delivered["distinct_recipients"]
    counts = ledger_counts(ws)
    sent = counts.get("sent", 0)
    unknown = counts.get("unknown", 0) + counts.get("in_flight", 0)
    assert sent + unknown == total
    assert sent <= delivered["total"] <= sent + unknown
    if unknown:
        m = re.search(r"outcome unknown for (\d+) recipient", plan.stdout)
        assert m and int(m.group(1)) == unknown, plan.stdout
    print(f"\nfault e2e: {runs} applies ({kills} SIGKILLed, {mid_batch} of them mid-batch), faults fired {fired}; "
          f"delivered {delivered['total']}, ledger sent {sent}, unknown {unknown}")
    assert sum(fired.values()) >= 8 and kills >= 3 and fired["lose_response"] >= 1
