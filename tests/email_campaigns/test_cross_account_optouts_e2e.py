"""A campaign never counts a suppression its vendor will not apply. An email-campaigns
account suppresses only its own opt-outs, so an OptOutList on another account is refused
at validate time (file:line:col, both accounts named), and what the plan does count as
suppressed is exactly what the sandbox then leaves out of the send."""

from __future__ import annotations

import json
from datetime import datetime

import httpx
from conftest import SandboxServer, run_cli
from test_email_e2e import TOKEN, make_workspace

START = "2027-03-20T13:00:00+00:00"  # the example campaign's send time, in UTC
EU_TOKEN = TOKEN + "-eu"  # an account of its own (one token at two origins needs a pin each)


def cli(*args):
    out = run_cli(*args, env={"MAIL_TOKEN": TOKEN, "MAIL_EU_TOKEN": EU_TOKEN})
    assert "Traceback" not in out.stderr, out.stderr
    return out


def test_optout_list_on_another_account_is_refused_and_counted_suppressions_are_applied(
        tmp_path, sandbox_server):
    other = SandboxServer(tmp_path / "other-sandbox").start()
    try:
        ws = make_workspace(tmp_path, sandbox_server)
        (ws / "subscribers.csv").write_text(
            (ws / "subscribers.csv").read_text() + "no-thanks@example.org,No,Thanks\n"
            "former.customer@example.com,Former,Customer\n")
        config = ws / "campaignctl.yaml"
        config.write_text(config.read_text() + "  mail-eu:\n    type: email-campaigns\n"
                          f"    base_url: {other.url}\n    token: ${{MAIL_EU_TOKEN}}\n")
        other.add_account("email-campaigns", token=EU_TOKEN)
        optouts = ws / "optouts.yaml"
        optouts.write_text(optouts.read_text().replace("provider: mail", "provider: mail-eu"))

        for command in ("validate", "plan"):
            out = cli(command, str(ws))
            assert out.returncode == 1, out.stdout
            text = out.stdout + out.stderr
            assert "suppressed by opt-outs" not in text
            line = next(x for x in text.splitlines() if "is on account 'mail-eu'" in x)
            assert line.startswith(f"{ws / 'campaigns.yaml'}:10:") or \
                line.startswith("campaigns.yaml:10:"), line
            assert "Campaign/spring-sale is on account 'mail'" in line

        # On the campaign's own account, with one of them explicitly opted in again: the
        # plan counts one suppression, and the vendor leaves exactly that one out.
        optouts.write_text(optouts.read_text().replace("provider: mail-eu", "provider: mail")
                           .replace("    - no-thanks@example.org\n", "")
                           + "  opt_in: [no-thanks@example.org]\n")
        applied = cli("apply", "--auto-approve", str(ws))
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "suppressed by opt-outs: 2" not in applied.stdout
        plan = json.loads(cli("plan", "--format", "json", str(ws)).stdout)
        assert plan["summary"]["has_changes"] is False
        now = sandbox_server.get("/_sandbox/clock").json()["timestamp"]
        sandbox_server.post("/_sandbox/clock", {
            "advance_seconds": datetime.fromisoformat(START).timestamp() - now + 3600})
        results = httpx.get(sandbox_server.url + "/email/result/filter/", params={
            "start_date": "2027-03-01", "end_date": "2027-04-30"},
            headers={"Authorization": f"Token {TOKEN}"}).json()
        dispositions = {r["email_to"]: r["disposition"] for r in results}
        assert dispositions["former.customer@example.com"] == "opted_out"
        assert dispositions["no-thanks@example.org"] == "delivered"
        assert list(dispositions.values()).count("opted_out") == 1
    finally:
        other.stop()


def test_an_opt_in_in_the_same_plan_is_not_counted_as_suppressed(tmp_path, sandbox_server):
    ws = make_workspace(tmp_path, sandbox_server)
    (ws / "subscribers.csv").write_text(
        (ws / "subscribers.csv").read_text() + "no-thanks@example.org,No,Thanks\n"
        "former.customer@example.com,Former,Customer\n")
    first = cli("apply", "--auto-approve", "--target", "OptOutList/unsubscribed", str(ws))
    assert first.returncode == 0, first.stdout + first.stderr  # both now opted out live
    optouts = ws / "optouts.yaml"
    optouts.write_text(optouts.read_text().replace("    - no-thanks@example.org\n", "")
                       + "  opt_in: [no-thanks@example.org]\n")
    plan = json.loads(cli("plan", "--format", "json", str(ws)).stdout)
    (campaign,) = plan["campaigns"]
    assert campaign["suppressed"] == 1  # the opt-in is applied before the campaign sends
