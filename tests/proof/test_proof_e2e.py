"""`campaignctl proof Campaign/NAME`: the campaign's exact content, now, to its proof group
only (counted at the sandbox), listed by status as a proof, shown in the plan of the real
send, required by `lifecycle.require_proof`; the real apply afterwards sends every real
recipient exactly once (a proof recipient in the audience too, once more)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import run_cli, sandbox_accounts, write_workspace

HERE = Path(__file__).parent.parent
sys.path[:0] = [str(HERE / "e2e_send"), str(HERE / "connectly")]
from send_helpers import phones, sms_workspace  # noqa: E402
from test_connectly_provider import phones as wa_phones  # noqa: E402
from test_connectly_provider import workspace as wa_workspace  # noqa: E402

SMS = "/v1/public/sms-campaign/send"


def _with_team(ws: Path, manifest: str, provider: str, team: list[str],
               campaign_extra: str = "") -> None:
    """A proof group `team` (inline) and the Campaign's `proof: {group: team}`."""
    path = ws / manifest
    text = path.read_text()
    contacts = ", ".join(f'{{phone: "{p}"}}' for p in team)
    text = text.replace("spec:\n  message: promo\n",
                        f"{campaign_extra}spec:\n  proof: {{group: team}}\n  message: promo\n")
    text = text.replace("spec:\n  sender: num\n",
                        f"{campaign_extra}spec:\n  proof: {{group: team}}\n  sender: num\n")
    assert "proof: {group: team}" in text
    path.write_text(text + f"---\nkind: ContactGroup\nname: team\nprovider: {provider}\n"
                           f"spec: {{contacts: [{contacts}]}}\n")


def _summary(server, vendor: str) -> dict:
    return server.get(f"/_sandbox/{vendor}/deliveries").json()


def test_octopush_proof_reaches_only_the_group_and_the_real_send_goes_once(
        tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 20)
    audience = phones(20)
    team = [audience[3], "+33699000001", "+33699000002"]  # one of them is in the audience
    _with_team(ws, "sms.yaml", "sms", team, "lifecycle: {require_proof: true}\n")
    assert run_cli("validate", str(ws)).returncode == 0

    plan = run_cli("plan", str(ws))
    assert plan.returncode == 1
    assert "lifecycle.require_proof: no proof of this exact content was sent yet" in plan.stdout

    sent = run_cli("proof", "Campaign/promo", str(ws))
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sent.stdout.strip().startswith(
        "proof of Campaign/promo sent to 3 recipients of ContactGroup/team (account sms)")
    got = _summary(sandbox_server, "octopush")
    assert got["total"] == got["distinct_recipients"] == 3  # the proof group only

    status = run_cli("status", str(ws))
    assert status.returncode == 0, status.stderr
    rows = [line for line in status.stdout.splitlines() if line.startswith("Campaign/promo ")]
    assert len(rows) == 2 and "  not sent  " in rows[0], status.stdout
    # the proof row: 3 handed over, 0 rejected
    assert "  proof  " in rows[1] and rows[1].split()[7:9] == ["3", "0"], status.stdout
    assert "promo#proof batch" in status.stdout and "to ContactGroup/team" in status.stdout

    plan = run_cli("plan", str(ws))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "recipients: 20 in 1 batch" in plan.stdout  # the proof counts as no real send
    assert "proof of this content: last sent " in plan.stdout
    assert "to 3 recipients (ContactGroup/team)" in plan.stdout

    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    got = _summary(sandbox_server, "octopush")
    assert got["total"] == 23 and got["distinct_recipients"] == 22
    # the team member in the audience: the proof, then the real send, once
    assert [(d["recipient"], d["count"]) for d in got["duplicates"]] == [(audience[3], 2)]
    assert "No changes" in run_cli("plan", str(ws)).stdout

    # A changed text is a new content: its proof is missing again.
    manifest = ws / "sms.yaml"
    manifest.write_text(manifest.read_text().replace("this weekend", "this week"))
    again = run_cli("plan", str(ws))
    assert "content changed after" in again.stdout or "require_proof" in again.stdout


def test_connectly_proof_and_a_group_over_50(tmp_path, sandbox_server):
    ws = wa_workspace(tmp_path / "ws", sandbox_server.url, 10)
    audience = wa_phones(10)
    team = [audience[2], "+14155559001"]
    _with_team(ws, "wa.yaml", "wa", team)
    sent = run_cli("proof", "Campaign/launch", str(ws))
    assert sent.returncode == 0, sent.stdout + sent.stderr
    got = _summary(sandbox_server, "connectly")
    assert got["total"] == got["distinct_recipients"] == 2
    entries = sandbox_server.get("/_sandbox/connectly/entries").json()
    assert sorted(e["client"] for e in entries) == sorted(team)
    assert all(e["campaignName"] == "launch" for e in entries)

    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    got = _summary(sandbox_server, "connectly")
    assert got["total"] == 2 + 9  # 10 minus the opted-out one
    assert [(d["recipient"], d["count"]) for d in got["duplicates"]] == [(audience[2], 2)]

    big = ", ".join(f'{{phone: "+1415556{i:04d}"}}' for i in range(51))
    (ws / "big.yaml").write_text(f"kind: ContactGroup\nname: big\nprovider: wa\n"
                                 f"spec: {{contacts: [{big}]}}\n")
    over = run_cli("proof", "Campaign/launch", str(ws), "--to", "big")
    assert over.returncode == 1
    assert over.stderr.strip().splitlines()[-1].endswith(
        "ContactGroup/big has 51 recipients; a proof goes to at most 50")
    assert _summary(sandbox_server, "connectly")["total"] == 11  # nothing sent


def test_proof_errors_are_one_line(tmp_path, sandbox_server):
    ws = sandbox_accounts(write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": f"""
            providers:
              sched:
                type: scheduled-campaigns
                base_url: {sandbox_server.url}
                api_key: ${{TEST_SCHED_KEY}}
              sms:
                type: octopush
                base_url: {sandbox_server.url}
                api_login: ${{TEST_LOGIN}}
                api_key: ${{TEST_KEY_123}}
            """,
        "c.yaml": """
            kind: ContactGroup
            name: team
            provider: sms
            spec: {contacts: [{phone: "+33699000001"}]}
            ---
            kind: Campaign
            name: news
            provider: sched
            spec:
              scheduled-campaigns: {domain: 1, list: 7}
              send_at: 2031-01-07T09:00:00+01:00
              state: draft
              proof: {group: team}
            """,
    }))
    r = run_cli("proof", "Campaign/news", str(ws))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "scheduled-campaigns cannot send a proof of Campaign/news: a campaign goes to a " \
           "contact list held by the vendor (`list` id" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_cli("proof", "Campaign/nope", str(ws))
    assert r.returncode == 1 and "Campaign/nope: no such Campaign" in r.stderr


def test_email_campaign_proof_is_a_campaign_of_its_own_to_the_group_only(
        tmp_path, sandbox_server):
    import httpx

    sys.path.insert(0, str(HERE / "email_campaigns"))
    from test_email_e2e import TOKEN, make_workspace

    def cli(*args):
        out = run_cli(*args, env={"MAIL_TOKEN": TOKEN})
        assert "Traceback" not in out.stderr and TOKEN not in out.stdout + out.stderr
        return out

    def results(start: str, end: str) -> list[str]:
        found = httpx.get(sandbox_server.url + "/email/result/filter/", params={
            "start_date": start, "end_date": end},
            headers={"Authorization": f"Token {TOKEN}"}).json()
        return sorted(r["email_to"] for r in found if r["disposition"] == "delivered")

    ws = make_workspace(tmp_path, sandbox_server)
    (ws / "team.yaml").write_text(
        "kind: ContactGroup\nname: team\nprovider: mail\n"
        "spec: {contacts: [{email: ann@example.com}, {email: proofer@acme.example}]}\n")
    campaigns = ws / "campaigns.yaml"
    campaigns.write_text(campaigns.read_text().replace(
        "name: spring-sale\n", "name: spring-sale\nlifecycle: {require_proof: true}\n")
        .replace("  title: Spring sale 2027\n",
                 "  title: Spring sale 2027\n  proof: {group: team}\n"))
    early = cli("proof", "Campaign/spring-sale", str(ws))
    assert early.returncode == 1 and "Sender/newsletter is not applied yet" in early.stderr

    first = cli("apply", "--auto-approve", str(ws))  # all but the campaign: no proof yet
    assert first.returncode == 1
    assert "lifecycle.require_proof: no proof of this exact content" in first.stdout
    sent = cli("proof", "Campaign/spring-sale", str(ws))
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "sent to 2 recipients of ContactGroup/team (account mail)" in sent.stdout
    today = sandbox_server.get("/_sandbox/clock").json()
    day = datetime.fromtimestamp(today["timestamp"], UTC)
    window = ((day - timedelta(days=1)).strftime("%Y-%m-%d"),
              (day + timedelta(days=1)).strftime("%Y-%m-%d"))
    assert results(*window) == ["ann@example.com", "proofer@acme.example"]
    assert "  proof  " in cli("status", str(ws)).stdout

    plan = cli("plan", str(ws))
    assert "proof of this content: last sent" in plan.stdout, plan.stdout
    applied = cli("apply", "--auto-approve", str(ws))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = cli("plan", "--detailed-exitcode", str(ws))  # the proof's own objects: no diff
    assert again.returncode == 0, again.stdout
    start = datetime.fromisoformat("2027-03-20T13:00:00+00:00").timestamp()
    sandbox_server.post("/_sandbox/clock", {
        "advance_seconds": start - sandbox_server.get("/_sandbox/clock").json()["timestamp"]
        + 3600})
    real = results("2027-03-01", "2027-04-30")
    assert real.count("ann@example.com") == 1 and "proofer@acme.example" not in real
    assert len(real) == len(set(real))
    r = cli("proof", "Campaign/spring-sale", str(ws), "--to", "nobody")
    assert r.returncode == 1 and r.stderr.strip().endswith(
        "Campaign/spring-sale: proof group ContactGroup/nobody does not exist")
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace(
        "    token: ${MAIL_TOKEN}\n", "    token: ${MAIL_TOKEN}\n    proof: {grp: team}\n"))
    r = cli("validate", str(ws))
    assert r.returncode == 1 and "campaignctl.yaml:" in r.stderr
    assert "provider mail: `proof` must be {group: NAME}" in r.stderr


def test_a_halted_environment_sends_no_proof(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 5)
    _with_team(ws, "sms.yaml", "sms", ["+33699000001"])
    assert run_cli("halt", str(ws), "--reason", "wrong list").returncode == 0
    r = run_cli("proof", "Campaign/promo", str(ws))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Campaign/promo: proof not sent:" in r.stderr and "wrong list" in r.stderr
    assert _summary(sandbox_server, "octopush")["total"] == 0
    assert run_cli("resume", str(ws)).returncode == 0
    assert run_cli("proof", "Campaign/promo", str(ws)).returncode == 0
    assert _summary(sandbox_server, "octopush")["total"] == 1


def test_a_halt_recorded_while_a_proof_is_prepared_stops_it(tmp_path, sandbox_server,
                                                             monkeypatch):
    """The halt lands after `proof` first looked (as if typed a moment later): the proof
    reads it again once its record has committed, and nothing leaves."""
    from reconciler import api
    from reconciler.errors import CampaignctlError
    from reconciler.state.ledger import NOT_SENT, SendLedger
    from reconciler.state.store import SqliteStore

    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 5)
    _with_team(ws, "sms.yaml", "sms", ["+33699000001"])
    api.halt(ws, reason="wrong list", by="ops-lead")
    send_proof = api.proof
    monkeypatch.setattr(sys.modules[send_proof.__module__], "read_halt",
                        lambda store: None)  # the first look
    with pytest.raises(CampaignctlError) as refused:
        send_proof("Campaign/promo", ws)
    assert str(refused.value).startswith("Campaign/promo: proof not sent: sends are halted")
    assert _summary(sandbox_server, "octopush")["total"] == 0
    store = SqliteStore(ws / ".campaignctl" / "state.db")
    try:
        [batch] = SendLedger(store).proofs("sms", "promo")
    finally:
        store.close()
    assert batch.status == NOT_SENT and "halted: sends are halted" in batch.error
