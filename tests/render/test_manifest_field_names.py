"""The plan speaks the manifest's language: every manifest field of every kind, on every
vendor, changed one at a time after an apply, is printed under its manifest name (its
path under `spec:`, or KIND/NAME.FIELD for a field of another manifest a send depends on)
in text, Markdown and JSON, with values as the manifest writes them (references by name,
send times in the campaign's zone with its offset, then UTC). The vendor's own names stay
in the JSON's `vendor` block and appear in text only under --debug.

The golden files (tests/golden/fields.*) are the plans a reviewer reads for each edit."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import jsonschema
import pytest
from conftest import EMAIL_FOOTER, check_golden, write_workspace

from reconciler import api
from reconciler.engine.plan import Plan
from reconciler.engine.plan_view import PlanView
from reconciler.engine.saved import load_schema, plan_document
from reconciler.render.markdown import render_markdown
from reconciler.render.text import action_lines, render_text

FILES = {
    "campaignctl.yaml": """
        providers:
          mail: {type: email-campaigns, base_url: sandbox}
          sched: {type: scheduled-campaigns, base_url: sandbox}
          sms: {type: octopush, base_url: sandbox}
          whatsapp: {type: connectly, base_url: sandbox}
        policy: {email: {postal_address: "Acme Inc., 1 Main St, Springfield"}}
        """,
    "mail.yaml": """
        kind: Sender
        name: news
        provider: mail
        spec: {description: Acme News, email: news@acme.example}
        ---
        kind: Sender
        name: support
        provider: mail
        spec: {description: Acme Support, email: support@acme.example}
        ---
        kind: OptOutList
        name: unsubscribed
        provider: mail
        spec: {entries: [gone@example.com]}
        ---
        kind: ContactGroup
        name: subscribers
        provider: mail
        spec:
          title: Subscribers
          contacts:
            - {email: ada@example.com, first_name: Ada}
            - {email: alan@example.com, first_name: Alan}
        ---
        kind: ContactGroup
        name: vip
        provider: mail
        spec:
          title: VIP
          contacts: [{email: grace@example.com, first_name: Grace}]
        ---
        kind: Message
        name: welcome
        provider: mail
        spec:
          channel: email
          subject: Welcome to our newsletter
          body: "Hello, welcome aboard. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"
        ---
        kind: Message
        name: reminder
        provider: mail
        spec: {channel: email, subject: A reminder, body: "Hello again. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
        ---
        kind: Campaign
        name: launch
        provider: mail
        spec:
          title: Spring launch
          message: welcome
          sender: news
          contact_groups: [subscribers]
          opt_out_lists: [unsubscribed]
          send_at: 2027-03-20T09:00:00-04:00
          timezone: America/New_York
          state: active
        """,
    "sched.yaml": """
        kind: Campaign
        name: winter
        provider: sched
        spec:
          title: Winter newsletter
          send_at: 2030-01-15T09:00:00+01:00
          state: scheduled
          scheduled-campaigns:
            list: 12
            segments: [3, 7]
            domain: 4
            event_callback: https://hooks.example.com/events
        """,
    "sms.yaml": """
        kind: Sender
        name: acme-sms
        provider: sms
        spec: {sms_id: ACME}
        ---
        kind: Sender
        name: acme-mail
        provider: sms
        spec: {email: shop@acme.example, name: Acme Shop}
        ---
        kind: Message
        name: promo
        provider: sms
        spec: {channel: sms, text: "Spring sale: 20% off. STOP au 36111"}
        ---
        kind: Message
        name: promo-email
        provider: sms
        spec: {channel: email, subject: Spring sale, body: "20% off everything. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}
        ---
        kind: ContactGroup
        name: customers
        provider: sms
        spec:
          contacts:
            - {phone: "+33612345678", email: ada@example.com, first_name: Ada}
            - {phone: "+33698765432", email: alan@example.com, first_name: Alan}
        ---
        kind: OptOutList
        name: stop
        provider: sms
        spec: {entries: ["+33611111111"]}
        ---
        kind: Campaign
        name: promo
        provider: sms
        spec:
          message: promo
          sender: acme-sms
          contact_groups: [customers]
          opt_out_lists: [stop]
          send_at: 2027-03-20T10:00:00+01:00
          timezone: Europe/Paris
          octopush: {purpose: wholesale, type: sms_premium}
        ---
        kind: Campaign
        name: promo-email
        provider: sms
        spec:
          message: promo-email
          sender: acme-mail
          contact_groups: [customers]
          send_at: 2027-03-20T10:00:00+01:00
          timezone: Europe/Paris
          octopush: {purpose: wholesale}
        """,
    "whatsapp.yaml": """
        kind: Sender
        name: acme-whatsapp
        provider: whatsapp
        spec: {phone: "+14155550100"}
        ---
        kind: ContactGroup
        name: fans
        provider: whatsapp
        spec:
          contacts: [{phone: "+14155550123", first_name: Ada}]
        ---
        kind: Campaign
        name: spring
        provider: whatsapp
        spec:
          sender: acme-whatsapp
          contact_groups: [fans]
          send_at: 2027-03-20T09:00:00-07:00
          timezone: America/Los_Angeles
          connectly: {campaign_name: spring_sale, campaign_version: "2"}
        """,
}


@dataclass(frozen=True)
class Edit:
    """One manifest field changed: in `file`, the text `old` becomes `new`; the plan
    names the change `label` on `address` (None: this vendor plans nothing for it)."""

    vendor: str
    field: str  # KIND.FIELD as a reviewer names the edit
    file: str
    old: str
    new: str
    address: str
    label: str | None


EDITS = (
    # email-campaigns: every kind is an object at the vendor
    Edit("email-campaigns", "Sender.description", "mail.yaml", "description: Acme News",
         "description: Acme Weekly", "Sender/news", "description"),
    Edit("email-campaigns", "Sender.email", "mail.yaml", "email: news@acme.example",
         "email: hello@acme.example", "Sender/news", "email"),
    Edit("email-campaigns", "OptOutList.entries", "mail.yaml", "entries: [gone@example.com]",
         "entries: [gone@example.com, left@example.com]", "OptOutList/unsubscribed",
         "opt-outs"),
    Edit("email-campaigns", "ContactGroup.title", "mail.yaml", "title: Subscribers",
         "title: Newsletter subscribers", "ContactGroup/subscribers", "title"),
    Edit("email-campaigns", "ContactGroup.contacts", "mail.yaml",
         "- {email: alan@example.com, first_name: Alan}",
         "- {email: alan@example.com, first_name: Alan}\n- {email: ann@example.com}",
         "ContactGroup/subscribers", "contacts"),
    Edit("email-campaigns", "Message.subject", "mail.yaml", "subject: Welcome to our newsletter",
         "subject: Welcome!", "Message/welcome", "subject"),
    Edit("email-campaigns", "Message.body", "mail.yaml", 'body: "Hello, welcome aboard.',
         'body: "Hello, and welcome aboard.', "Message/welcome", "body"),
    Edit("email-campaigns", "Campaign.title", "mail.yaml", "title: Spring launch",
         "title: Spring launch 2027", "Campaign/launch", "title"),
    Edit("email-campaigns", "Campaign.message", "mail.yaml", "message: welcome",
         "message: reminder", "Campaign/launch", "message"),
    Edit("email-campaigns", "Campaign.sender", "mail.yaml", "sender: news",
         "sender: support", "Campaign/launch", "sender"),
    Edit("email-campaigns", "Campaign.contact_groups", "mail.yaml",
         "contact_groups: [subscribers]", "contact_groups: [vip]", "Campaign/launch",
         "contact_groups"),
    Edit("email-campaigns", "Campaign.send_at", "mail.yaml", "send_at: 2027-03-20T09:00:00-04:00",
         "send_at: 2027-03-21T09:00:00-04:00", "Campaign/launch", "send_at"),
    Edit("email-campaigns", "Campaign.timezone", "mail.yaml", "timezone: America/New_York",
         "timezone: America/Chicago", "Campaign/launch", "send_at"),
    Edit("email-campaigns", "Campaign.state", "mail.yaml", "state: active", "state: paused",
         "Campaign/launch", "state"),
    # scheduled-campaigns: campaigns only, their options under the vendor's block
    Edit("scheduled-campaigns", "Campaign.title", "sched.yaml", "title: Winter newsletter",
         "title: Winter newsletter 2030", "Campaign/winter", "title"),
    Edit("scheduled-campaigns", "Campaign.send_at", "sched.yaml",
         "send_at: 2030-01-15T09:00:00+01:00", "send_at: 2030-01-16T09:00:00+01:00",
         "Campaign/winter", "send_at"),
    Edit("scheduled-campaigns", "Campaign.timezone", "sched.yaml", "state: scheduled",
         "state: scheduled\ntimezone: Europe/Paris", "Campaign/winter", None),
    Edit("scheduled-campaigns", "Campaign.state", "sched.yaml", "state: scheduled",
         "state: draft", "Campaign/winter", None),
    Edit("scheduled-campaigns", "Campaign.scheduled-campaigns.list", "sched.yaml", "list: 12",
         "list: 13", "Campaign/winter", "scheduled-campaigns.list"),
    Edit("scheduled-campaigns", "Campaign.scheduled-campaigns.segments", "sched.yaml",
         "segments: [3, 7]", "segments: [3, 7, 9]", "Campaign/winter",
         "scheduled-campaigns.segments"),
    Edit("scheduled-campaigns", "Campaign.scheduled-campaigns.domain", "sched.yaml",
         "domain: 4", "domain: 5", "Campaign/winter", "scheduled-campaigns.domain"),
    Edit("scheduled-campaigns", "Campaign.scheduled-campaigns.event_callback", "sched.yaml",
         "https://hooks.example.com/events", "https://hooks.example.com/v2/events",
         "Campaign/winter", "scheduled-campaigns.event_callback"),
    # octopush: sent campaigns are immutable; the refusal names what changed, where it is
    Edit("octopush", "Message.text", "sms.yaml", 'text: "Spring sale: 20% off. STOP au 36111"',
         'text: "Spring sale: 30% off. STOP au 36111"', "Campaign/promo",
         "Message/promo.text"),
    Edit("octopush", "Sender.sms_id", "sms.yaml", "sms_id: ACME", "sms_id: ACMESHOP",
         "Campaign/promo", "Sender/acme-sms.sms_id"),
    Edit("octopush", "Campaign.octopush.purpose", "sms.yaml",
         "octopush: {purpose: wholesale, type: sms_premium}",
         "octopush: {purpose: alert, type: sms_premium}", "Campaign/promo",
         "octopush.purpose"),
    Edit("octopush", "Message.subject", "sms.yaml", "subject: Spring sale,",
         "subject: Spring sale is on,", "Campaign/promo-email", "Message/promo-email.subject"),
    Edit("octopush", "Message.body", "sms.yaml", 'body: "20% off everything.',
         'body: "30% off everything.', "Campaign/promo-email", "Message/promo-email.body"),
    Edit("octopush", "Message.body_format", "sms.yaml", f'body: "20% off everything. {EMAIL_FOOTER}"',
         f'body: "20% off everything. {EMAIL_FOOTER}", body_format: html', "Campaign/promo-email",
         "Message/promo-email.body_format"),
    Edit("octopush", "Sender.email", "sms.yaml", "email: shop@acme.example",
         "email: sale@acme.example", "Campaign/promo-email", "Sender/acme-mail.email"),
    Edit("octopush", "Sender.name", "sms.yaml", "name: Acme Shop", "name: Acme Sale",
         "Campaign/promo-email", "Sender/acme-mail.name"),
    Edit("octopush", "OptOutList.entries", "sms.yaml", 'entries: ["+33611111111"]',
         'entries: ["+33611111111", "+33622222222"]', "OptOutList/stop", "opt-outs"),
    # connectly: the template's name and version, and the sending number
    Edit("connectly", "Campaign.connectly.campaign_version", "whatsapp.yaml",
         'campaign_version: "2"', 'campaign_version: "3"', "Campaign/spring",
         "connectly.campaign_version"),
    Edit("connectly", "Campaign.connectly.campaign_name", "whatsapp.yaml",
         "campaign_name: spring_sale", "campaign_name: spring_sale_2027", "Campaign/spring",
         "connectly.campaign_name"),
    Edit("connectly", "Sender.phone", "whatsapp.yaml", 'phone: "+14155550100"',
         'phone: "+14155550199"', "Campaign/spring", "Sender/acme-whatsapp.phone"),
)

#: vendor field names that differ from the manifest's: never a label in text or Markdown
VENDOR_NAMES = ("tag", "email_message", "start_date", "status", "when", "campaignName",
                "campaignVersion", "name_from", "email_from")


@pytest.fixture(scope="module")
def planned(tmp_path_factory) -> list[tuple[Edit, Plan]]:
    """Apply the workspace once, then plan each edit alone (the file restored after)."""
    ws = write_workspace(tmp_path_factory.mktemp("fields") / "ws", FILES)
    assert api.apply(ws).result.ok
    assert not api.plan(ws).plan.has_changes
    out = []
    for edit in EDITS:
        path = ws / edit.file
        original = path.read_text()
        assert original.count(edit.old) == 1, edit
        # a continuation line of `new` keeps the indentation of the line it continues
        indent = re.search(rf"^( *).*{re.escape(edit.old)}", original, re.M).group(1)
        path.write_text(original.replace(edit.old, edit.new.replace("\n", "\n" + indent)))
        try:
            plan = api.plan(ws).plan
        finally:
            path.write_text(original)
        out.append((edit, plan))
    return out


def _heading(edit: Edit) -> str:
    return f"### {edit.vendor}: {edit.field} ({edit.file}: {edit.old!r} -> {edit.new!r})"


def _shown(plan: Plan) -> Plan:
    """The plan without its time of making (the golden files do not change every run)."""
    return Plan(actions=plan.actions, live_fingerprint="f" * 64, workspace_digest="d" * 64,
                created_at="2027-01-01T00:00:00+00:00", accounts=plan.accounts)


def test_every_field_is_printed_under_its_manifest_name(planned):
    for edit, plan in planned:
        changed = [a for a in plan.actions if a.address == edit.address]
        labels = [c.field for a in changed for c in a.changes] + \
                 [s.field for a in changed for s in a.sets]
        if edit.label is None:
            assert not [c for a in changed for c in a.changes], (edit, changed)
            continue
        assert edit.label in labels, (edit, changed)
        # the same name in every format
        text = render_text(plan)
        markdown = render_markdown(plan)
        doc = plan_document(PlanView(plan))
        jsonschema.validate(json.loads(json.dumps(doc, default=str)), load_schema())
        assert f"    {edit.label}: " in text, edit
        assert f"  {edit.label}: " in markdown, edit
        json_labels = [c["field"] for a in doc["actions"] if a["address"] == edit.address
                       for c in a["changes"]] + [
                       s["field"] for a in doc["actions"] if a["address"] == edit.address
                       for s in a["sets"]]
        assert edit.label in json_labels, edit
        for vendor_name in VENDOR_NAMES:
            assert f"    {vendor_name}: " not in text, (edit, vendor_name)
            assert f"  {vendor_name}: " not in markdown, (edit, vendor_name)


def test_the_issue_examples_read_as_the_manifest_writes_them(planned):
    by_field = {(e.vendor, e.field): p for e, p in planned}

    def change(vendor, field, address):
        plan = by_field[(vendor, field)]
        (action,) = [a for a in plan.actions if a.address == address]
        return action.changes

    (subject,) = change("email-campaigns", "Message.subject", "Message/welcome")
    assert (subject.field, subject.before, subject.after) == (
        "subject", "Welcome to our newsletter", "Welcome!")
    assert subject.vendor == {"field": "description", "before": "Welcome to our newsletter",
                              "after": "Welcome!"}
    (when,) = change("email-campaigns", "Campaign.send_at", "Campaign/launch")
    assert (when.field, when.before, when.after) == (
        "send_at", "2027-03-20 09:00 America/New_York (-04:00), 13:00 UTC",
        "2027-03-21 09:00 America/New_York (-04:00), 13:00 UTC")
    assert when.vendor["field"] == "start_date"
    # a new zone: the same instant, now read in Chicago (the vendor's CST6CDT)
    (zone,) = change("email-campaigns", "Campaign.timezone", "Campaign/launch")
    assert zone.after == "2027-03-20 08:00 America/Chicago (-05:00), 13:00 UTC"
    # references by manifest name, never the vendor's id
    (sender,) = change("email-campaigns", "Campaign.sender", "Campaign/launch")
    assert (sender.before, sender.after) == ("Sender/news", "Sender/support")
    assert sender.vendor["field"] == "sender_id"
    (state,) = change("email-campaigns", "Campaign.state", "Campaign/launch")
    assert (state.field, state.before, state.after) == ("state", "active", "paused")


def test_debug_names_the_vendor_fields_too(planned):
    edit, plan = next((e, p) for e, p in planned if e.field == "Message.subject")
    (action,) = [a for a in plan.actions if a.address == edit.address]
    plain = "\n".join(action_lines(PlanView(plan).rows[plan.actions.index(action)]))
    debug = "\n".join(action_lines(PlanView(plan, vendor_fields=True)
                                   .rows[plan.actions.index(action)]))
    assert "subject: 'Welcome to our newsletter' -> 'Welcome!'" in plain
    assert "description" not in plain
    assert ("subject: 'Welcome to our newsletter' -> 'Welcome!'  [vendor description: "
            "'Welcome to our newsletter' -> 'Welcome!']") in debug


def test_golden_plans_of_each_field_in_every_format(planned):
    text, markdown, document = [], [], {}
    for edit, plan in planned:
        shown = _shown(plan)
        view = PlanView(shown)
        text.append(_heading(edit))
        rows = [r for r in view.rows if r.address == edit.address]
        text += [line for r in rows for line in action_lines(r)] or ["(no change planned)"]
        text.append("")
        markdown += [_heading(edit), "", render_markdown(shown).rstrip(), ""]
        doc = plan_document(view)
        document[f"{edit.vendor}: {edit.field}"] = [
            {k: a[k] for k in ("address", "op", "changes", "sets")}
            for a in doc["actions"] if a["address"] == edit.address]
    check_golden("fields.txt", "\n".join(text))
    check_golden("fields.md", "\n".join(markdown))
    # the vendor's ids differ on every run (ObjectIds of the sandbox): named, not shown
    ids = re.sub(r'"[0-9a-f]{24}"', '"<vendor id>"',
                 json.dumps(document, indent=2, ensure_ascii=False))
    check_golden("fields.json", ids + "\n")



def test_plan_under_debug_names_the_vendor_fields_on_the_command_line(tmp_path):
    from reconciler.testing.cli import campaignctl

    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": FILES["campaignctl.yaml"],
                                           "mail.yaml": FILES["mail.yaml"]})
    assert api.apply(ws).result.ok
    mail = ws / "mail.yaml"
    mail.write_text(mail.read_text().replace("subject: Welcome to our newsletter",
                                             "subject: Welcome!"))
    plain = campaignctl("plan", str(ws))
    debug = campaignctl("--debug", "plan", str(ws))
    assert plain.returncode == debug.returncode == 0, plain.stderr + debug.stderr
    line = "    subject: 'Welcome to our newsletter' -> 'Welcome!'"
    assert line + "\n" in plain.stdout and "description" not in plain.stdout
    assert (line + "  [vendor description: 'Welcome to our newsletter' -> 'Welcome!']"
            in debug.stdout)
    doc = json.loads(campaignctl("plan", str(ws), "--format", "json").stdout)
    (change,) = [c for a in doc["actions"] for c in a["changes"]]
    assert change["field"] == "subject" and change["vendor"]["field"] == "description"


@pytest.mark.parametrize(("when", "zone", "shown"), [
    ("2027-03-20T09:00:00+01:00", "Europe/Paris",
     "2027-03-20 09:00 Europe/Paris (+01:00), 08:00 UTC"),
    # the UTC day differs: it is written out
    ("2027-03-20T20:30:00-07:00", "America/Los_Angeles",
     "2027-03-20 20:30 America/Los_Angeles (-07:00), 2027-03-21 03:30 UTC"),
    ("2027-03-20T09:00:15+00:00", "UTC", "2027-03-20 09:00:15 UTC"),
    ("2030-01-15T09:00:00+01:00", None, "2030-01-15 08:00 UTC"),
])
def test_send_times_read_in_the_campaigns_zone_then_utc_and_parse_back(when, zone, shown):
    from datetime import datetime

    from reconciler.engine.fields import send_time_text
    from reconciler.engine.plan_view import parse_send_time

    instant = datetime.fromisoformat(when)
    assert send_time_text(instant, zone) == shown
    assert parse_send_time(shown) == instant
    # without a zone name, at the offset the manifest wrote
    written = send_time_text(instant, instant.tzinfo)
    assert parse_send_time(written) == instant
