"""Saved plans: `plan -o FILE` then `apply FILE` runs exactly the saved actions, or refuses
with exit 1 and writes nothing when the live state, the workspace or a send time moved."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import run_cli

from reconciler.engine.actions import Action, FieldChange, SendSummary
from reconciler.engine.plan import Plan
from reconciler.engine.saved import StalePlan, check_not_expired
from reconciler.providers.email_campaigns.client import EmailCampaignsClient
from reconciler.sandbox.app import build_app
from reconciler.sandbox.transport import SANDBOX_URL
from reconciler.secrets import Secret
from reconciler.state.store import SqliteStore

EXAMPLE = Path(__file__).parent.parent / "campaigns"


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Path:
    """The example workspace in its staging environment (the in-process sandbox)."""
    monkeypatch.setenv("CAMPAIGNCTL_ENV", "staging")
    target = tmp_path / "ws"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    return target


def writes(ws: Path) -> list[dict]:
    """Vendor write calls the in-process sandbox journaled."""
    journal = ws / ".campaignctl" / "staging" / "sandbox" / "requests.jsonl"
    if not journal.exists():
        return []
    rows = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("method") not in ("GET", "HEAD")]


def bindings(ws: Path) -> list:
    store = SqliteStore(ws / ".campaignctl" / "staging" / "state.db")
    try:
        return sorted((b.kind, b.name, b.remote_id) for b in store.bindings())
    finally:
        store.close()


def rename_sender_behind_the_back(ws: Path) -> None:
    sender_id = next(rid for kind, name, rid in bindings(ws)
                     if (kind, name) == ("Sender", "newsletter"))

    async def go() -> None:
        transport = httpx.ASGITransport(app=build_app(
            ws / ".campaignctl" / "staging" / "sandbox",
            [("email-campaigns", {"token": "sandbox-mail"})]))
        # The staging account configures no token: the sandbox knows it as `sandbox-mail`.
        async with EmailCampaignsClient(SANDBOX_URL, Secret("sandbox-mail"),
                                        transport=transport) as c:
            await c.update_sender(sender_id, "Renamed in the dashboard", "news@acme.example")
    asyncio.run(go())


def test_plan_file_holds_no_secrets(ws):
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace(
        "mail: {base_url: sandbox}", "mail: {base_url: sandbox, token: \"${MAIL_TOKEN}\"}", 1))
    secret = "s3cr3t-token-value-0123456789"
    r = run_cli("--debug", "plan", str(ws), "-o", str(ws / "plan.json"), env={"MAIL_TOKEN": secret})
    assert r.returncode == 0, r.stderr
    text = (ws / "plan.json").read_text()
    assert secret not in text and secret not in r.stdout + r.stderr
    doc = json.loads(text)
    assert doc["workspace"]["directory"] == str(ws.resolve())
    for key in ("format_version", "live_fingerprint", "signature", "created_at", "actions"):
        assert key in doc
    # Nor the state's plan signing key: only a digest of it names it.
    from reconciler.engine.signing import META_KEY
    store = SqliteStore(ws / ".campaignctl" / "staging" / "state.db")
    try:
        key = store.get_meta(META_KEY)
    finally:
        store.close()
    assert key and key not in text and key not in r.stdout + r.stderr
    assert doc["signature"]["key_id"] not in key


def test_plan_save_apply_runs_exactly_the_saved_actions(ws):
    plan_file = ws.parent / "plan.json"
    r = run_cli("plan", str(ws), "-o", str(plan_file))
    assert r.returncode == 0, r.stderr
    saved = json.loads(plan_file.read_text())
    expected = {f"{a['op']} {a['address']}" for a in saved["actions"]
                if a["op"] not in ("refuse", "warn")}
    assert expected

    r = run_cli("apply", str(plan_file))  # no TTY, no --auto-approve: the plan was reviewed
    assert r.returncode == 0, r.stdout + r.stderr
    # Progress is on stderr (stdout holds the report): a numbered line per action in a log.
    done = {line.split("done: ", 1)[1] for line in r.stderr.splitlines() if "] done: " in line}
    assert done == expected
    assert f"{len(expected)} done, 0 failed, 0 skipped" in r.stdout

    r = run_cli("plan", str(ws), "--detailed-exitcode")
    assert r.returncode == 0, r.stdout


def test_unrelated_live_change_is_left_alone_and_labelled_drift(ws):
    """A saved plan binds to its actions: a sender renamed in the dashboard after the
    review does not block the reviewed opt-out update, and is not silently reverted."""
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    # A change to plan: a new opt-out in the manifest.
    optouts = ws / "optouts.yaml"
    optouts.write_text(optouts.read_text().replace("entries:", "entries:\n    - late@acme.example", 1))
    plan_file = ws.parent / "plan.json"
    r = run_cli("plan", str(ws), "-o", str(plan_file))
    assert r.returncode == 0 and "OptOutList/unsubscribed" in r.stdout, r.stdout + r.stderr
    assert "[changed in the manifests]" in r.stdout

    rename_sender_behind_the_back(ws)
    before_writes = len(writes(ws))
    r = run_cli("apply", str(plan_file))
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("Note: Sender/newsletter: changed outside campaignctl since the plan was saved"
            in r.stdout)
    assert "left alone" in r.stdout and "Read-back: still differs" not in r.stderr
    new_writes = writes(ws)[before_writes:]
    assert [w["path"] for w in new_writes] == ["/email/optout/bulk/add/"]

    r = run_cli("plan", str(ws), "--detailed-exitcode", "--format", "json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    [action] = [a for a in doc["actions"] if a["op"] != "warn"]
    assert (action["address"], action["op"], action["origin"]) == (
        "Sender/newsletter", "update", "outside")
    assert action["origin_label"] == "changed outside campaignctl"
    assert doc["summary"]["drift"] == 1


def test_reapplied_plan_refuses_with_what_changed(ws):
    plan_file = ws.parent / "plan.json"
    assert run_cli("plan", str(ws), "-o", str(plan_file)).returncode == 0
    assert run_cli("apply", str(plan_file)).returncode == 0
    before_writes, before_bindings = len(writes(ws)), bindings(ws)
    r = run_cli("apply", str(plan_file))
    assert r.returncode == 1
    assert "the live state changed since the plan was saved" in r.stderr
    assert ("Campaign/spring-sale: gone: reviewed create, apply would now do nothing (already "
            "applied" in r.stderr)
    assert "Traceback" not in r.stderr
    assert len(writes(ws)) == before_writes
    assert bindings(ws) == before_bindings


def test_changed_workspace_refuses(ws):
    plan_file = ws.parent / "plan.json"
    assert run_cli("plan", str(ws), "-o", str(plan_file)).returncode == 0
    senders = ws / "senders.yaml"
    senders.write_text(senders.read_text().replace("Acme Newsletter", "Acme News"))
    before = len(writes(ws))  # plan may POST a cost simulation (octopush simulation_mode)
    r = run_cli("apply", str(plan_file))
    assert r.returncode == 1
    assert "the workspace changed since the plan was saved" in r.stderr
    assert "Sender/newsletter: changed inputs since the review: manifest Sender/newsletter" \
        in r.stderr
    assert len(writes(ws)) == before


def test_edited_plan_file_refuses(ws):
    plan_file = ws.parent / "plan.json"
    assert run_cli("plan", str(ws), "-o", str(plan_file)).returncode == 0
    doc = json.loads(plan_file.read_text())
    doc["actions"] = doc["actions"][:1]
    plan_file.write_text(json.dumps(doc))
    before = len(writes(ws))
    r = run_cli("apply", str(plan_file))
    assert r.returncode == 1 and "was edited after it was saved" in r.stderr
    assert len(writes(ws)) == before


def _send_plan(send_at: str | None, start: str | None) -> Plan:
    actions = []
    if send_at is not None:
        actions.append(Action("send", "Campaign", "flash", "sms", "not sent yet",
                              send=SendSummary(10, 1, send_at)))
    if start is not None:
        actions.append(Action("create", "Campaign", "sale", "mail", "not in the account",
                              changes=[FieldChange("start", None, start)]))
    return Plan(actions, "f" * 64, "d" * 64)


def test_passed_send_time_refuses():
    now = datetime(2027, 3, 21, 12, 0, tzinfo=UTC)
    check_not_expired(_send_plan("2027-03-22T09:00:00+01:00", "2027-03-22 09:00 EST5EDT"), now)
    check_not_expired(_send_plan(None, None), now)
    with pytest.raises(StalePlan, match="Campaign/flash: scheduled send time"):
        check_not_expired(_send_plan((now - timedelta(minutes=1)).isoformat(), None), now)
    with pytest.raises(StalePlan, match="Campaign/sale: scheduled start time"):
        check_not_expired(_send_plan(None, "2027-03-20 09:00 America/New_York"), now)


def test_apply_of_a_plan_whose_send_time_passed_refuses(ws):
    plan_file = ws.parent / "plan.json"
    assert run_cli("plan", str(ws), "-o", str(plan_file)).returncode == 0
    doc = json.loads(plan_file.read_text())
    from reconciler.engine.saved import plan_from_document
    plan, _ = plan_from_document(doc)
    campaign = next(a for a in plan.actions if a.kind == "Campaign" and a.changes)
    change = next(c for c in campaign.changes if c.field in ("start", "send_at"))
    change.after = "2020-01-01T09:00:00+00:00"
    # Re-signed with the state's key, as only the plan job could.
    from reconciler.saved_plans import save_signed
    from reconciler.state.backend import open_workspace_store
    store = open_workspace_store(ws, "staging")
    try:
        save_signed(plan, plan_file, ws, [], store)
    finally:
        store.close()
    before = len(writes(ws))
    r = run_cli("apply", str(plan_file))
    assert r.returncode == 1
    assert "has already passed" in r.stderr
    assert len(writes(ws)) == before


def refuse_deleting_vip(ws: Path) -> None:
    """Applied with `prevent_destroy: true` on ContactGroup/vip, then its manifest removed:
    every plan now refuses to delete it."""
    groups = ws / "groups.yaml"
    groups.write_text(groups.read_text().replace(
        "name: vip\nprovider: mail\n", "name: vip\nprovider: mail\n"
        "lifecycle: {prevent_destroy: true}\n", 1))
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    groups.write_text(groups.read_text().split("---\n", 1)[1])


def test_a_saved_plan_with_a_refused_action_is_never_applied_in_part(ws):
    refuse_deleting_vip(ws)
    senders = ws / "senders.yaml"  # a change that could go through on its own
    senders.write_text(senders.read_text().replace("Acme Newsletter", "Acme News"))
    plan_file = ws.parent / "plan.json"
    r = run_cli("plan", str(ws), "-o", str(plan_file), "--format", "markdown")
    assert r.returncode == 1
    # The cause is on stderr too (a CI job posts it), and the file is not offered to apply.
    assert "Error: Refused: 1 action will not be applied" in r.stderr
    assert "for review only: it holds refused actions, and apply refuses it" in r.stderr
    before = len(writes(ws))
    r = run_cli("apply", str(plan_file))
    assert r.returncode == 1
    assert ("the saved plan holds 1 refused action, so it failed as a whole and is never "
            "applied in part, nothing was changed: ContactGroup/vip: lifecycle.prevent_destroy"
            in r.stderr), r.stderr
    assert len(writes(ws)) == before
