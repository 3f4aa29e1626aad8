"""`validate` is offline: no credential in the environment (a pull request from a fork has
no secrets), contacts named by file and row (never the address unless --show-contacts),
and machine formats: JSON, and GitHub annotations on the pull request's diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_SECRETS,
    example_on_real_accounts,
    run_cli,
    write_workspace,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "campaigns"
SECRETS = EXAMPLE_SECRETS


def no_secrets() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env.pop("CAMPAIGNCTL_STATE_DSN", None)
    return env


def run_without_secrets(*args: str):
    """As a fork's pull request runs: none of the workspace's secrets are set."""
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "reconciler", *args], env={
        **no_secrets(), "NO_COLOR": "1"}, capture_output=True, text=True,
        stdin=subprocess.DEVNULL, timeout=120)


def real_accounts(tmp_path: Path) -> Path:
    """The example workspace pointed at real accounts: every credential is a ${VAR}."""
    ws = example_on_real_accounts(tmp_path / "campaigns", "https://api.example.com")
    return ws


def test_example_workspace_validates_with_no_credential(tmp_path):
    ws = real_accounts(tmp_path)
    r = run_without_secrets("validate", str(ws), "--env", EXAMPLE_ENV)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{ws}: valid (environment {EXAMPLE_ENV})."
    assert run_without_secrets("validate", str(EXAMPLE), "--env", "staging").returncode == 0
    # The missing secret is reported where it is needed: plan (and apply).
    r = run_without_secrets("plan", str(ws), "--env", EXAMPLE_ENV)
    assert r.returncode == 1
    assert f"{ws}/campaignctl.yaml:43:16: environment variable MAIL_API_TOKEN is not set" \
        in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def broken(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": """
            providers:
              sms:
                type: octopush
                base_url: https://api.octopush.com
                api_login: ${OCTOPUSH_LOGIN}
                api_key: ${OCTOPUSH_KEY}
            """,
        "groups.yaml": """
            kind: ContactGroup
            name: customers
            provider: sms
            spec:
              file: customers.csv
            ---
            kind: ContactGroup
            name: vip
            provider: sms
            spec:
              contacts:
                - {phone: "0612345678", first_name: Ada}
            """,
        "customers.csv": "phone,first_name\n+33612345678,Alan\n+33 6 12,Grace\n",
        "campaign.yml": """
            kind: Campaign
            name: flash
            provider: sms
            spec:
              message: missing-message
              contact_groups: [customers, vip]
              send_at: now
              octopush: {purpose: alert}
            """,
    })


def test_github_annotations_line_by_line_and_no_contact_printed(tmp_path):
    ws = broken(tmp_path)
    r = run_without_secrets("validate", str(ws), "--format", "github")
    assert r.returncode == 1
    assert r.stdout.splitlines() == [
        f"::error file={ws}/campaign.yml,line=5,col=12::Campaign/flash: Message "
        "'missing-message' does not exist",
        f"::error file={ws}/customers.csv,line=3,col=1::row 3: invalid phone number: not a "
        "valid number",
        f"::error file={ws}/groups.yaml,line=12,col=15::spec.contacts.0.phone: invalid phone "
        "number: not in E.164 format (+<country><number>)",
    ]
    assert "0612345678" not in r.stdout + r.stderr and "+33 6 12" not in r.stdout + r.stderr
    # Asked for, the addresses are shown.
    r = run_without_secrets("validate", str(ws), "--show-contacts")
    assert "[\'0612345678\']" in r.stderr and "[\'+33 6 12\']" in r.stderr


def test_validate_json(tmp_path):
    ws = broken(tmp_path)
    r = run_without_secrets("validate", str(ws), "--format", "json")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["valid"] is False and doc["errors"] == 3
    assert doc["diagnostics"][1] == {
        "path": f"{ws}/customers.csv", "line": 3, "col": 1, "severity": "error",
        "message": "row 3: invalid phone number: not a valid number"}
    r = run_cli("validate", str(EXAMPLE), "--format", "json", "--env", "staging")
    assert r.returncode == 0 and json.loads(r.stdout)["valid"] is True


def test_validate_checks_rows_without_the_summary_that_plan_then_computes(tmp_path):
    from reconciler.workspace import load_workspace

    ws_dir = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n",
        "g.yaml": "kind: ContactGroup\nname: g\nprovider: mail\nspec: {title: G, file: g.csv}\n",
        "g.csv": "email\na@example.com\nnot-an-email\nb@example.com\n"})
    ws, _ = load_workspace(ws_dir)
    group = ws.get("ContactGroup", "g")
    checked = group.scan(summary=False)
    assert [p.line for p in checked.problems] == [3] and not checked.summarized
    full = group.scan()
    assert full.summarized and full.emails[0] == 2
    assert [p.line for p in full.problems] == [3]
    assert group.scan(summary=False) is full  # one pass per command once summarized
