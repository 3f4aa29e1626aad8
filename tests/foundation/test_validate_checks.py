"""Checks validate makes beyond the models: an `ignore_changes` entry naming no field, an
address both opted out and opted in, a credential written into campaignctl.yaml. Each is
`path:line:col: message`, exit 1, and names contacts by place, not by address."""

from __future__ import annotations

from conftest import run_cli, write_workspace

CONFIG = """
providers:
  mail: {type: email-campaigns, base_url: sandbox}
  sched: {type: scheduled-campaigns, base_url: sandbox}
"""
CAMPAIGN = """
kind: Campaign
name: sale
provider: sched
spec:
  send_at: 2027-03-22T10:00:00+01:00
  purpose: transactional
  scheduled-campaigns: {list: 12, domain: 4}
lifecycle:
  ignore_changes: [send_at, scheduled-campaigns.segments, list, colour, octopush.type]
---
kind: ContactGroup
name: vip
provider: mail
spec: {title: VIP, contacts: [{email: a@example.com}]}
lifecycle: {ignore_changes: [title, tag, contacts, tittle]}
"""


def test_an_ignore_changes_entry_that_names_no_field_is_an_error(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "m.yaml": CAMPAIGN})
    result = run_cli("validate", str(ws))
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": " in line and "m.yaml" in line]
    assert errors == [
        f"{ws}/m.yaml:9:65: Campaign/sale: ignore_changes: 'colour' is not a field of a "
        "Campaign on a scheduled-campaigns account (fields: contact_groups, domain, "
        "event_callback, late, list, message, name, opt_out_lists, purpose, scheduled-campaigns, "
        "scheduled-campaigns.domain, scheduled-campaigns.event_callback, "
        "scheduled-campaigns.list, scheduled-campaigns.segments, segments, send_at, sender, "
        "state, timezone, title, variables, when)",
        # another vendor's block field: this account has no `octopush:` options
        f"{ws}/m.yaml:9:73: Campaign/sale: ignore_changes: 'octopush.type' is not a field of "
        "a Campaign on a scheduled-campaigns account (fields: contact_groups, domain, "
        "event_callback, late, list, message, name, opt_out_lists, purpose, scheduled-campaigns, "
        "scheduled-campaigns.domain, scheduled-campaigns.event_callback, "
        "scheduled-campaigns.list, scheduled-campaigns.segments, segments, send_at, sender, "
        "state, timezone, title, variables, when)",
        f"{ws}/m.yaml:15:52: ContactGroup/vip: ignore_changes: 'tittle' is not a field of a "
        "ContactGroup on an email-campaigns account (fields: contacts, file, tag, title)",
    ], result.stderr


OPTOUTS = """
kind: OptOutList
name: stop
provider: mail
spec:
  entries: [keep@example.com, Both@Example.com]
  file: stop.csv
  opt_in: [back@example.com, both@example.com, row@example.com]
"""


def test_an_address_both_opted_out_and_opted_in_is_named_by_place(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG, "o.yaml": OPTOUTS,
        "stop.csv": "email\nother@example.com\nROW@example.com\n"})
    result = run_cli("validate", str(ws))
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"{ws}/o.yaml:7:30: OptOutList/stop: opt_in entry 1 is also opted out in entries "
        "(entry 1): an address cannot be both re-subscribed and opted out; keep one",
        f"{ws}/o.yaml:7:48: OptOutList/stop: opt_in entry 2 is also opted out in stop.csv "
        "(row 3): an address cannot be both re-subscribed and opted out; keep one",
    ], result.stderr
    assert "example.com" not in result.stdout + result.stderr
    shown = run_cli("validate", str(ws), "--show-contacts")
    assert shown.returncode == 1
    assert "keep one ['both@example.com']" in shown.stderr
    assert "keep one ['row@example.com']" in shown.stderr
    assert "back@example.com" not in shown.stderr  # only opted in: nothing to say


def test_a_credential_written_into_campaignctl_yaml_is_refused_in_every_environment(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": """
        providers:
          mail: {type: email-campaigns, token: "${MAIL_TOKEN}"}
          sms: {type: octopush, api_login: acme}
          wa: {type: connectly}
        environments:
          staging:
            providers: {mail: {base_url: sandbox}, sms: {base_url: sandbox},
                        wa: {base_url: sandbox}}
          production:
            providers:
              mail: {base_url: "https://mail.example.com"}
              sms: {base_url: "https://octopush.example.com", api_key: "${OCTOPUSH_KEY}"}
              wa: {base_url: "https://connectly.example.com", business_id: "${WA_ID}",
                   api_key: "pre-${WA_KEY}"}
        """})
    # staging is refused too: production's block is in the same reviewed file
    result = run_cli("validate", str(ws), "--env", "staging")
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"{ws}/campaignctl.yaml:3:36: provider sms: `api_login` is written into "
        "campaignctl.yaml: take it from the environment, e.g. api_login: ${SMS_API_LOGIN} "
        "(credentials never live in the repository)",
        f"{ws}/campaignctl.yaml:14:21: provider wa: `api_key` is written into "
        "campaignctl.yaml: take it from the environment, e.g. api_key: ${WA_API_KEY} "
        "(credentials never live in the repository)",
    ], result.stderr
    assert "acme" not in result.stderr and "pre-" not in result.stderr
    fixed = (ws / "campaignctl.yaml").read_text().replace("api_login: acme",
                                                          'api_login: "${LOGIN}"')
    (ws / "campaignctl.yaml").write_text(fixed.replace('"pre-${WA_KEY}"', '"${WA_KEY}"'))
    assert run_cli("validate", str(ws), "--env", "staging").returncode == 0
    assert run_cli("validate", str(ws), "--env", "production").returncode == 0
