"""Issue 11 on email-campaigns: an opt-out list's CSV is parsed once per command, however
many campaigns it suppresses and whether or not it re-subscribes someone under `opt_in`
(its addresses used to be read again by the opt-in check, twice by the opt-out diff, and
twice more for each campaign's audience). A contact group's CSV is parsed once by
`validate`; a plan that creates campaigns reads it twice more for their audience (not once
more per campaign), and an apply once more to upload its rows. Run in-process
on the click entry point against the sandbox over real HTTP, the CSV parser's file opening
counted."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import cli_in_process as run
from conftest import sandbox_accounts, write_workspace


def workspace(root: Path, url: str) -> Path:
    campaigns = "".join(f"""
        ---
        kind: Campaign
        name: promo-{i}
        provider: mail
        spec:
          title: Promo {i}
          message: promo
          sender: news
          contact_groups: [customers]
          opt_out_lists: [stop]
          send_at: 2031-03-20T09:00:00-04:00
          timezone: America/New_York
          state: active
        """ for i in range(3))
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              mail: {{type: email-campaigns, base_url: "{url}", token: "${{TEST_TOKEN}}"}}
            policy: {{email: {{postal_address: "Acme Inc., 1 Main St, Springfield"}}}}
            """,
        "mail.yaml": textwrap.dedent("""
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@example.com}
            ---
            kind: Message
            name: promo
            provider: mail
            spec: {channel: email, subject: Promo, body: "Hello, 20% off this week. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
            ---
            kind: ContactGroup
            name: customers
            provider: mail
            spec: {title: Customers, file: customers.csv}
            ---
            kind: OptOutList
            name: stop
            provider: mail
            spec:
              file: stop.csv
              opt_in: [back@example.com]
            """) + textwrap.dedent(campaigns),
        "customers.csv": "email,first_name\n" + "".join(
            f"user{i}@example.com,User{i}\n" for i in range(30)),
        "stop.csv": "email\nuser1@example.com\nuser2@example.com\nuser3@example.com\n",
    })
    return sandbox_accounts(root)


@pytest.mark.parametrize("command", [["validate"], ["plan"], ["apply", "--auto-approve"]])
def test_an_opt_out_csv_is_parsed_once_per_command(tmp_path, sandbox_server, capsys,
                                                   csv_opens, command):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    code, out = run(capsys, command[0], str(ws), *command[1:])
    assert code == 0, out
    # The group's rows are read again for the new campaigns' audience (once for the three:
    # who is suppressed, once for their send-window zones), and by apply to be uploaded.
    group = {"validate": 1, "plan": 3, "apply": 4}[command[0]]
    assert dict(csv_opens) == {"stop.csv": 1, "customers.csv": group}, out
    if command[0] == "plan":  # each campaign's audience still counts the opt-outs
        assert out.count("suppressed by opt-outs: 3") == 3, out
    if command[0] == "apply":
        csv_opens.clear()
        code, out = run(capsys, "plan", str(ws), "--detailed-exitcode")
        assert code == 0, out
        assert dict(csv_opens) == {"stop.csv": 1, "customers.csv": 1}, out
