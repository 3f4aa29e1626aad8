"""Issue 11: on send-only accounts (Octopush, Connectly) every CSV is parsed once per
command. `validate` (with its send-window check), `plan`, and `apply` (its plan, the sends
and the read-back plan) each open a contact group's or an opt-out list's CSV one time,
where they used to parse it in validation, again for each audience, and again in the
read-back. Run in-process on the click entry point against the sandbox over real HTTP, with
the CSV parser's file opening counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import cli_in_process as run
from conftest import sandbox_accounts, write_workspace
from send_helpers import phones, write_csv

SEND_AT = "2031-01-07T09:00:00+01:00"  # a Tuesday morning in Paris: inside the window
CSVS = ("sms-people.csv", "sms-stop.csv", "wa-people.csv", "wa-stop.csv")


def workspace(root: Path, url: str) -> Path:
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              sms: {{type: octopush, base_url: "{url}", api_login: "${{TEST_LOGIN}}", api_key: "${{TEST_KEY_1}}"}}
              wa: {{type: connectly, base_url: "{url}", business_id: "${{TEST_BUSINESS}}", api_key: "${{TEST_KEY_2}}"}}
            """,
        "sms.yaml": f"""
            kind: Sender
            name: acme
            provider: sms
            spec: {{sms_id: ACME}}
            ---
            kind: Message
            name: promo
            provider: sms
            spec: {{channel: sms, text: "Acme: 20% off. STOP au 36111"}}
            ---
            kind: ContactGroup
            name: people
            provider: sms
            spec: {{file: sms-people.csv}}
            ---
            kind: OptOutList
            name: stop
            provider: sms
            spec: {{file: sms-stop.csv}}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [people]
              opt_out_lists: [stop]
              send_at: "{SEND_AT}"
              timezone: Europe/Paris
              octopush: {{purpose: wholesale}}
            """,
        "wa.yaml": f"""
            kind: Sender
            name: wa-sender
            provider: wa
            spec: {{phone: "+14155550100"}}
            ---
            kind: ContactGroup
            name: wa-people
            provider: wa
            spec: {{file: wa-people.csv}}
            ---
            kind: OptOutList
            name: wa-stop
            provider: wa
            spec: {{file: wa-stop.csv}}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: wa-sender
              contact_groups: [wa-people]
              opt_out_lists: [wa-stop]
              send_at: "{SEND_AT}"
              timezone: Europe/Paris
              connectly: {{campaign_version: "1"}}
            """,
    })
    for prefix in ("sms", "wa"):
        write_csv(root / f"{prefix}-people.csv", phones(40))
        write_csv(root / f"{prefix}-stop.csv", phones(3, 10))
    return sandbox_accounts(root)


@pytest.mark.parametrize("command", [["validate"], ["plan"], ["apply", "--auto-approve"]])
def test_each_send_only_csv_is_parsed_once_per_command(tmp_path, sandbox_server, capsys,
                                                       csv_opens, command):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    code, out = run(capsys, command[0], str(ws), *command[1:])
    assert code == 0, out
    assert {name: csv_opens[name] for name in CSVS} == {name: 1 for name in CSVS}, out
    if command[0] == "apply":  # both sent to everyone not opted out, then nothing is left
        assert "Apply: 4 done, 0 failed, 0 skipped" in out, out
        assert out.count("37/37 recipients (100%)") == 2, out
        csv_opens.clear()
        code, out = run(capsys, "plan", str(ws), "--detailed-exitcode")
        assert code == 0, out
        assert {name: csv_opens[name] for name in CSVS} == {name: 1 for name in CSVS}, out


def test_reused_recipients_still_meet_the_opt_outs_in_force_each_time(tmp_path, csv_opens):
    """The deduplicated recipients are built once, but the opt-out filter runs on every
    use: an apply's read-back sees the opt-outs the apply recorded."""
    from reconciler.api.pipeline import load_valid
    from reconciler.audience import campaign_audience

    ws = load_valid(workspace(tmp_path / "ws", "http://127.0.0.1:9"))
    promo = ws.get("Campaign", "promo")
    first = campaign_audience(ws, promo, "sms")
    late = phones(1, 20)[0]  # opted out live since: remembered in the state store
    again = campaign_audience(ws, promo, "sms", {"stop": {late}})
    assert (len(first.recipients), first.suppressed, first.kept) == (37, 3, 0)
    assert (len(again.recipients), again.suppressed, again.kept) == (36, 4, 1)
    assert late in first.addresses and late not in again.addresses
    assert csv_opens["sms-people.csv"] == 1 and csv_opens["sms-stop.csv"] == 1
