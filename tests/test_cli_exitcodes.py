"""Exit codes: 0 ok / no changes, 2 only for changes with --detailed-exitcode, 1 for every
error (CI reads 2 as "changes present", so no error may exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli, write_workspace

EXAMPLE = Path(__file__).parent.parent / "campaigns"

MAIL_ONLY = """
providers:
  mail:
    type: email-campaigns
    base_url: {url}
    token: ${{TEST_TOKEN}}
policy: {{email: {{postal_address: "Acme Inc., 1 Main St, Springfield"}}}}
"""
SENDER = """
kind: Sender
name: news
provider: mail
spec:
  email: news@acme.example
"""


@pytest.fixture
def ws(tmp_path) -> Path:
    return write_workspace(tmp_path / "ws", {"campaignctl.yaml": MAIL_ONLY.format(url="sandbox"),
                                             "senders.yaml": SENDER})


def test_detailed_exitcode_two_for_changes_zero_for_none(ws):
    assert run_cli("plan", str(ws)).returncode == 0
    assert run_cli("plan", str(ws), "--detailed-exitcode").returncode == 2
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    assert run_cli("plan", str(ws), "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize("args", [
    ["plan", "--no-such-option"],
    ["plan", "{ws}", "--format", "yaml"],
    ["plan", "{ws}", "--target", "Sender/nope", "--detailed-exitcode"],
    ["plan", "{tmp}/missing", "--detailed-exitcode"],
    ["apply", "{tmp}/missing"],
    ["no-such-command"],
    ["init", "{ws}"],  # a workspace is already there: never overwritten
])
def test_usage_and_input_errors_exit_1(ws, tmp_path, args):
    r = run_cli(*[a.format(ws=ws, tmp=tmp_path) for a in args])
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr


def test_invalid_manifest_exits_1_with_location(ws):
    (ws / "bad.yaml").write_text("kind: Sender\nname: Bad Name\nprovider: mail\nspec: {}\n")
    r = run_cli("plan", str(ws), "--detailed-exitcode")
    assert r.returncode == 1
    assert "bad.yaml:" in r.stderr


def test_apply_without_tty_or_auto_approve_exits_1(ws):
    r = run_cli("apply", str(ws))
    assert r.returncode == 1
    assert "--auto-approve" in r.stderr


def test_vendor_4xx_exits_1(tmp_path, sandbox_server):
    ws = write_workspace(tmp_path / "ws4xx", {
        "campaignctl.yaml": MAIL_ONLY.format(url=sandbox_server.url + "/no-such-prefix"),
        "senders.yaml": SENDER})
    r = run_cli("plan", str(ws), "--detailed-exitcode")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "HTTP 404" in r.stderr
    assert "Traceback" not in r.stderr


def test_every_format_prints_and_partial_is_said(tmp_path):
    ws = tmp_path / "example"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    target = "Campaign/spring-sale"
    for fmt, needle in (("text", "Partial plan: only Campaign/spring-sale"),
                        ("markdown", "**Partial plan: only Campaign/spring-sale"),
                        ("json", '"partial": true')):
        r = run_cli("plan", str(ws), "--env", "staging", "--format", fmt, "--target", target)
        assert r.returncode == 0, r.stderr
        assert needle in r.stdout


PAST_CAMPAIGN = """
kind: ContactGroup
name: vip
provider: mail
spec: {title: VIP, contacts: [{email: a@example.com}]}
---
kind: Message
name: hello
provider: mail
spec: {channel: email, subject: Hi, body: "Hello. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
---
kind: Campaign
name: late
provider: mail
spec:
  message: hello
  sender: news
  contact_groups: [vip]
  send_at: 2020-01-01T09:00:00-05:00
  timezone: America/New_York
"""


def test_a_refused_action_fails_plan_and_apply_in_every_format(ws):
    (ws / "late.yaml").write_text(PAST_CAMPAIGN)
    last = "Refused: 1 action will not be applied, so this plan fails (exit 1). Campaign/late:"
    text = run_cli("plan", str(ws), "--detailed-exitcode")
    assert text.returncode == 1, text.stdout + text.stderr  # never 2, never 0
    assert "No changes" not in text.stdout
    assert text.stdout.strip().splitlines()[-1].startswith(last)
    assert "already passed" in text.stdout.strip().splitlines()[-1]
    doc = run_cli("plan", str(ws), "--format", "json", "--detailed-exitcode")
    assert doc.returncode == 1
    summary = json.loads(doc.stdout)["summary"]
    assert summary["refuse"] == 1 and summary["refused_text"].startswith(last)
    assert [r["address"] for r in summary["refused"]] == ["Campaign/late"]
    md = run_cli("plan", str(ws), "--format", "markdown")
    assert md.returncode == 1
    assert md.stdout.strip().splitlines()[-1].startswith(f":no_entry: **{last}")
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 1
    assert applied.stderr.strip().splitlines()[-1].startswith(last)
    assert "should now show no changes" not in applied.stdout
