"""Issue 31: one identity rule for every kind with a natural key, resolved by the engine.

A bound live object deleted in the vendor's dashboard and re-created there with the same
natural key (sender address, group title, message subject and body, campaign name) is the
manifest's object again: `plan` adopts it (`= adopt`, no create), `apply` leaves exactly
one live object, and nothing that used the old one is replaced. The same holds when the
dashboard change happens between `plan -o` and `apply plan.json`, and a first plan against
an account that already holds the key adopts it the same way.

Scheduled-campaigns has no list endpoint (a re-created campaign's id cannot be found), and
Octopush and Connectly hold no live objects: email-campaigns is the vendor with natural keys.

The "dashboard" here is the vendor API itself, called as documented."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from conftest import run_cli, sandbox_accounts

from reconciler.providers.email_campaigns.client import EmailCampaignsClient, oid, ref
from reconciler.secrets import Secret

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "identity-t0ken-not-printed"
BASE = ("groups.yaml", "messages.yaml", "optouts.yaml", "senders.yaml", "subscribers.csv")


def workspace(tmp_path: Path, server, campaigns: bool = True) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    for name in BASE + (("campaigns.yaml",) if campaigns else ()):
        shutil.copy(ROOT / "campaigns" / name, ws / name)
    (ws / "campaignctl.yaml").write_text(
        "providers:\n  mail:\n    type: email-campaigns\n"
        f"    base_url: {server.url}\n    token: ${{MAIL_TOKEN}}\n"
        # the example's messages show its postal address (the pack's email rules)
        'policy: {email: {postal_address: "Acme Inc., 100 Main Street, Springfield, IL 62701, '
        'USA"}}\n')
    return sandbox_accounts(ws, {"MAIL_TOKEN": TOKEN})


def cli(*args: str) -> subprocess.CompletedProcess:
    result = run_cli(*args, env={"MAIL_TOKEN": TOKEN})
    assert "Traceback" not in result.stderr, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return result


def apply(*args: str) -> subprocess.CompletedProcess:
    result = cli("apply", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def dashboard(server, work):
    """Run `work(client)` against the account, as a person in the vendor's dashboard."""
    async def go():
        async with EmailCampaignsClient(server.url, Secret(TOKEN)) as client:
            return await work(client)
    return asyncio.run(go())


def stats(server) -> dict[str, int]:
    return server.get("/_sandbox/email-campaigns/stats").json()


def live_campaigns(server) -> list[dict]:
    return dashboard(server, lambda c: c.list_campaigns())


async def rebuild_sender(client) -> str:
    """Delete Sender/newsletter's live object and make another with the same address."""
    old = next(s for s in await client.list_senders() if s["email"] == "news@acme.example")
    await client.delete_sender(oid(old))
    return oid(await client.create_sender("Acme Newsletter", "news@acme.example"))


async def rebuild_group(client) -> str:
    old = next(g for g in await client.list_groups() if g["tag"] == "VIP customers")
    await client.delete_group(oid(old))
    new = oid(await client.create_group("VIP customers"))
    await client.bulk_replace_contacts(new, [
        {"email": c["email"], "name": c.get("name", "")} for c in old["contacts"]])
    return new


async def rebuild_message(client) -> str:
    old = next(m for m in await client.list_messages()
               if m["description"] == "Spring sale starts now")
    await client.delete_message(oid(old))
    return oid(await client.create_message(old["description"], old["email_message"]))


REBUILD = {"Sender/newsletter": rebuild_sender, "ContactGroup/vip": rebuild_group,
           "Message/spring-sale-email": rebuild_message}


def assert_adopts_only(plan: subprocess.CompletedProcess, *addresses: str) -> None:
    out = plan.stdout
    for address in addresses:
        assert f"= adopt {address} (mail)" in out, out
    assert "+ create" not in out and "-/+ replace" not in out and "! refuse" not in out, out


@pytest.mark.parametrize("address", sorted(REBUILD))
def test_object_recreated_in_the_dashboard_is_adopted_not_duplicated(
        tmp_path, sandbox_server, address):
    ws = workspace(tmp_path, sandbox_server, campaigns=False)
    apply("--auto-approve", str(ws))
    before = stats(sandbox_server)
    new_id = dashboard(sandbox_server, REBUILD[address])

    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert_adopts_only(plan, address)
    assert new_id in plan.stdout  # the plan names the live object it binds

    apply("--auto-approve", str(ws))
    assert stats(sandbox_server) == before  # exactly one live object, as before
    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout
    shown = cli("state", "show", address, str(ws))
    assert new_id in shown.stdout, shown.stdout + shown.stderr


def test_campaign_rebuilt_in_the_dashboard_keeps_one_campaign_and_one_sender(
        tmp_path, sandbox_server):
    """The issue's example: the sender deleted and re-created with the same address (its
    campaign cancelled and made again first, as the vendor requires). Plan adopts both,
    creates no second sender and replaces no campaign."""
    ws = workspace(tmp_path, sandbox_server)
    apply("--auto-approve", str(ws))

    async def rebuild(client):
        old = next(c for c in await client.list_campaigns())
        await client.set_status(oid(old), "cancelled")
        sender = await rebuild_sender(client)
        attributes = {
            "message": {"source": "reuse", "_id": old["message_id"]},
            "contact_group": {"type": "reuse", "_id": old["contact_group_id"]},
            "schedule": {"name": old["name"],
                         "start_date": old["start_date"][:16].replace("T", " "),
                         "timezone": old["timezone"], "sender_id": ref(sender)}}
        return oid(await client.create_campaign(attributes))

    campaign = dashboard(sandbox_server, rebuild)
    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert_adopts_only(plan, "Sender/newsletter", "Campaign/spring-sale")

    apply("--auto-approve", str(ws))
    assert stats(sandbox_server)["senders"] == 1
    active = [oid(c) for c in live_campaigns(sandbox_server) if c["status"] == "active"]
    assert active == [campaign]
    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout


def test_sender_recreated_after_its_campaign_was_sent_leaves_the_campaign_alone(
        tmp_path, sandbox_server):
    """A sent campaign still names the deleted sender's id: that is the same manifest's
    sender, so the frozen campaign is neither replaced nor refused, now or later."""
    ws = workspace(tmp_path, sandbox_server)
    apply("--auto-approve", str(ws))
    now = sandbox_server.get("/_sandbox/clock").json()["timestamp"]
    start = datetime.fromisoformat("2027-03-20T13:00:00+00:00").timestamp()
    sandbox_server.post("/_sandbox/clock", {"advance_seconds": start - now + 3600})
    assert live_campaigns(sandbox_server)[0]["status"] == "completed"
    dashboard(sandbox_server, rebuild_sender)

    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert_adopts_only(plan, "Sender/newsletter")
    assert "Campaign/spring-sale" not in plan.stdout
    apply("--auto-approve", str(ws))
    assert stats(sandbox_server)["senders"] == 1
    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout


def test_recreated_between_saved_plan_and_its_apply(tmp_path, sandbox_server):
    """`plan -o` reviews a new campaign on the sender; the sender is deleted and re-created
    before `apply plan.json`: the apply adopts it and creates the campaign on it."""
    ws = workspace(tmp_path, sandbox_server, campaigns=False)
    apply("--auto-approve", str(ws))
    shutil.copy(ROOT / "campaigns" / "campaigns.yaml", ws / "campaigns.yaml")
    saved = tmp_path / "plan.json"
    planned = cli("plan", str(ws), "-o", str(saved))
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "+ create Campaign/spring-sale (mail)" in planned.stdout
    sender = dashboard(sandbox_server, rebuild_sender)

    applied = apply(str(saved))
    assert f"live id {sender} has the same email address: binding it" in applied.stdout
    assert stats(sandbox_server)["senders"] == 1
    (campaign,) = live_campaigns(sandbox_server)
    assert campaign["sender_id"] == ref(sender)
    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout


def test_first_plan_and_recreated_object_agree(tmp_path, sandbox_server):
    """An account that already holds the address before the first plan: the same `= adopt`
    line as for a bound sender re-created in the dashboard."""
    ws = workspace(tmp_path, sandbox_server, campaigns=False)
    sender = dashboard(sandbox_server,
                       lambda c: c.create_sender("Acme Newsletter", "news@acme.example"))
    first = cli("plan", str(ws))
    line = next(x for x in first.stdout.splitlines() if "Sender/newsletter" in x)
    assert line.strip().startswith("= adopt Sender/newsletter"), first.stdout
    assert oid(sender) in first.stdout
    apply("--auto-approve", str(ws))
    assert stats(sandbox_server)["senders"] == 1


def rename_in(ws: Path, old: str, new: str, *files: str) -> None:
    for name in files:
        path = ws / name
        path.write_text(path.read_text().replace(old, new))


def test_sent_campaign_renamed_is_recognised_and_its_state_moves(tmp_path, sandbox_server):
    """Renaming a sent campaign's manifest (its title kept) is the same campaign: no second
    send planned, no refusal of the old one; apply moves its state as `state mv` would."""
    ws = workspace(tmp_path, sandbox_server)
    apply("--auto-approve", str(ws))
    now = sandbox_server.get("/_sandbox/clock").json()["timestamp"]
    start = datetime.fromisoformat("2027-03-20T13:00:00+00:00").timestamp()
    sandbox_server.post("/_sandbox/clock", {"advance_seconds": start - now + 3600})
    (sent,) = live_campaigns(sandbox_server)
    rename_in(ws, "name: spring-sale\n", "name: spring-sale-2027\n", "campaigns.yaml")

    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert_adopts_only(plan, "Campaign/spring-sale-2027")
    assert "renamed from Campaign/spring-sale (live id " in plan.stdout
    assert "as `campaignctl state mv Campaign/spring-sale Campaign/spring-sale-2027` would" \
        in plan.stdout
    assert "- delete" not in plan.stdout
    apply("--auto-approve", str(ws))
    assert [oid(c) for c in live_campaigns(sandbox_server)] == [oid(sent)]
    shown = cli("state", "show", "Campaign/spring-sale-2027", str(ws))
    assert oid(sent) in shown.stdout, shown.stdout + shown.stderr
    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout


def test_renamed_sender_is_the_same_sender_not_a_second_one(tmp_path, sandbox_server):
    ws = workspace(tmp_path, sandbox_server)
    apply("--auto-approve", str(ws))
    rename_in(ws, "newsletter\n", "news\n", "senders.yaml", "campaigns.yaml")
    plan = cli("plan", "--detailed-exitcode", str(ws))
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert_adopts_only(plan, "Sender/news")
    assert "renamed from Sender/newsletter" in plan.stdout and "- delete" not in plan.stdout
    apply("--auto-approve", str(ws))
    assert stats(sandbox_server)["senders"] == 1
    again = cli("plan", "--detailed-exitcode", str(ws))
    assert again.returncode == 0 and "No changes." in again.stdout, again.stdout
