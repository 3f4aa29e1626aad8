"""Nothing in a manifest is silently ignored: a field the account's API cannot hold is a
validation error naming the provider (before, changing it gave "No changes")."""

from __future__ import annotations

from conftest import EMAIL_POLICY, run_cli, write_workspace

CONFIG = """
providers:
  mail: {type: email-campaigns, base_url: sandbox}
  sms: {type: octopush, base_url: sandbox}
""" + EMAIL_POLICY


def test_fields_the_provider_cannot_hold_are_errors(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        "mail.yml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, name: Acme News}
            ---
            kind: Message
            name: hello
            provider: mail
            spec: {channel: email, subject: Hi, body: "<p>Hi</p><p>Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u</p>", body_format: html}
            ---
            kind: ContactGroup
            name: all
            provider: mail
            spec: {contacts: [{email: a@example.com}]}
            ---
            kind: Campaign
            name: launch
            provider: mail
            spec:
              message: hello
              sender: news
              contact_groups: [all]
              send_at: 2030-01-01T09:00:00-05:00
              timezone: America/New_York
              variables: {promo: SPRING}
            """,
        "sms.yaml": """
            kind: Message
            name: text
            provider: sms
            spec: {channel: sms, text: "Sale! STOP 36111"}
            ---
            kind: ContactGroup
            name: buyers
            provider: sms
            spec: {contacts: [{phone: "+33612345678"}]}
            ---
            kind: Campaign
            name: flash
            provider: sms
            spec:
              message: text
              contact_groups: [buyers]
              send_at: now
              variables: {promo: SPRING}
              octopush: {purpose: alert}
            """,
    })
    r = run_cli("validate", str(ws))
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    expected = [
        f"{ws}/mail.yml:4:40: Sender/news: email-campaigns senders have no display name",
        f"{ws}/mail.yml:9:146: Message/hello: email-campaigns sends plain text only",
        f"{ws}/mail.yml:25:3: Campaign/launch: email-campaigns campaigns have no "
        "personalisation variables",
        f"{ws}/sms.yaml:18:22: Campaign/flash: octopush takes no variable 'promo'",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, r.stderr)
    assert r.stderr.rstrip().endswith("4 errors.")
