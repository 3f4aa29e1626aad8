"""`campaignctl import` for email-campaigns, end to end over real HTTP: an account full of
objects made elsewhere is adopted into an empty workspace, which then validates, plans
clean and applies with zero writes."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta

from conftest import EMAIL_FOOTER, EMAIL_POLICY, run_cli, write_workspace

from reconciler.providers.email_campaigns.client import EmailCampaignsClient, oid, ref
from reconciler.secrets import Secret

TOKEN = "imp0rt-t0ken"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


def seed(server, contacts: int) -> dict[str, str]:
    """The vendor account, and live objects of every kind, as a dashboard would have made
    them."""
    server.add_account("email-campaigns", token=TOKEN)

    async def go() -> dict[str, str]:
        async with EmailCampaignsClient(server.url, Secret(TOKEN)) as c:
            news = await c.create_sender("Acme News", "news@acme.example")
            await c.create_sender("Support desk", "support@acme.example")
            await c.bulk_add_optouts(["gone@example.com", "Stop@Example.org"])
            big = await c.create_group("All customers")
            await c.bulk_replace_contacts(oid(big), [
                {"email": f"c{i}@example.com",
                 "name": ("Ada Lovelace" if i % 3 == 0 else "Mary Ann  Smith" if i % 3 == 1
                          else "")} for i in range(contacts)])
            vip = await c.create_group("VIP, best")
            await c.bulk_replace_contacts(oid(vip), [{"email": "vip@example.com",
                                                      "name": "Grace Hopper"}])
            # a marketing email as the pack's email rules want it: opt-out link, postal address
            msg = await c.create_message("Spring sale", "Hello,\n\n20% off: until Sunday.\n"
                                         f"{EMAIL_FOOTER}\n")
            await c.create_message("Plain", "one line")
            start = (datetime.now(UTC) + timedelta(days=30)).astimezone()
            attrs = {"message": {"source": "reuse", "_id": ref(oid(msg))},
                     "contact_group": {"type": "reuse", "_id": ref(oid(big))},
                     "schedule": {"name": "Spring sale", "start_date": start.strftime(
                         "%Y-%m-%d 09:00"), "timezone": "EST5EDT",
                         "sender_id": ref(oid(news))}}
            live = await c.create_campaign(attrs)
            paused = await c.create_campaign({**attrs, "contact_group": {
                "type": "reuse", "_id": ref(oid(vip))}, "schedule": {
                    **attrs["schedule"], "name": "VIP preview", "timezone": "PST8PDT"}})
            await c.set_status(oid(paused), "paused")
            past = (datetime.now(UTC) - timedelta(days=2)).astimezone()
            await c.create_campaign({**attrs, "contact_group": {
                "type": "reuse", "_id": ref(oid(vip))}, "schedule": {
                    **attrs["schedule"], "name": "Last week",
                    "start_date": past.strftime("%Y-%m-%d 09:00")}})
            gone = await c.create_campaign({**attrs, "schedule": {**attrs["schedule"],
                                                                  "name": "Cancelled one"}})
            await c.set_status(oid(gone), "cancelled")
            return {"campaign": oid(live), "paused": oid(paused), "cancelled": oid(gone)}
    return asyncio.run(go())


def config(url: str) -> str:
    return f"""
        providers:
          mail:
            type: email-campaigns
            base_url: {url}
            token: ${{MAIL_TOKEN}}
        """ + EMAIL_POLICY


def ok(result) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    return out


def writes(server) -> list:
    return [(e["method"], e["path"]) for e in server.get("/_sandbox/requests").json()
            if e["method"] in WRITES]


def test_an_account_imported_into_an_empty_workspace_plans_clean(tmp_path, sandbox_server, monkeypatch):
    ids = seed(sandbox_server, 10_000)
    monkeypatch.setenv("MAIL_TOKEN", TOKEN)
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(sandbox_server.url)})
    dry = ok(run_cli("import", "mail", str(ws), "--dry-run"))
    assert "would import ContactGroup/all-customers" in dry and "10,000 contacts" in dry
    assert "Dry run: nothing was written" in dry and not (ws / "imported-mail.yaml").exists()

    out = ok(run_cli("import", "mail", str(ws)))
    assert TOKEN not in out and "c1@example.com" not in out  # counts, never addresses
    for address in ("Sender/acme-news", "Sender/support-desk", "OptOutList/mail-opt-outs",
                    "ContactGroup/all-customers", "ContactGroup/vip-best",
                    "Message/spring-sale", "Message/plain", "Campaign/spring-sale",
                    "Campaign/vip-preview", "Campaign/last-week"):
        assert f"imported {address}" in out, out
    assert "Cancelled one" not in out and ids["cancelled"] not in out
    text = (ws / "imported-mail.yaml").read_text()
    assert "completed: already sent and frozen" in out
    assert "lifecycle:\n  ignore_changes: [state]" in text
    # written in the layout `campaignctl fmt` keeps: a fmt after import changes nothing
    from reconciler.fmt import format_text
    assert format_text(text) == text
    assert text.index("kind: Campaign\nname: last-week\nprovider: mail\nlifecycle:") > 0
    # every $schema line points at a file that exists, relative to the manifest
    refs = {line.split("$schema=")[1] for line in text.splitlines() if "$schema=" in line}
    assert refs and all((ws / r).is_file() for r in refs), refs
    with open(ws / "all-customers.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 10_000 and rows[0] == {"email": "c0@example.com",
                                               "first_name": "Ada", "last_name": "Lovelace"}

    ok(run_cli("validate", str(ws)))
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout
    server_before = len(writes(sandbox_server))
    applied = ok(run_cli("apply", str(ws), "--auto-approve"))
    assert "No changes" in applied and len(writes(sandbox_server)) == server_before
    listed = ok(run_cli("state", "list", str(ws)))
    assert f"Campaign/spring-sale\tmail\t{ids['campaign']}" in listed

    # nothing left to import; never overwrites; filters
    again = ok(run_cli("import", "mail", str(ws), "--out", "more.yaml"))
    assert "Nothing to import" in again and not (ws / "more.yaml").exists()
    refused = run_cli("import", "mail", str(ws))
    assert refused.returncode == 1 and "already exists" in refused.stderr


def test_filters_force_and_missing_references(tmp_path, sandbox_server, monkeypatch):
    seed(sandbox_server, 5)
    monkeypatch.setenv("MAIL_TOKEN", TOKEN)
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(sandbox_server.url)})
    only = ok(run_cli("import", "mail", str(ws), "--kind", "Campaign"))
    assert "skipped Campaign/spring-sale" in only and "neither in the workspace" in only
    assert not (ws / "imported-mail.yaml").exists()

    senders = ok(run_cli("import", "mail", str(ws), "--kind", "Sender", "--name", "Acme*",
                         ))
    assert "imported Sender/acme-news" in senders and "support" not in senders
    (ws / "vip-best.csv").write_text("email\nkeep@example.com\n")
    rest = run_cli("import", "mail", str(ws), "--out", "rest.yaml")
    assert rest.returncode == 1 and "vip-best.csv already exists" in rest.stderr
    assert not (ws / "rest.yaml").exists()
    ok(run_cli("import", "mail", str(ws), "--out", "rest.yaml", "--force"))
    ok(run_cli("validate", str(ws)))
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    # --force over a file of imported manifests re-imports them under the same names
    forced = ok(run_cli("import", "mail", str(ws), "--force"))
    assert "imported Sender/acme-news" in forced
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_send_only_accounts_say_they_cannot_be_imported(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": """
        providers:
          sms: {type: octopush, base_url: sandbox}
        """})
    result = run_cli("import", "sms", str(ws))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "send-only" in lines[0] and "state ledger import" in lines[0]


def test_an_unbound_manifest_with_the_same_key_is_not_imported_twice(tmp_path, sandbox_server,
                                                                     monkeypatch):
    seed(sandbox_server, 5)
    monkeypatch.setenv("MAIL_TOKEN", TOKEN)
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": config(sandbox_server.url),
        "news.yaml": """
            kind: Sender
            name: newsletter
            provider: mail
            spec: {description: Acme News, email: news@acme.example}
            """})
    out = ok(run_cli("import", "mail", str(ws)))
    assert "skipped Sender 'Acme News'" in out and "Sender/newsletter" in out
    assert "imported Sender/acme-news" not in out
    assert "sender: newsletter" in (ws / "imported-mail.yaml").read_text()
    ok(run_cli("apply", str(ws), "--auto-approve"))  # binds Sender/newsletter (adopt)
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
