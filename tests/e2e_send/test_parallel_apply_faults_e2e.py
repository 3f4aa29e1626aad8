"""Parallel apply under fire, end to end: the CLI with --parallelism against the sandbox over
real HTTP, an email-campaigns account (senders, groups, messages, an opt-out list and the
campaigns using them) and an Octopush account (two SMS sends from the ledger), with vendor
faults (500, 429, dropped connections, slow answers) and the apply SIGKILLed mid-apply.
Then plain applies until the plan converges.

Checked against the sandbox: no email-campaigns object exists twice; no SMS recipient
received a campaign twice, and the ledger agrees with the deliveries; once converged, a
further apply writes nothing."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

import httpx
import pytest
from conftest import EXAMPLE_EMAIL_POLICY, run_cli, sandbox_accounts
from send_helpers import TEXT, ledger_counts, sms_workspace

SMS_PATH = "/v1/public/sms-campaign/send"
SMS_RECIPIENTS = 1000
N = 4  # senders, groups and messages; 2N campaigns
EXPECTED = {"senders": N, "groups": N, "messages": N, "campaigns": 2 * N}
FOOTER = "Acme Inc., 100 Main Street, Springfield, IL 62701, USA. Unsubscribe: " \
         "https://acme.example/u"


def workspace(tmp_path, url):
    ws = sms_workspace(tmp_path / "ws", url, SMS_RECIPIENTS, batch_size=200)
    (ws / "campaignctl.yaml").write_text(
        EXAMPLE_EMAIL_POLICY + "providers:\n"
        f"  sms: {{type: octopush, base_url: '{url}', api_login: '${{TEST_LOGIN}}', "
        "api_key: '${TEST_KEY_123}'}\n"
        f"  mail: {{type: email-campaigns, base_url: '{url}', token: '${{TEST_TOKEN}}', "
        "max_concurrency: 3}\n")
    sms = (ws / "sms.yaml").read_text()
    # A second send, of another text, to the same recipients.
    second = sms[sms.index("kind: Campaign"):].replace("name: promo\n", "name: promo2\n", 1
                                                       ).replace("message: promo\n",
                                                                 "message: promo2\n")
    (ws / "sms.yaml").write_text(
        sms + "---\n" + second + "---\nkind: Message\nname: promo2\nprovider: sms\n"
        f"spec: {{channel: sms, text: \"{TEXT.replace('20%', '30%')}\"}}\n")
    docs = []
    for i in range(N):
        docs += [f"kind: Sender\nname: s{i}\nprovider: mail\n"
                 f"spec: {{email: news{i}@acme.example, description: News {i}}}\n",
                 f"kind: ContactGroup\nname: g{i}\nprovider: mail\nspec:\n  title: Group {i}\n"
                 "  contacts: [" + ", ".join(f"{{email: p{i}.{j}@example.com}}"
                                             for j in range(3)) + "]\n",
                 f"kind: Message\nname: m{i}\nprovider: mail\n"
                 f"spec: {{channel: email, subject: Hello {i}, body: 'Hi {i}. {FOOTER}'}}\n"]
    for i in range(2 * N):
        docs.append(f"kind: Campaign\nname: c{i}\nprovider: mail\nspec:\n  title: Launch {i}\n"
                    f"  message: m{i % N}\n  sender: s{i % N}\n  contact_groups: [g{i % N}]\n"
                    "  opt_out_lists: [stop]\n  send_at: 2027-03-20T09:00:00-04:00\n"
                    "  timezone: America/New_York\n")
    docs.append("kind: OptOutList\nname: stop\nprovider: mail\n"
                "spec: {entries: [gone@example.com, left@example.org]}\n")
    (ws / "mail.yaml").write_text("---\n".join(docs))
    return sandbox_accounts(ws)


def start_apply(ws, parallelism: int = 6) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(ws),
                             "--auto-approve", "--parallelism", str(parallelism)],
                            env={**os.environ, "NO_COLOR": "1", "CI": "true"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def vendor_writes(server) -> int:
    return sum(1 for e in server.get("/_sandbox/requests").json()
               if e["method"] not in ("GET", "HEAD"))


def ledger_rows(ws) -> int:
    db = sqlite3.connect(ws / ".campaignctl" / "state.db")
    try:
        return db.execute("SELECT count(*) FROM ledger_recipients").fetchone()[0]
    finally:
        db.close()


def email_objects(server) -> dict[str, Counter]:
    """Each email-campaigns listing's objects by their natural key."""
    headers = {"Authorization": f"Token {os.environ['TEST_TOKEN']}"}
    keys = {"senderid": "email", "contact": "tag", "message": "description",
            "campaign": "name"}
    out = {}
    for path, key in keys.items():
        items = httpx.get(f"{server.url}/email/{path}/", headers=headers, timeout=30).json()
        out[path] = Counter(str(item.get(key)) for item in items)
    return out


@pytest.mark.posix
@pytest.mark.slow
def test_parallel_apply_with_faults_and_a_kill_converges_without_duplicates(
        tmp_path, sandbox_server):
    ws = workspace(tmp_path, sandbox_server.url)
    rng = random.Random(29)
    slow = {"path_prefix": "/", "kind": "latency", "seconds": 0.08}
    sandbox_server.post("/_sandbox/faults", {"rules": [slow]}).raise_for_status()

    # Killed mid-apply: once the vendors took some writes, not all.
    proc = start_apply(ws)
    target, deadline = rng.randrange(8, 16), time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if vendor_writes(sandbox_server) >= target:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, proc.communicate()[1].decode()[-3000:]
    stats = sandbox_server.get("/_sandbox/email-campaigns/stats").json()
    assert sum(stats[k] for k in EXPECTED) < sum(EXPECTED.values()), "killed too late"

    # 500, 429 and dropped connections on every write (a create whose outcome is unknown
    # fails its action; what else runs finishes).
    rules = [slow] + [{"path_prefix": prefix, "method": method, "kind": kind, "probability": p}
                      for prefix in ("/email/", SMS_PATH) for method in ("POST", "PUT")
                      for kind, p in (("error_500", 0.1), ("rate_limit_429", 0.08),
                                      ("drop_before", 0.06))]
    sandbox_server.post("/_sandbox/faults", {"seed": 29, "rules": rules}).raise_for_status()
    # Each may fail (exit 1), none crashes.
    for _ in range(3):
        proc = start_apply(ws)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 1), err.decode()[-2000:]
        assert b"Traceback" not in err + out
    fired = sandbox_server.get("/_sandbox/faults").json()["fired"]
    assert sum(fired.get(k, 0) for k in ("error_500", "rate_limit_429", "drop_before")) >= 3
    httpx.delete(sandbox_server.url + "/_sandbox/faults", timeout=10)

    for _ in range(6):
        proc = start_apply(ws)
        out, err = proc.communicate(timeout=300)
        plan = run_cli("plan", str(ws), "--detailed-exitcode")
        # In sync, or nothing to change but SMS recipients of unknown outcome (a decision
        # this test never takes: they are not resent).
        if proc.returncode == 0 and (plan.returncode == 0 or "No changes." in plan.stdout):
            break
    else:
        raise AssertionError(f"no convergence:\n{err.decode()[-2000:]}\n{plan.stdout}")

    # Nothing twice: each email object once, each SMS recipient once per campaign.
    stats = sandbox_server.get("/_sandbox/email-campaigns/stats").json()
    assert {k: stats[k] for k in EXPECTED} == EXPECTED
    for path, counts in email_objects(sandbox_server).items():
        assert all(n == 1 for n in counts.values()), (path, counts)
    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["duplicates"] == [], delivered["duplicates"][:5]
    counts = ledger_counts(ws)
    sent = counts.get("sent", 0)
    unknown = counts.get("unknown", 0) + counts.get("in_flight", 0)
    assert ledger_rows(ws) == sent + unknown == 2 * SMS_RECIPIENTS  # both campaigns, all
    assert sent <= delivered["total"] <= sent + unknown

    # Converged: a further apply writes nothing.
    httpx.delete(sandbox_server.url + "/_sandbox/requests", timeout=10)
    again = run_cli("apply", str(ws), "--auto-approve", "--parallelism", "6")
    assert again.returncode == 0, again.stderr
    assert vendor_writes(sandbox_server) == 0
