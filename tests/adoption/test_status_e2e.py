"""After a launch, over real HTTP: the example workspace is sent, the sandbox clock moves,
and `campaignctl status` shows for each campaign what the sandbox delivered (its own
delivery log, the email results API, the callbacks it made). A batch whose response was
lost is listed by `state ledger unknown`, settled, and never resent."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from conftest import free_port, run_cli, sandbox_accounts

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "st4tus-t0ken"
LIST_EMAILS = ["a@example.com", "b@example.com", "c@example.com"]


def example(tmp_path: Path, url: str, callback: str) -> Path:
    ws = tmp_path / "example"
    shutil.copytree(ROOT / "campaigns", ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    # Its production environment, every account at the served sandbox.
    config = ws / "campaignctl.yaml"
    text = re.sub(r"\$\{[A-Z]+_API_URL\}", url, config.read_text())
    text = re.sub(r"\$\{(MAIL_API_TOKEN|[A-Z]+_API_KEY|OCTOPUSH_API_LOGIN)\}", "${TOK}", text)
    config.write_text(text.replace("${CONNECTLY_BUSINESS_ID}", "${TEST_BUSINESS_E2E}"))
    sched = (ws / "scheduled.yaml").read_text()
    sched = sched.replace("state: scheduled", "state: ready").replace(
        "https://hooks.example.com/campaign-events?team=crm", callback)
    (ws / "scheduled.yaml").write_text(sched)
    return sandbox_accounts(ws, {"TOK": TOKEN}, "production")


def ok(result) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Traceback" not in out and TOKEN not in out
    return out


def serve_callbacks(ws: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "callbacks", "serve", str(ws),
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return proc
        except httpx.TransportError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.1)
    raise RuntimeError("callbacks receiver did not start")


def test_status_after_launch_shows_what_the_sandbox_delivered(tmp_path, sandbox_server,
                                                               monkeypatch):
    monkeypatch.setenv("TOK", TOKEN)
    monkeypatch.setenv("CAMPAIGNCTL_ENV", "production")
    port = free_port()
    ws = example(tmp_path, sandbox_server.url,
                 f"http://127.0.0.1:{port}/sched/winter-newsletter?team=crm")
    assert sandbox_server.post("/_sandbox/scheduled-campaigns/lists/12", {
        "emails": LIST_EMAILS, "bounce": ["c@example.com"]}).status_code == 200
    receiver = serve_callbacks(ws, port)
    try:
        ok(run_cli("apply", str(ws), "--auto-approve"))
        before = json.loads(ok(run_cli("status", str(ws), "--format", "json")))
        states = {c["name"]: c["state"] for c in before["campaigns"]}
        # Handed over for a later time: scheduled, never "sent" (which reads as delivered).
        assert states == {"spring-sale": "active", "winter-newsletter": "READY",
                          "spring-sale-sms": "scheduled", "spring-sale-whatsapp": "scheduled",
                          # the for_each campaign in three locales (locales.yaml)
                          "spring-sale-en": "active", "spring-sale-es": "active",
                          "spring-sale-fr": "active"}
        phases = {c["name"]: c["delivery"] for c in before["campaigns"]}
        assert phases["spring-sale-sms"] == "scheduled for 2027-03-20 10:00 Europe/Paris"
        assert phases["winter-newsletter"].startswith("scheduled for 2030-01-15 ")
        assert phases["spring-sale"] == "scheduled for 2027-03-20 09:00 America/New_York"
        assert all(c["delivered"] in (None, 0) for c in before["campaigns"])
        # past every send time (the last: 2030-01-15 08:00 UTC, DONE 60 s later)
        end = datetime(2030, 1, 15, 8, 5, tzinfo=UTC).timestamp()
        now = sandbox_server.get("/_sandbox/clock").json()["timestamp"]
        moved = sandbox_server.post("/_sandbox/clock", {"advance_seconds": end - now})
        assert moved.status_code == 200, moved.text
        calls = sandbox_server.get("/_sandbox/scheduled-campaigns/callbacks").json()
        assert [(c["event"], len(c["emails"]), c["delivered"]) for c in calls["callbacks"]] == [  # noqa: E501
            ("submitted", 3, True), ("delivered", 2, True), ("bounced", 1, True)], json.dumps(calls)
        assert [
            ("submitted", 3, True), ("delivered", 2, True), ("bounced", 1, True)]

        out = json.loads(ok(run_cli("status", str(ws), "--format", "json")))
    finally:
        receiver.terminate()
        receiver.wait(10)
    got = {c["name"]: c for c in out["campaigns"]}
    assert out["format_version"] == 1 and len(got) == 7

    for vendor, name in (("octopush", "spring-sale-sms"), ("connectly", "spring-sale-whatsapp")):
        log = sandbox_server.get(f"/_sandbox/{vendor}/deliveries").json()
        assert log["duplicates"] == []
        c = got[name]
        assert c["sent"] == log["distinct_recipients"] == c["planned"] == 3, (c, log)
        # The sandbox's clock moved, campaignctl's did not: by its clock the send time is
        # still ahead, and these APIs report no delivery to say otherwise.
        assert (c["rejected"], c["unknown"], c["state"]) == (0, 0, "scheduled")
        assert c["delivered"] is None and c["delivery"].startswith("scheduled for 2027-03-20")
    assert got["spring-sale-sms"]["cost"] > 0 and got["spring-sale-sms"]["currency"] == "EUR"

    mail = got["spring-sale"]
    results = httpx.get(f"{sandbox_server.url}/email/result/filter/", timeout=30, params={
        "start_date": "2027-03-19", "end_date": "2030-01-16", "campaign_id": mail["remote_id"]},
        headers={"Authorization": f"Token {TOKEN}"}).json()
    dispositions = Counter(r["disposition"] for r in results)
    assert mail["state"] == "completed" and mail["results"] == dict(dispositions)
    assert mail["sent"] == dispositions["delivered"] == mail["planned"] == 5
    assert (mail["delivered"], mail["delivery"]) == (5, "delivered to 5")

    sched = got["winter-newsletter"]
    assert sched["state"] == "DONE"
    assert sched["results"] == {"submitted": 3, "delivered": 2, "bounced": 1}
    assert (sched["sent"], sched["rejected"]) == (3, 1)
    assert (sched["delivered"], sched["delivery"]) == (2, "delivered to 2")  # its callbacks

    text = ok(run_cli("status", str(ws)))
    assert "a@example.com" not in text  # counts only
    line = next(ln for ln in text.splitlines() if ln.startswith("Campaign/winter-newsletter"))
    assert "DONE" in line and "submitted 3, delivered 2, bounced 1" in line
    md = ok(run_cli("status", str(ws), "--format", "markdown"))
    assert md.startswith("| campaign | provider |") and "| Campaign/spring-sale |" in md
    one = ok(run_cli("status", str(ws), "--target", "Campaign/winter-newsletter",
                     "--show-contacts"))
    assert "c@example.com  bounced" in one and "event delivered" in one
    refused = run_cli("status", str(ws), "--show-contacts")
    assert refused.returncode == 1 and "--target" in refused.stderr
