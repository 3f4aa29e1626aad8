"""for_each templates: one document per key, the template's positions in every error, names
derived predictably, the template named in the plan; removing a key is a delete."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cli_inprocess import campaignctl as run_cli
from conftest import EMAIL_FOOTER, EMAIL_POLICY, write_workspace

from reconciler import api
from reconciler.engine.saved import plan_document
from reconciler.render.text import render_text
from reconciler.render.view import PlanView
from reconciler.sandbox.app import build_app
from reconciler.sandbox.transport import SANDBOX_URL
from reconciler.validate import errors_of, validate_directory

CONFIG = """
providers:
  mail: {type: email-campaigns, base_url: sandbox}
  sms: {type: octopush, base_url: sandbox}
""" + EMAIL_POLICY + """vars:
  year: 2027
"""
BASE = """
kind: Sender
name: news
provider: mail
spec: {email: news@acme.example}
---
kind: OptOutList
name: stop
provider: mail
spec: {entries: [former@example.com]}
---
kind: ContactGroup
name: readers
provider: mail
spec:
  title: Readers
  contacts: [{email: ada@example.com}, {email: alan@example.com}]
"""
LOCALES = """
kind: Message
name: sale
provider: mail
for_each:
  fr: {subject: "Les soldes"}
  de: {subject: "Der Ausverkauf"}
  es: {subject: "Las rebajas"}
spec:
  channel: email
  subject: ${each.value.subject} ${var.year}
  body_file: bodies/${each.key}.html
---
kind: Campaign
name: sale
provider: mail
for_each: [fr, de, es]
spec:
  message: sale-${each.key}
  sender: news
  contact_groups: [readers]
  opt_out_lists: [stop]
  send_at: 2030-03-20T09:00:00-04:00
  timezone: America/New_York
  state: active
""".lstrip()


@pytest.fixture
def ws(tmp_path) -> Path:
    return write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG, "base.yaml": BASE, "locales.yaml": LOCALES,
        **{f"bodies/{k}.html": f"<p>{k} body</p>\n<p>{EMAIL_FOOTER}</p>\n" for k in ("fr", "de", "es")}})


def test_three_locales_plan_as_three_campaigns_with_their_own_subjects(ws):
    plan = api.plan(ws).plan
    creates = {a.address: a for a in plan.actions if a.op == "create"}
    subjects = {a.name: next(c.after for c in a.changes if c.field == "subject")
                for a in creates.values() if a.kind == "Message"}
    assert subjects == {"sale-fr": "Les soldes 2027", "sale-de": "Der Ausverkauf 2027",
                        "sale-es": "Las rebajas 2027"}
    bodies = {a.name: next(c.after for c in a.changes if c.field == "body")
              for a in creates.values() if a.kind == "Message"}
    assert bodies["sale-de"] == f"<p>de body</p>\n<p>{EMAIL_FOOTER}</p>\n"
    assert {a for a in creates if a.startswith("Campaign/")} == {
        "Campaign/sale-fr", "Campaign/sale-de", "Campaign/sale-es"}
    assert plan.templates["Campaign/sale-de"] == "Campaign/sale[de]"
    text = render_text(plan)
    assert "+ create Campaign/sale-es (mail) [changed in the manifests]: not in the account\n    from template " \
           "Campaign/sale[es]" in text
    doc = plan_document(PlanView(plan))
    assert {a["address"]: a["template"] for a in doc["actions"]}["Message/sale-fr"] == \
        "Message/sale[fr]"


def test_target_a_template_or_one_of_its_resources(ws):
    plan = api.plan(ws, targets=["Campaign/sale"]).plan
    assert sorted(a.address for a in plan.actions if a.kind == "Campaign") == [
        "Campaign/sale-de", "Campaign/sale-es", "Campaign/sale-fr"]
    plan = api.plan(ws, targets=["Campaign/sale-fr"]).plan
    assert sorted(a.address for a in plan.actions if a.kind in ("Campaign", "Message")) == [
        "Campaign/sale-fr", "Message/sale-fr"]


def test_an_error_in_the_template_is_reported_once_per_expansion_at_its_line(ws):
    (ws / "locales.yaml").write_text(LOCALES.replace(
        "${each.value.subject} ${var.year}", "${each.value.subjet}").replace(
        "timezone: America/New_York", "timezone: Mars/Olympus"))
    _, diagnostics = validate_directory(ws)
    shown = [str(d) for d in errors_of(diagnostics)]
    path = f"{ws}/locales.yaml"
    assert shown == [
        f"{path}:10:12: Message/sale[fr]: each.value has no field 'subjet' (in "
        "${each.value.subjet})",
        f"{path}:10:12: Message/sale[de]: each.value has no field 'subjet' (in "
        "${each.value.subjet})",
        f"{path}:10:12: Message/sale[es]: each.value has no field 'subjet' (in "
        "${each.value.subjet})",
        f"{path}:23:13: Campaign/sale[fr]: spec.timezone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as Europe/Paris)",
        f"{path}:23:13: Campaign/sale[de]: spec.timezone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as Europe/Paris)",
        f"{path}:23:13: Campaign/sale[es]: spec.timezone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as Europe/Paris)",
    ]


def test_rule_errors_name_the_expanded_resource_at_the_template_line(ws):
    (ws / "locales.yaml").write_text(LOCALES.replace("sender: news", "sender: nobody"))
    _, diagnostics = validate_directory(ws)
    assert [str(d) for d in errors_of(diagnostics)] == [
        f"{ws}/locales.yaml:19:11: Campaign/sale-{k}: Sender 'nobody' does not exist"
        for k in ("de", "es", "fr")]


def test_removing_a_key_plans_its_delete_and_a_launched_one_stays_refused(ws):
    assert api.apply(ws).result.ok
    (ws / "locales.yaml").write_text(LOCALES.replace("for_each: [fr, de, es]",
                                                     "for_each: [fr, de]"))
    plan = api.plan(ws).plan
    assert [(a.op, a.address) for a in plan.changes] == [("delete", "Campaign/sale-es")]
    # Once the vendor has sent it, removing its key is refused like removing any manifest.
    advance_sandbox_clock(ws, datetime(2030, 3, 21, tzinfo=UTC))
    plan = api.plan(ws).plan
    assert not plan.has_changes
    [refused] = [a for a in plan.actions if a.address == "Campaign/sale-es"]
    assert refused.op == "refuse" and "a launched campaign is frozen" in refused.reason


def advance_sandbox_clock(ws: Path, to: datetime) -> None:
    async def go() -> None:
        app = build_app(ws / ".campaignctl" / "sandbox")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=SANDBOX_URL) as c:
            now = (await c.get("/_sandbox/clock")).json()["timestamp"]
            await c.post("/_sandbox/clock", json={"advance_seconds": to.timestamp() - now})
    asyncio.run(go())


SMS = """
kind: Sender
name: acme
provider: sms
spec: {sms_id: ACME}
---
kind: Message
name: promo
provider: sms
spec: {channel: sms, text: "Promo -20%. STOP au 36111"}
---
kind: ContactGroup
name: people
provider: sms
spec:
  contacts: [{phone: "+33612345678"}, {phone: "+33698765432"}]
---
kind: Campaign
name: promo
provider: sms
for_each: [paris, lyon]
spec:
  message: promo
  sender: acme
  contact_groups: [people]
  send_at: now
  octopush: {purpose: alert, type: sms_premium}  # transactional: any hour, not about windows
""".lstrip()


def test_a_sent_send_only_campaign_removed_from_for_each_is_kept_and_never_resent(tmp_path):
    ws = write_workspace(tmp_path / "sms", {"campaignctl.yaml": CONFIG, "sms.yaml": SMS})
    plan = api.plan(ws).plan
    assert sorted(a.address for a in plan.actions if a.op == "send") == [
        "Campaign/promo-lyon", "Campaign/promo-paris"]
    assert api.apply(ws).result.ok
    # Octopush has nothing to delete: the send ledger keeps who was sent, as for any manifest.
    (ws / "sms.yaml").write_text(SMS.replace("[paris, lyon]", "[paris]"))
    assert not api.plan(ws).plan.has_changes
    (ws / "sms.yaml").write_text(SMS)
    again = api.plan(ws).plan
    assert not again.has_changes, [a.address for a in again.changes]


def test_names_keys_and_variables_in_for_each(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG + "  regions: {north: {title: Nord}, south: {title: Sud}}\n",
        "groups.yaml": """
            kind: ContactGroup
            name: ${each.key}-readers
            provider: mail
            for_each: ${var.regions}
            spec:
              title: ${each.value.title}
              contacts: [{email: a@example.com}]
            ---
            kind: ContactGroup
            name: dup
            provider: mail
            for_each: [x, "Bad Key", x]
            spec: {contacts: [{email: a@example.com}]}
            ---
            kind: ContactGroup
            name: north-readers
            provider: mail
            spec: {contacts: [{email: a@example.com}]}
            """})
    ws_, diagnostics = validate_directory(ws)
    shown = [str(d) for d in errors_of(diagnostics)]
    assert shown == [
        f"{ws}/groups.yaml:12:1: ContactGroup/dup: for_each key 'Bad Key' cannot be part of "
        "a name (lowercase letters, digits, . _ -; at most 32)",
        f"{ws}/groups.yaml:12:1: ContactGroup/dup: for_each key 'x' is listed twice",
        f"{ws}/groups.yaml:16:7: duplicate ContactGroup name 'north-readers' (first defined "
        f"at {ws}/groups.yaml:1:1)",
    ]
    assert ws_.get("ContactGroup", "south-readers").spec.title == "Sud"


def test_render_prints_the_expanded_manifests(ws):
    r = run_cli("render", str(ws))
    assert r.returncode == 0, r.stderr
    docs = r.stdout.split("---\n")
    assert len(docs) == 9
    fr = next(d for d in docs if "name: sale-fr\n" in d and "kind: Message" in d)
    assert fr.startswith(f"# from {ws}/locales.yaml:1:1, template Message/sale[fr]\n")
    assert "subject: Les soldes 2027\n" in fr and "for_each" not in fr
    (ws / "locales.yaml").write_text(LOCALES.replace("${var.year}", "${var.yaer}"))
    r = run_cli("render", str(ws))
    assert r.returncode == 1 and r.stdout == ""
    assert (f"{ws}/locales.yaml:10:12: Message/sale[fr]: unknown variable var.yaer (declare "
            "it under `vars:` in campaignctl.yaml or the environment; known: year)") in r.stderr
