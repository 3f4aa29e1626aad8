"""Send-only accounts keep every opt-out they ever applied: an old opt-out CSV restored on
top of a newer one never re-subscribes anyone, on SMS (Octopush) or WhatsApp (Connectly),
through `state migrate` from SQLite into PostgreSQL; only an explicit `opt_in:` does."""

from __future__ import annotations

import json
import sqlite3

from conftest import run_cli, sandbox_accounts, write_workspace
from send_helpers import phones as numbers
from send_helpers import write_csv

P = "+33699999999"  # the person who opts out
STATE = "state:\n  backend: postgres\n  dsn: ${CAMPAIGNCTL_STATE_DSN}\n"


def write_people(ws, name: str, phones: list[str]) -> None:
    write_csv(ws / name, phones)


def workspace(root, url: str):
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              sms: {{type: octopush, base_url: "{url}", api_login: "${{TEST_LOGIN}}", api_key: "${{TEST_KEY_1}}"}}
              wa: {{type: connectly, base_url: "{url}", business_id: "${{TEST_BUSINESS}}", api_key: "${{TEST_KEY_2}}"}}
            """,
        "sms.yaml": """
            kind: Sender
            name: acme
            provider: sms
            spec: {sms_id: ACME}
            ---
            kind: Message
            name: promo
            provider: sms
            spec: {channel: sms, text: "Acme: 20% off. STOP au 36111"}
            ---
            kind: ContactGroup
            name: customers
            provider: sms
            spec: {file: customers.csv}
            ---
            kind: OptOutList
            name: stop
            provider: sms
            spec: {file: stop.csv}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [customers]
              opt_out_lists: [stop]
              send_at: "2031-01-07T09:00:00+01:00"
              timezone: Europe/Paris
              octopush: {purpose: wholesale}
            """,
        "wa.yaml": """
            kind: Sender
            name: wa-sender
            provider: wa
            spec: {phone: "+14155550100"}
            ---
            kind: ContactGroup
            name: wa-customers
            provider: wa
            spec: {file: customers.csv}
            ---
            kind: OptOutList
            name: wa-stop
            provider: wa
            spec: {file: stop.csv}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: wa-sender
              contact_groups: [wa-customers]
              opt_out_lists: [wa-stop]
              send_at: "2031-01-07T09:00:00+01:00"
              connectly: {campaign_version: "1"}
            """,
    })
    return sandbox_accounts(root)


def received(sandbox_server, vendor: str, phone: str) -> int:
    db = sqlite3.connect(sandbox_server.data_dir / vendor / "deliveries.db")
    try:
        return db.execute("SELECT count(*) FROM deliveries WHERE recipient=?",
                          (phone,)).fetchone()[0]
    finally:
        db.close()


def plan_json(ws, env=None) -> dict:
    out = run_cli("plan", str(ws), "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def by_address(plan: dict) -> dict:
    return {a["address"]: a for a in plan["actions"]}


def test_restored_old_optout_csv_never_resubscribes_and_opt_in_does(
        tmp_path, sandbox_server, postgres_dsn):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    old_stop = numbers(2, 900)
    write_people(ws, "customers.csv", numbers(5))
    write_people(ws, "stop.csv", old_stop)
    first = run_cli("apply", str(ws), "--auto-approve")
    assert first.returncode == 0, first.stdout + first.stderr

    # P joins the customers and, the same day, opts out: suppressed on both channels.
    write_people(ws, "customers.csv", numbers(5) + [P])
    write_people(ws, "stop.csv", old_stop + [P])
    plan = by_address(plan_json(ws))
    assert plan["OptOutList/stop"]["sets"][0]["add"] == 1
    assert plan["OptOutList/wa-stop"]["sets"][0]["add"] == 1
    assert "Campaign/promo" not in plan and "Campaign/launch" not in plan
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0

    # The team moves to PostgreSQL: the remembered opt-outs move with the ledger.
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text() + STATE)
    env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn}
    moved = run_cli("state", "migrate", str(ws), env=env)
    assert moved.returncode == 0 and "6 remembered opt-outs" in moved.stdout, moved.stdout

    # Someone restores last month's opt-out CSV (without P), and a new customer arrives.
    write_people(ws, "stop.csv", old_stop)
    write_people(ws, "customers.csv", numbers(5) + [P] + numbers(1, 50))
    plan = by_address(plan_json(ws, env))
    assert "OptOutList/stop" not in plan and "OptOutList/wa-stop" not in plan
    for address in ("Campaign/promo", "Campaign/launch"):
        send = plan[address]["send"]
        assert (send["recipients"], send["suppressed"]) == (1, 1), plan[address]
        assert "1 of the suppressed only by opt-outs no longer in the manifests" in \
            plan[address]["reason"]
    assert "1 new recipient" in plan["Campaign/launch"]["reason"]
    assert run_cli("apply", str(ws), "--auto-approve", env=env).returncode == 0
    assert received(sandbox_server, "octopush", P) == 0
    assert received(sandbox_server, "connectly", P) == 0
    assert received(sandbox_server, "octopush", numbers(1, 50)[0]) == 1

    # Only an explicit opt-in re-subscribes P, and the plan marks it irreversible.
    for name, manifest in (("stop", "sms.yaml"), ("wa-stop", "wa.yaml")):
        path = ws / manifest
        path.write_text(path.read_text().replace(
            f"name: {name}\nprovider: {'sms' if name == 'stop' else 'wa'}\n"
            "spec: {file: stop.csv}",
            f"name: {name}\nprovider: {'sms' if name == 'stop' else 'wa'}\n"
            f"spec: {{file: stop.csv, opt_in: ['{P}']}}"))
    plan = by_address(plan_json(ws, env))
    for address in ("OptOutList/stop", "OptOutList/wa-stop"):
        (opt,) = plan[address]["sets"]
        assert (opt["add"], opt["remove"], opt["irreversible"]) == (0, 1, True)
        assert plan[address]["irreversible"]
    assert plan["Campaign/promo"]["send"]["recipients"] == 1
    assert run_cli("apply", str(ws), "--auto-approve", env=env).returncode == 0
    assert received(sandbox_server, "octopush", P) == 1
    assert received(sandbox_server, "connectly", P) == 1
    final = run_cli("plan", str(ws), "--detailed-exitcode", env=env)
    assert final.returncode == 0 and "No changes" in final.stdout, final.stdout
