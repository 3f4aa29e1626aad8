"""`campaignctl halt` / `resume` end to end, against the sandbox over real HTTP: a halt
recorded during a 100,000-recipient Connectly send stops it before its next batch (no
batch recorded after the halt leaves), the scheduled campaigns go back to draft (and the
email campaign is paused) at the sandbox, every plan refuses to send until `resume`, and
after it the rest goes out once."""

import sqlite3
import subprocess
import sys
import time

from conftest import run_cli, sandbox_accounts, write_workspace

from reconciler import api
from reconciler.state.halt import read_halt
from reconciler.state.store import SqliteStore

SEND = "/v1/businesses/acme/send/campaigns"
N = 100_000
BATCH = 1_000


def phones(n):
    return [f"+336{10000000 + i:08d}" for i in range(n)]


def workspace(root, url):
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              wa: {{type: connectly, base_url: {url}, business_id: "${{TEST_BUSINESS}}",
                    api_key: "${{TEST_KEY}}", max_concurrency: 1}}
              sched: {{type: scheduled-campaigns, base_url: {url}, api_key: "${{TEST_SCHED_KEY}}"}}
              mail: {{type: email-campaigns, base_url: {url}, token: "${{TEST_TOKEN}}"}}
            policy: {{email: {{postal_address: "Acme Inc., 1 Main St, Springfield"}}}}
            """,
        "wa.yaml": f"""
            kind: Sender
            name: num
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: all
            provider: wa
            spec: {{file: all.csv}}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: num
              contact_groups: [all]
              send_at: now
              purpose: transactional  # any hour: this test is about the halt
              connectly: {{campaign_version: "1", batch_size: {BATCH}}}
            """,
        "later.yaml": """
            kind: Campaign
            name: winter
            provider: sched
            spec:
              title: Winter
              send_at: 2031-01-15T09:00:00+01:00
              state: ready
              scheduled-campaigns: {list: 12, segments: [3, 7], domain: 4}
            ---
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example}
            ---
            kind: Message
            name: spring
            provider: mail
            spec: {channel: email, subject: Spring, body: "Hi. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
            ---
            kind: ContactGroup
            name: readers
            provider: mail
            spec: {contacts: [{email: a@example.com}]}
            ---
            kind: Campaign
            name: spring
            provider: mail
            spec:
              message: spring
              sender: news
              contact_groups: [readers]
              send_at: 2031-03-20T09:00:00-04:00
              timezone: America/New_York
              state: active
            """,
    })
    (root / "all.csv").write_text("phone\n" + "".join(f"{p}\n" for p in phones(N)))
    return sandbox_accounts(root)


def ok(r):
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def sent_batches(ws):
    db = sqlite3.connect(ws / ".campaignctl" / "state.db")
    try:
        return db.execute("SELECT created_at, recipients FROM ledger_batches "
                          "WHERE status = 'sent' ORDER BY id").fetchall()
    finally:
        db.close()


def test_halt_during_a_100000_recipient_send(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    # The scheduled and email campaigns first; then the big send, slowed by the sandbox.
    ok(run_cli("apply", str(ws), "--auto-approve", "--target", "Campaign/winter",
               "--target", "Campaign/spring"))
    sandbox_server.post("/_sandbox/faults", json={"seed": 1, "rules": [
        {"path_prefix": SEND, "kind": "latency", "seconds": 0.05}]})
    apply = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(ws),
                              "--auto-approve"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while sandbox_server.get("/_sandbox/connectly/deliveries").json()["total"] < 5 * BATCH:
        assert apply.poll() is None, apply.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)

    halted = api.halt(ws, reason="wrong audience", by="ops-lead")
    out, err = apply.communicate(timeout=240)
    assert apply.returncode == 1, out + err
    assert "stopped before this batch: sends are halted" in err + out
    assert "by ops-lead" in err + out and "reason: wrong audience" in err + out

    # No batch recorded after the halt left: the sandbox holds exactly the ledger's sends.
    sent = sent_batches(ws)
    assert sent and all(created <= halted.halt.at for created, _ in sent)
    delivered = sandbox_server.get("/_sandbox/connectly/deliveries").json()
    assert delivered["total"] == sum(n for _, n in sent) < N
    # The scheduled campaign went back to DRAFT (one documented edge per PUT), the email
    # campaign was paused, at the sandbox.
    puts = sandbox_server.get("/_sandbox/requests?method=PUT&path_prefix=/campaign").json()
    assert [dict(p["form"])["state"] for p in puts if p.get("form")][-2:] == [
        "SCHEDULED", "DRAFT"]
    lines = "\n".join(halted.lines())
    assert "stopped: Campaign/winter (sched): moved back to DRAFT (was READY)" in lines
    assert "stopped: Campaign/spring (mail): paused (was active)" in lines

    # Every plan refuses to send until resume, naming who and why.
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 1
    assert "refuse Campaign/launch" in plan.stdout and "by ops-lead" in plan.stdout
    assert "refuse Campaign/winter" in plan.stdout and "refuse Campaign/spring" in plan.stdout
    again = run_cli("apply", str(ws), "--auto-approve")
    assert again.returncode == 1
    assert sandbox_server.get("/_sandbox/connectly/deliveries").json()["total"] == \
        delivered["total"]

    resumed = run_cli("resume", str(ws))
    assert "Resumed: the halt of ops-lead" in ok(resumed)
    store = SqliteStore(ws / ".campaignctl" / "state.db")
    try:
        assert read_halt(store) is None
    finally:
        store.close()
    ok(run_cli("apply", str(ws), "--auto-approve"))
    final = sandbox_server.get("/_sandbox/connectly/deliveries").json()
    assert final["total"] == final["distinct_recipients"] == N  # the rest, once


def test_resume_without_a_halt_and_a_second_halt(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    r = run_cli("resume", str(ws))
    assert r.returncode == 1 and "nothing to resume: sends are not halted" in r.stderr
    assert "Traceback" not in r.stderr
    first = run_cli("halt", str(ws), "--reason", "storm")
    assert first.returncode == 0, first.stdout + first.stderr  # nothing waiting anywhere
    assert "No campaign was waiting at any vendor." in first.stdout
    second = run_cli("halt", str(ws), "--reason", "still")
    assert "(replaces the halt of" in second.stdout


def test_a_halt_recorded_while_a_campaign_is_being_scheduled_stops_it_again(
        tmp_path, sandbox_server, monkeypatch):
    """`halt` lands after the apply looked for one and stops what the vendor holds, just
    before the apply's own request schedules the campaign: the apply reads the halt again
    once its change is made, moves the campaign back to DRAFT and fails, saying so."""
    import threading

    from reconciler.providers.scheduled_campaigns.provider import ScheduledCampaignsProvider

    ws = workspace(tmp_path / "ws", sandbox_server.url)
    real = ScheduledCampaignsProvider.execute

    async def execute(self, action, live):
        if action.address == "Campaign/winter":  # another shell, while apply runs
            halting = threading.Thread(target=api.halt, args=(ws,),
                                       kwargs={"reason": "storm", "by": "ops-lead"})
            halting.start()
            halting.join()
        await real(self, action, live)

    monkeypatch.setattr(ScheduledCampaignsProvider, "execute", execute)
    applied = api.apply(ws, targets=["Campaign/winter"])
    [(action, error)] = applied.result.failed
    assert action.address == "Campaign/winter"
    assert "a halt was recorded while this change was made" in error
    assert "by ops-lead" in error and "stopped again: moved back to DRAFT" in error
    puts = sandbox_server.get("/_sandbox/requests?method=PUT&path_prefix=/campaign").json()
    states = [dict(p["form"])["state"] for p in puts if p.get("form")]
    assert states[-1] == "DRAFT", states  # the campaign's last word at the vendor
