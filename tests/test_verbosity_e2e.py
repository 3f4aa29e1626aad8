"""-v / --debug / CAMPAIGNCTL_LOG print a request log on stderr; -q prints only errors and
the summary. Run as a user would, against the sandbox over real HTTP."""

from __future__ import annotations

import json
import re

from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_SECRETS,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
    write_workspace,
)

from reconciler.api.pipeline import load_valid

TOKEN = "mail-token-Verbose-7788"


def mail_workspace(root, url):
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              mail:
                type: email-campaigns
                base_url: {url}
                token: ${{MAIL_TOKEN}}
            """,
        "senders.yaml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, description: News}
            """,
    })
    return sandbox_accounts(root, ENV)


ENV = {"MAIL_TOKEN": TOKEN}


def request_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "[http] " in line]


def test_the_request_log_comes_with_the_flag_before_or_after_the_command(tmp_path,
                                                                         sandbox_server):
    ws = mail_workspace(tmp_path / "ws", sandbox_server.url)
    quiet = run_cli("plan", str(ws), env=ENV)
    assert quiet.returncode == 0 and not request_lines(quiet.stderr), quiet.stderr

    for args in (("-v", "plan", str(ws)), ("plan", str(ws), "-v"),
                 ("plan", str(ws), "--verbose")):
        r = run_cli(*args, env=ENV)
        assert r.returncode == 0, r.stderr
        lines = request_lines(r.stderr)
        assert len(lines) == 5, r.stderr  # the five list reads of email-campaigns
        assert any(re.fullmatch(r"\[http\] email-campaigns: GET /email/senderid/ 200 "
                                r"\(\d+ ms\)", line) for line in lines), lines
        assert not request_lines(r.stdout)  # the plan on stdout stays clean
        assert TOKEN not in r.stdout + r.stderr

    debug = run_cli("plan", str(ws), env={**ENV, "CAMPAIGNCTL_LOG": "debug"})
    lines = request_lines(debug.stderr)
    assert lines and all(re.match(r"\d\d:\d\d:\d\d\.\d{3} \[http\] ", line) for line in lines)
    assert all(re.search(r"\(\d+ ms, sent \d+ B, received [\d.]+ (B|KiB)\)$", line)
               for line in lines), lines

    bad = run_cli("plan", str(ws), env={**ENV, "CAMPAIGNCTL_LOG": "loud"})
    assert bad.returncode == 1
    assert "CAMPAIGNCTL_LOG='loud': expected debug, verbose, normal or quiet" in bad.stderr


def test_a_429_with_retry_after_is_a_retry_line(tmp_path, sandbox_server):
    ws = mail_workspace(tmp_path / "ws", sandbox_server.url)
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/email/senderid/", "method": "POST", "kind": "rate_limit_429",
         "times": 1}]})
    r = run_cli("apply", str(ws), "--auto-approve", "-v", env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = request_lines(r.stderr)
    assert ("[http] email-campaigns: POST /email/senderid/ 429, waiting 1.0 s (Retry-After; "
            "try 2 of 6)") in lines, lines
    posts = [line for line in lines if "POST /email/senderid/" in line]
    assert re.fullmatch(r"\[http\] email-campaigns: POST /email/senderid/ 429 \(\d+ ms\)",
                        posts[0])
    assert re.fullmatch(r"\[http\] email-campaigns: POST /email/senderid/ 201 \(\d+ ms\)",
                        posts[-1])


def test_quiet_prints_only_errors(tmp_path, sandbox_server):
    ws = mail_workspace(tmp_path / "ws", sandbox_server.url)
    plan = run_cli("plan", str(ws), "-q", "-o", str(tmp_path / "plan.json"), env=ENV)
    assert plan.returncode == 0, plan.stderr
    assert plan.stdout == "" and plan.stderr == ""
    as_json = run_cli("plan", str(ws), "-q", "--format", "json", env=ENV)
    assert json.loads(as_json.stdout)["summary"]["create"] == 1  # asked for: printed

    r = run_cli("-q", "apply", str(ws), "--auto-approve", env=ENV)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""  # no plan, no progress, no summary

    (ws / "senders.yaml").write_text((ws / "senders.yaml").read_text().replace(
        "email: news@acme.example", "email: not-an-address"))
    bad = run_cli("-q", "apply", str(ws), "--auto-approve", env=ENV)
    assert bad.returncode == 1 and bad.stdout == "" and "senders.yaml" in bad.stderr
    init = run_cli("init", str(tmp_path / "new"), "-q")
    assert init.returncode == 0 and init.stdout + init.stderr == ""

    both = run_cli("plan", str(ws), "-q", "-v", env=ENV)
    assert both.returncode == 1
    assert "-q/--quiet goes with neither -v/--verbose nor --debug" in both.stderr


def contact_addresses(ws, environment) -> set[str]:
    """Every email and phone of every ContactGroup and OptOutList of the workspace."""
    found: set[str] = set()
    for r in load_valid(ws, environment).resources.values():
        if r.kind == "ContactGroup":
            for c in r.iter_contacts():
                found |= {a for a in (c.email, c.phone) if a}
        elif r.kind == "OptOutList":
            found |= set(r.iter_addresses())
    return found


def test_debug_shows_no_credential_and_no_contact_across_the_four_providers(
        tmp_path, sandbox_server, monkeypatch):
    ws = example_on_real_accounts(tmp_path / "campaigns", sandbox_server.url)
    config = ws / "campaignctl.yaml"  # the business id is a credential too: from the env
    config.write_text(config.read_text().replace("business_id: biz-1",
                                                 "business_id: ${CONNECTLY_BUSINESS_ID}"))
    secrets = {name: f"{name.lower()}-Sekrit-{i}4821" for i, name in enumerate(
        (*EXAMPLE_SECRETS, "CONNECTLY_BUSINESS_ID"))}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    sandbox_accounts(ws, secrets, EXAMPLE_ENV)
    contacts = contact_addresses(ws, EXAMPLE_ENV)
    assert len(contacts) > 10 and any("@" in a for a in contacts) and any(
        a.startswith("+") for a in contacts)

    plan = run_cli("--debug", "plan", str(ws), "--env", EXAMPLE_ENV, env=secrets)
    apply = run_cli("apply", str(ws), "--env", EXAMPLE_ENV, "--auto-approve", "--debug",
                    env=secrets)
    assert plan.returncode == 0, plan.stderr
    assert apply.returncode == 0, apply.stdout + apply.stderr
    out = plan.stdout + plan.stderr + apply.stdout + apply.stderr
    log = request_lines(out)
    for vendor, request in (("email-campaigns", "POST /email/contact/bulk/replace/?_id="),
                            ("scheduled-campaigns", "POST /campaign 200"),
                            ("octopush", "POST /v1/public/sms-campaign/send 200"),
                            ("connectly", "POST /v1/businesses/****/send/campaigns 200")):
        assert any(f"[http] {vendor}: {request}" in line for line in log), (vendor, log)
    for name, value in secrets.items():
        assert value not in out, name
    shown = sorted(a for a in contacts if a in out or a.lower() in out.lower())
    assert not shown


def test_quiet_validate_keeps_the_verdict_and_drops_the_notes(tmp_path):
    long_text = "Acme spring sale: " + "twenty percent off everything " * 8 + "STOP 36111"
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": """
            providers:
              sms: {type: octopush, base_url: sandbox}
            """,
        "sms.yaml": f"""
            kind: Message
            name: long
            provider: sms
            spec: {{channel: sms, text: "{long_text}"}}
            """,
    })
    normal = run_cli("validate", str(ws))
    assert normal.returncode == 0 and "Message/long: SMS text needs 2 segments" in normal.stdout
    quiet = run_cli("validate", str(ws), "-q")
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "" and quiet.stderr == ""  # -q: only errors
