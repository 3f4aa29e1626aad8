""""Did you mean" on every unknown name a user types: kinds, fields (of the envelope, a
kind's spec, a vendor block, campaignctl.yaml), references between manifests, provider
accounts, environments, and the resource addresses commands take. Through the CLI."""

from __future__ import annotations

from conftest import run_cli, write_workspace

from reconciler.suggest import closest, did_you_mean, model_fields_at


def workspace(root):
    return write_workspace(root, {
        "campaignctl.yaml": """
            providers:
              mail: {type: email-campaigns, base_url: sandbox}
              sms: {type: octopush, base_url: sandbox}
            saftey: {max_delete_percent: 10}
            environments:
              staging: {}
              production: {}
            """,
    })


def test_campaignctl_yaml_fields_and_environments(tmp_path):
    ws = workspace(tmp_path / "ws")
    r = run_cli("validate", str(ws), "--env", "stagign")
    assert r.returncode == 1
    assert "--env stagign: no such environment (did you mean `staging`?)" in r.stderr
    r = run_cli("validate", str(ws), "--env", "staging")
    assert r.returncode == 1
    assert "unknown field `saftey` (did you mean `safety`?)" in r.stdout + r.stderr


def test_manifests_kinds_fields_references_and_accounts(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": """
            providers:
              mail: {type: email-campaigns, base_url: sandbox}
              sms: {type: octopush, base_url: sandbox}
            """,
        "m.yaml": """
            kind: Sendr
            name: a
            provider: mail
            spec: {email: a@acme.example, description: A}
            ---
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, descripton: News}
            ---
            kind: Message
            name: promo
            provider: smss
            spec: {channel: sms, text: "Hi. STOP au 36111"}
            ---
            kind: Sender
            name: acme
            provider: sms
            spec: {sms_id: ACME}
            ---
            kind: ContactGroup
            name: customers
            provider: sms
            spec: {contacts: [{phone: "+33612345678"}]}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [customer]
              send_at: "2031-01-07T09:00:00+01:00"
              timezone: Europe/Paris
              octopush: {purpose: wholesale}
            ---
            kind: Campaign
            name: promo-2
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [customers]
              send_at: "2031-01-07T09:00:00+01:00"
              timezone: Europe/Paris
              octopush: {purpose: wholesale, batch_sise: 10}
            """,
    })
    r = run_cli("validate", str(ws))
    out = r.stdout + r.stderr
    assert r.returncode == 1
    assert "unknown kind 'Sendr' (did you mean `Sender`?)" in out
    assert "unknown field `descripton` in spec (did you mean `description`?)" in out
    assert "provider account 'smss' is not in campaignctl.yaml (did you mean `sms`?)" in out
    assert "ContactGroup 'customer' does not exist (did you mean `customers`?)" in out
    assert "unknown field `batch_sise` in spec.octopush (did you mean `batch_size`?)" in out


def test_commands_resource_addresses(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": """
            providers:
              mail: {type: email-campaigns, base_url: sandbox}
            """,
        "m.yaml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, description: News}
            """,
    })
    r = run_cli("plan", str(ws), "--target", "Sender/nwes")
    assert r.returncode == 1
    assert "--target Sender/nwes: no such resource in the workspace (did you mean " \
           "`Sender/news`?)" in r.stderr
    assert "Traceback" not in r.stderr
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    r = run_cli("state", "rm", "Sender/new", str(ws))
    assert r.returncode == 1
    assert "Sender/new is not in the state (did you mean `Sender/news`?)" in r.stderr


def test_only_close_names_are_suggested():
    assert closest("Campain", ["Sender", "Campaign", "Message"]) == ["Campaign"]
    assert did_you_mean("zzz", ["Sender", "Campaign"]) == ""
    assert did_you_mean("campaign", ["Campaign"]) == " (did you mean `Campaign`?)"
    from reconciler.config import ConfigFile
    assert "max_delete_percent" in model_fields_at(ConfigFile, ("safety",))
    assert model_fields_at(ConfigFile, ("providers", "mail")) == set()
