"""Issue 3 end to end: the real CLI against the email-campaigns emulator over HTTP on
127.0.0.1. Each test asserts what the user sees and what the vendor API received (the
sandbox's request journal and object counts)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLE_EMAIL_POLICY, run_cli, sandbox_accounts

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "e2e-t0ken-d0-not-print"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


EMAIL_FILES = ("campaigns.yaml", "groups.yaml", "messages.yaml", "optouts.yaml",
               "senders.yaml", "subscribers.csv")


def make_workspace(tmp_path: Path, server) -> Path:
    """The example workspace's email-campaigns part, pointed at the served sandbox."""
    ws = tmp_path / "ws"
    ws.mkdir()
    for name in EMAIL_FILES:
        shutil.copy(ROOT / "campaigns" / name, ws / name)
    (ws / "campaignctl.yaml").write_text(
        # the example's postal address, which its messages show (the pack's email rules);
        # first, so that a test may add accounts at the end
        EXAMPLE_EMAIL_POLICY + "providers:\n  mail:\n    type: email-campaigns\n"
        f"    base_url: {server.url}\n    token: ${{MAIL_TOKEN}}\n")
    return sandbox_accounts(ws, {"MAIL_TOKEN": TOKEN})


def make_full_example(tmp_path: Path, server) -> Path:
    """The whole example workspace; its production environment's accounts at the served
    sandbox (URLs written in, credentials from ${MAIL_TOKEN})."""
    ws = tmp_path / "example"
    shutil.copytree(ROOT / "campaigns", ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    config = ws / "campaignctl.yaml"
    text = re.sub(r"\$\{[A-Z]+_API_URL\}", server.url, config.read_text())
    text = re.sub(r"\$\{(MAIL_API_TOKEN|[A-Z]+_API_KEY|OCTOPUSH_API_LOGIN)\}", "${MAIL_TOKEN}",
                  text).replace("${CONNECTLY_BUSINESS_ID}", "${TEST_BUSINESS_E2E}")
    config.write_text(text)
    return sandbox_accounts(ws, {"MAIL_TOKEN": TOKEN}, "production")


def cli(*args: str) -> subprocess.CompletedProcess:
    result = run_cli(*args, env={"MAIL_TOKEN": TOKEN})
    assert "Traceback" not in result.stderr, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return result


def apply(ws: Path, environment: str | None = None) -> subprocess.CompletedProcess:
    result = cli("apply", "--auto-approve", str(ws), *(["--env", environment] if environment
                                                      else []))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def journal(server) -> list[dict]:
    return [e for e in server.get("/_sandbox/requests").json() if e["path"].startswith("/email/")]


def writes(server) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in journal(server) if e["method"] in WRITES]


def clear_journal(server) -> None:
    httpx.delete(server.url + "/_sandbox/requests", timeout=10)


def stats(server) -> dict[str, int]:
    return server.get("/_sandbox/email-campaigns/stats").json()


def api(server, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, server.url + path, headers={"Authorization": f"Token {TOKEN}"},
                         timeout=30, **kw)


EXPECTED = {"senders": 1, "groups": 2, "messages": 1, "campaigns": 1, "optouts": 2}


def assert_example_objects(server) -> None:
    counts = stats(server)
    assert {k: counts[k] for k in EXPECTED} == EXPECTED
    assert counts["contacts"] == 5 + 3


def test_plan_apply_plan_converges_and_second_apply_writes_nothing(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    first = cli("plan", "--detailed-exitcode", str(ws))
    assert first.returncode == 2
    assert "+ create Campaign/spring-sale (mail)" in first.stdout
    assert "Plan: 5 to create, 1 to update." in first.stdout
    assert "ann@example.com" not in first.stdout  # contacts are counts, not addresses
    plan_calls = journal(sandbox_server)
    assert plan_calls and all(e["method"] == "GET" for e in plan_calls)

    clear_journal(sandbox_server)
    result = apply(ws)
    assert "Apply: 6 done, 0 failed, 0 skipped" in result.stdout
    assert_example_objects(sandbox_server)
    apply_writes = writes(sandbox_server)
    # 4 creates + 2 bulk contact uploads + 1 opt-out bulk add + 1 campaign create
    assert len(apply_writes) == 8, apply_writes
    assert ("POST", "/email/optout/bulk/add/") in apply_writes

    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0, again.stdout
    assert "No changes." in again.stdout

    clear_journal(sandbox_server)
    second = apply(ws)
    assert "No changes." in second.stdout
    assert writes(sandbox_server) == []
    assert_example_objects(sandbox_server)


@pytest.mark.slow
def test_whole_example_workspace_converges_on_every_provider(tmp_path, sandbox_server):
    ws = make_full_example(tmp_path, sandbox_server)
    assert cli("plan", "--env", "production", "--detailed-exitcode", str(ws)).returncode == 2
    apply(ws, "production")
    again = cli("plan", "--env", "production", "--detailed-exitcode", str(ws))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout
    httpx.delete(sandbox_server.url + "/_sandbox/requests", timeout=10)
    apply(ws, "production")
    every_write = [(e["method"], e["path"]) for e in sandbox_server.get("/_sandbox/requests").json()
                   if e["method"] in WRITES]
    assert every_write == []


def _big_group(ws: Path, emails: list[str]) -> None:
    (ws / "subscribers.csv").write_text(
        "email,first_name,last_name\n" + "".join(f"{e},F,L\n" for e in emails))


@pytest.mark.slow
def test_contacts_delta_plans_as_counts_and_applies_in_two_calls(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    emails = [f"user{i}@example.com" for i in range(10_000)]
    _big_group(ws, emails)
    apply(ws)
    assert stats(sandbox_server)["contacts"] == 10_000 + 3

    new = emails[2:] + ["new1@example.com", "new2@example.com", "new3@example.com"]
    _big_group(ws, new)
    plan = cli("plan", str(ws))
    group_lines = plan.stdout.split("ContactGroup/newsletter-subscribers", 1)[1].splitlines()
    assert "contacts: +3 -2 -> 10001 total" in group_lines[1]
    assert "@example.com" not in plan.stdout
    assert "Plan: 1 to update." in plan.stdout

    clear_journal(sandbox_server)
    apply(ws)
    assert len(writes(sandbox_server)) <= 2, writes(sandbox_server)
    assert all("/email/contact/bulk/" in p for _, p in writes(sandbox_server))
    assert stats(sandbox_server)["contacts"] == 10_001 + 3
    assert "No changes." in cli("plan", str(ws)).stdout


@pytest.mark.slow
def test_message_text_change_is_one_put_and_group_rename_is_one_put(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    apply(ws)
    messages = ws / "messages.yaml"
    messages.write_text(messages.read_text().replace("20% off", "30% off"))
    plan = cli("plan", str(ws))
    assert "~ update Message/spring-sale-email" in plan.stdout
    assert "Plan: 1 to update." in plan.stdout
    clear_journal(sandbox_server)
    apply(ws)
    assert [m for m, _ in writes(sandbox_server)] == ["PUT"]
    assert writes(sandbox_server)[0][1] == "/email/message/"  # the journal drops ?_id=

    groups = ws / "groups.yaml"
    groups.write_text(groups.read_text().replace("title: VIP customers", "title: Best customers"))
    plan = cli("plan", str(ws))
    assert "title: 'VIP customers' -> 'Best customers'" in plan.stdout  # the manifest's name
    clear_journal(sandbox_server)
    apply(ws)
    assert [m for m, _ in writes(sandbox_server)] == ["PUT"]
    assert writes(sandbox_server)[0][1] == "/email/contact/"
    assert "No changes." in cli("plan", str(ws)).stdout


def test_lost_response_on_group_create_is_read_back_not_repeated(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/email/contact/", "method": "POST", "kind": "lose_response",
         "times": 1}]})
    result = apply(ws)
    assert "Apply: 6 done, 0 failed" in result.stdout
    assert sandbox_server.get("/_sandbox/faults").json()["fired"]["lose_response"] == 1
    # One POST per group: the one whose answer was lost was read back, not sent again.
    assert writes(sandbox_server).count(("POST", "/email/contact/")) == 2
    assert_example_objects(sandbox_server)
    assert "No changes." in cli("plan", str(ws)).stdout


def start_slow_apply(ws: Path, server, seconds: float = 0.4) -> subprocess.Popen:
    """`campaignctl apply` in a subprocess against a slow vendor; returns once it has begun
    writing (so it holds the lock and is mid-apply)."""
    server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/email/", "method": "POST", "kind": "latency", "seconds": seconds},
        {"path_prefix": "/email/", "method": "PUT", "kind": "latency", "seconds": seconds}]})
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", str(ws)],
        env={**os.environ, "MAIL_TOKEN": TOKEN, "NO_COLOR": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not writes(server):
        time.sleep(0.05)
    return proc


def deliveries(server) -> list[str]:
    """Every address the email-campaigns emulator delivered a campaign to, once per send."""
    start = datetime(2027, 3, 20, 13, 0, tzinfo=UTC).timestamp()
    now = server.get("/_sandbox/clock").json()["timestamp"]
    if now < start + 60:
        server.post("/_sandbox/clock", {"advance_seconds": start + 60 - now})
    results = api(server, "GET", "/email/result/filter/?start_date=2027-01-01&"
                                 "end_date=2027-12-31").json()
    return [r["email_to"] for r in results if r["disposition"] == "delivered"]


@pytest.mark.posix
@pytest.mark.slow
def test_a_killed_apply_leaves_nothing_to_unlock_and_converges_without_duplicates(
        tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    proc = start_slow_apply(ws, sandbox_server)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    httpx.delete(sandbox_server.url + "/_sandbox/faults", timeout=10)
    partial = stats(sandbox_server)
    assert sum(partial[k] for k in EXPECTED) < sum(EXPECTED.values()), "kill came too late"

    # The lock died with the process: a plain apply proceeds, no `state unlock`.
    shown = cli("state", "unlock", str(ws))
    assert f"pid {proc.pid}" in shown.stdout and "gone" in shown.stdout, shown.stdout
    apply(ws)
    assert_example_objects(sandbox_server)
    assert "No changes." in cli("plan", str(ws)).stdout
    sent = deliveries(sandbox_server)
    assert sent and len(sent) == len(set(sent))


@pytest.mark.posix
@pytest.mark.slow
def test_unlock_refuses_a_live_apply_so_a_second_one_never_runs_beside_it(
        tmp_path, sandbox_server):
    """The reported double send: start an apply, unlock while it runs, apply again."""
    ws = make_workspace(tmp_path, sandbox_server)
    first = start_slow_apply(ws, sandbox_server)
    first.send_signal(signal.SIGSTOP)  # mid-apply, holding the lock, for as long as we need
    try:
        second = cli("apply", "--auto-approve", str(ws))
        assert second.returncode == 1
        assert "locked by" in second.stderr and f"pid {first.pid}" in second.stderr
        lock_id = re.search(r"lock ID ([0-9a-f]{16})", second.stderr).group(1)
        for args in (("state", "unlock", lock_id, str(ws)), ("state", "unlock", str(ws))):
            refused = cli(*args)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            assert f"pid {first.pid}" in refused.stdout + refused.stderr
            assert "alive" in refused.stdout + refused.stderr
        third = cli("apply", "--auto-approve", str(ws))  # the lock is still held
        assert third.returncode == 1 and lock_id in third.stderr
    finally:
        first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out.decode() + err.decode()
    httpx.delete(sandbox_server.url + "/_sandbox/faults", timeout=10)

    assert "No changes." in cli("plan", str(ws)).stdout
    live = [c for c in api(sandbox_server, "GET", "/email/campaign/").json()
            if c["status"] == "active"]
    assert len(live) == 1  # one live campaign, not two copies
    sent = deliveries(sandbox_server)
    assert len(sent) == len(set(sent)) == 5  # every subscriber once, nobody twice


@pytest.mark.slow
def test_live_opt_outs_are_kept_and_removed_only_by_opt_in(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    apply(ws)
    for email in ("walked.away@example.com", "Former.Customer@example.com"):
        assert api(sandbox_server, "POST", "/email/optout/", json={"email": email}).status_code \
            in (200, 201) or email.startswith("Former")
    optouts = ws / "optouts.yaml"
    optouts.write_text(optouts.read_text() + "    - late.comer@example.com\n")
    plan = cli("plan", str(ws))
    assert "~ update OptOutList/unsubscribed" in plan.stdout
    assert "opt-outs: +1 -0" in plan.stdout
    assert "1 opt-out recorded live is not in the manifest and stays" in plan.stdout
    apply(ws)
    emails = {o["email"].lower() for o in api(sandbox_server, "GET", "/email/optout/").json()}
    assert {"walked.away@example.com", "late.comer@example.com"} <= emails

    # Dropping an entry from the manifest never re-subscribes anyone...
    optouts.write_text(optouts.read_text().replace("    - no-thanks@example.org\n", ""))
    assert "No changes." in cli("plan", str(ws)).stdout
    # ...only an explicit, reviewed opt_in does.
    optouts.write_text(optouts.read_text() + "  opt_in:\n    - walked.away@example.com\n")
    plan = cli("plan", str(ws))
    assert "opt-outs: +0 -1" in plan.stdout and "cannot be undone" in plan.stdout
    # no-thanks stays; walked.away, opted in now, is not counted among those kept
    assert "1 opt-out recorded live is not in the manifest and stays" in plan.stdout
    clear_journal(sandbox_server)
    apply(ws)
    assert writes(sandbox_server) == [("POST", "/email/optout/bulk/delete/")]
    emails = {o["email"].lower() for o in api(sandbox_server, "GET", "/email/optout/").json()}
    assert "walked.away@example.com" not in emails and "no-thanks@example.org" in emails


def test_started_campaign_is_frozen(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    apply(ws)
    # Move the vendor's clock past the start: the emulator sends and completes it.
    start = "2027-03-20T13:00:00+00:00"
    now = sandbox_server.get("/_sandbox/clock").json()["timestamp"]
    sandbox_server.post("/_sandbox/clock", {
        "advance_seconds": datetime.fromisoformat(start).timestamp() - now + 3600})
    campaigns = ws / "campaigns.yaml"
    campaigns.write_text(campaigns.read_text().replace("Spring sale 2027", "Spring sale!"))
    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert "! refuse Campaign/spring-sale" in plan.stdout
    assert "a launched campaign is frozen" in plan.stdout
    assert plan.returncode == 1  # a refusal fails the plan, never 0 or 2
    clear_journal(sandbox_server)
    refused = cli("apply", "--auto-approve", str(ws))
    assert refused.returncode == 1
    assert refused.stdout.strip().splitlines()[-1].startswith("Refused: 1 action")
    assert writes(sandbox_server) == []
    assert stats(sandbox_server)["campaigns"] == 1


def test_a_completed_campaign_left_as_active_in_its_manifest_plans_no_changes(
        tmp_path, sandbox_server):
    """`state: active` asks for the send; once the vendor has sent it ("completed") that
    is met: the next plan has nothing to do and exits 0, not a refusal on every run."""
    ws = make_workspace(tmp_path, sandbox_server)
    apply(ws)
    assert deliveries(sandbox_server)  # moves the vendor's clock past the start: sent
    statuses = [c["status"] for c in api(sandbox_server, "GET", "/email/campaign/").json()]
    assert statuses == ["completed"]
    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 0, plan.stdout
    assert "No changes." in plan.stdout and "refuse" not in plan.stdout


def test_case_whitespace_and_time_zone_spelling_never_diff(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    apply(ws)
    senders = ws / "senders.yaml"
    senders.write_text(senders.read_text().replace("news@acme.example", "  NEWS@Acme.Example "))
    campaigns = ws / "campaigns.yaml"
    # The same instant written in UTC instead of New York's offset.
    campaigns.write_text(campaigns.read_text().replace("2027-03-20T09:00:00-04:00",
                                                       "2027-03-20T13:00:00Z"))
    csv = ws / "subscribers.csv"
    csv.write_text(csv.read_text().replace("ann@example.com", " ANN@Example.com "))
    optouts = ws / "optouts.yaml"
    optouts.write_text(optouts.read_text().replace("former.customer@", "Former.Customer@"))
    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 0, plan.stdout
    assert "No changes." in plan.stdout


@pytest.mark.parametrize("fault", ["error_500", "rate_limit_429"])
def test_transient_errors_on_reads_are_retried(tmp_path, sandbox_server, fault):
    ws = make_workspace(tmp_path, sandbox_server)
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/email/senderid/", "method": "GET", "kind": fault, "times": 1}]})
    plan = cli("plan", str(ws))
    assert plan.returncode == 0, plan.stderr
    assert "Plan: 5 to create, 1 to update." in plan.stdout


def test_removing_a_scheduled_campaign_is_marked_irreversible_and_needs_force(
        tmp_path, sandbox_server):
    """Below min_existing no % threshold applies, but cancelling a campaign scheduled to
    send cannot be undone: every format marks it and apply stops without --force."""
    ws = make_workspace(tmp_path, sandbox_server)
    apply(ws)
    (ws / "campaigns.yaml").unlink()
    text = cli("plan", "--detailed-exitcode", str(ws))
    assert text.returncode == 2, text.stdout + text.stderr
    assert "- delete Campaign/spring-sale (mail)" in text.stdout
    assert "cancelled, for good (it is scheduled to send)" in text.stdout
    assert "    ! cannot be undone" in text.stdout
    assert "Irreversible: Campaign/spring-sale" in text.stdout
    assert "safety.max_cancel_scheduled is 0" in text.stdout
    doc = json.loads(cli("plan", "--format", "json", str(ws)).stdout)
    [action] = [a for a in doc["actions"] if a["address"] == "Campaign/spring-sale"]
    assert action["irreversible"] and action["cancels_send"]
    assert doc["summary"]["irreversible"] == 1 and doc["safety"]
    md = cli("plan", "--format", "markdown", str(ws)).stdout
    assert ":warning: **Cannot be undone:** `Campaign/spring-sale`" in md
    assert "cancelled, for good (it is scheduled to send) :warning: **cannot be undone**" in md

    clear_journal(sandbox_server)
    stopped = cli("apply", "--auto-approve", str(ws))
    assert stopped.returncode == 1 and "max_cancel_scheduled" in stopped.stderr
    assert writes(sandbox_server) == []
    cli("apply", "--auto-approve", "--force", str(ws))
    statuses = [c["status"] for c in api(sandbox_server, "GET", "/email/campaign/").json()]
    assert statuses == ["cancelled"]
    assert "No changes." in cli("plan", str(ws)).stdout
