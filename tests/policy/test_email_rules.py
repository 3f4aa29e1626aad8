"""The pack's email rules (CAN-SPAM): a marketing email must hold an unsubscribe link (or
the vendor's own mention) and the account's postal address, in its body or its rendered
text; each refusal names the rule; a waiver with its reason lets it pass and is printed in
the plan."""

from datetime import UTC, datetime

import pytest
from conftest import write_workspace

from reconciler import api
from reconciler.policy.email import has_address, has_unsubscribe
from reconciler.render.text import render_text
from reconciler.validate import errors_of, validate_directory

ADDRESS = "Acme Inc., 100 Main Street, Springfield, IL 62701, USA"
FOOTER = f"{ADDRESS}\nUnsubscribe: https://acme.example/unsubscribe"


def workspace(root, body, body_format="plain_text", config=None, purpose="",
              vendor="email-campaigns"):
    if vendor == "octopush":
        purpose = purpose or "  octopush: {purpose: wholesale}"
    policy = config if config is not None else f"""
policy:
  email:
    postal_address: "{ADDRESS}"
"""
    indented = "\n".join("    " + line for line in body.splitlines())
    write_workspace(root, {
        "campaignctl.yaml": f"providers:\n  mail: {{type: {vendor}, base_url: sandbox}}\n"
                            + policy,
        "m.yaml": f"""
kind: Sender
name: news
provider: mail
spec: {{email: news@acme.example, description: Acme}}
---
kind: Message
name: hello
provider: mail
spec:
  channel: email
  subject: Spring sale
  body_format: {body_format}
  body: |
{indented}
---
kind: ContactGroup
name: readers
provider: mail
spec: {{contacts: [{{email: a@x.example}}]}}
---
kind: Campaign
name: hello
provider: mail
spec:
  message: hello
  sender: news
  contact_groups: [readers]
  send_at: 2027-03-23T10:00:00-04:00
  timezone: America/New_York
  state: active
{purpose}
""",
    })
    return root


def errors(root):
    _, diagnostics = validate_directory(root)
    return [f"{d.location.path}:{d.location.line}: {d.message}" for d in errors_of(diagnostics)]


def test_a_marketing_email_with_both_passes(tmp_path):
    assert errors(workspace(tmp_path, f"Hello,\n20% off.\n\n{FOOTER}")) == []


def test_without_an_unsubscribe_link_validate_fails_naming_the_rule(tmp_path):
    [msg] = errors(workspace(tmp_path, f"Hello,\n20% off.\n\n{ADDRESS}"))
    assert "m.yaml:" in msg and "Campaign/hello: rule us-can-spam-opt-out" in msg
    assert "Message/hello holds no unsubscribe link" in msg and "15 U.S.C. 7704" in msg


def test_without_the_postal_address_validate_fails_naming_the_rule(tmp_path):
    [msg] = errors(workspace(tmp_path, "Hello,\nUnsubscribe: https://acme.example/u"))
    assert "rule us-can-spam-postal-address" in msg
    assert f"does not show the postal address configured for account 'mail' ({ADDRESS!r})" in msg


def test_no_postal_address_configured_is_named(tmp_path):
    [msg] = errors(workspace(tmp_path, FOOTER, config=""))
    assert "rule us-can-spam-postal-address" in msg
    assert "none is configured for account 'mail'" in msg and "policy: email:" in msg


def test_waived_with_a_reason_it_passes_and_the_plan_shows_the_waiver(tmp_path):
    config = f"""
policy:
  email: {{postal_address: "{ADDRESS}"}}
  waive:
    - rule: us-can-spam-opt-out
      reason: "legal 2027-03: the vendor's footer holds the link"
"""
    ws = workspace(tmp_path, f"Hello\n{ADDRESS}", config=config)
    assert errors(ws) == []
    plan = api.plan(ws, now=datetime(2027, 3, 1, tzinfo=UTC)).plan
    assert {"rule": "us-can-spam-opt-out",
            "reason": "legal 2027-03: the vendor's footer holds the link"} in plan.policy["waived"]
    assert "Waived: us-can-spam-opt-out: legal 2027-03: the vendor's footer" in render_text(plan)


def test_a_per_account_address_wins_over_the_workspace_one(tmp_path):
    config = f"""
policy:
  email:
    postal_address: "Acme SAS, 1 rue de la Paix, 75002 Paris"
    accounts:
      mail: {{postal_address: "{ADDRESS}"}}
"""
    assert errors(workspace(tmp_path, FOOTER, config=config)) == []
    [msg] = errors(workspace(tmp_path, "Acme SAS, 1 rue de la Paix, 75002 Paris\n"
                                       "https://acme.example/unsubscribe", config=config))
    assert "us-can-spam-postal-address" in msg


def test_html_bodies_are_checked_as_rendered(tmp_path):
    # Octopush takes HTML (email-campaigns sends plain text only); the address spans
    # lines and an entity in the source, and is found in the rendered text.
    html = ('<p>Hello</p><p>Acme Inc.,<br>100 Main&nbsp;Street,<br>Springfield, IL 62701, '
            'USA</p><p><a href="https://acme.example/u?id=1">Unsubscribe</a></p>')
    assert errors(workspace(tmp_path, html, body_format="html", vendor="octopush")) == []
    [msg] = errors(workspace(tmp_path, html.replace("62701", "62702"), body_format="html",
                             vendor="octopush"))
    assert "us-can-spam-postal-address" in msg
    assert has_unsubscribe(html, "html", ())
    assert not has_unsubscribe(html.replace("Unsubscribe", "Our shop"), "html", ())


def test_a_transactional_email_is_not_held_to_them(tmp_path):
    assert errors(workspace(tmp_path, "Your receipt", config="",
                            purpose="  purpose: transactional")) == []


@pytest.mark.parametrize("body,fmt,ok", [
    ("Unsubscribe here: https://x.example/u", "plain_text", True),
    ("https://x.example/optout", "plain_text", True),
    ("Pour vous désinscrire : https://x.example/d", "plain_text", True),
    ("Unsubscribe by replying STOP", "plain_text", False),  # no mechanism, only a word
    ("Shop: https://x.example/shop", "plain_text", False),
    ('<a href="https://x.example/shop">unsubscribe</a>', "html", True),
    ('<a href="https://x.example/unsubscribe">here</a>', "html", True),
    ('<a href="">unsubscribe</a>', "html", False),
    ('<a href="mailto:stop@x.example?subject=unsubscribe">stop</a>', "html", True),
])
def test_what_counts_as_an_unsubscribe_link(body, fmt, ok):
    assert has_unsubscribe(body, fmt, ()) is ok


def test_a_vendor_placeholder_counts_and_the_address_ignores_spacing():
    assert has_unsubscribe("Bye: {{unsubscribe}}", "plain_text", ("{{unsubscribe}}",))
    assert has_address("ACME INC.\n100 main street\nSpringfield IL 62701 USA", "plain_text",
                       ADDRESS)
    assert not has_address("Acme Inc., 100 Main Street", "plain_text", ADDRESS)


def test_octopush_adds_its_own_unsubscribe_mention(tmp_path):
    # octopush-email-campaign.txt: `language` is "the language used for the unsubscription
    # mention": the vendor adds it, the address is still ours to show.
    ws = workspace(tmp_path, f"Hello\n{ADDRESS}", vendor="octopush")
    assert [m for m in errors(ws) if "us-can-spam" in m] == []
    ws = workspace(tmp_path, "Hello", vendor="octopush")
    [msg] = [m for m in errors(ws) if "us-can-spam" in m]
    assert "us-can-spam-postal-address" in msg


def test_a_vendor_template_is_warned_about_not_refused(tmp_path):
    ws = workspace(tmp_path, "x", vendor="octopush")  # Octopush sends `template_name`s
    text = (ws / "m.yaml").read_text().replace("  body_format: plain_text\n  body: |\n    x\n",
                                               "  template: spring-2027\n")
    (ws / "m.yaml").write_text(text)
    _, diagnostics = validate_directory(ws)
    assert errors_of(diagnostics) == []
    [warning] = [d.message for d in diagnostics if d.severity == "warning"
                 and "email rules" in d.message]
    assert "vendor template 'spring-2027'" in warning and "cannot be checked" in warning


def test_the_example_workspace_passes(tmp_path):
    from conftest import EXAMPLE
    _, diagnostics = validate_directory(EXAMPLE, environment="staging")
    assert errors_of(diagnostics) == []
