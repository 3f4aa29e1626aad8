"""`--var NAME=VALUE` and CAMPAIGNCTL_VAR_NAME set manifest variables: --var over the
environment over campaignctl.yaml, shown in the plan header (secret-looking ones masked),
recorded in a saved plan so that `apply PLANFILE` uses the same values. Run as a user would,
against the sandbox over real HTTP."""

from __future__ import annotations

import json

from conftest import run_cli, sandbox_accounts, write_workspace

TOKEN = "mail-token-Vars-4242"
ENV = {"MAIL_TOKEN": TOKEN}


def workspace(root, url):
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              mail:
                type: email-campaigns
                base_url: {url}
                token: ${{MAIL_TOKEN}}
            vars:
              brand: Acme
              promo_token: none
            """,
        "senders.yaml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, description: "${var.brand} News"}
            """,
    })
    return sandbox_accounts(root, ENV)


def described(plan_json: str) -> str:
    doc = json.loads(plan_json)
    (action,) = [a for a in doc["actions"] if a["kind"] == "Sender"]
    return json.dumps(action["changes"])


def test_var_beats_the_environment_which_beats_campaignctl_yaml(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    plain = run_cli("plan", str(ws), "--format", "json", env=ENV)
    assert plain.returncode == 0, plain.stderr
    assert "Acme News" in described(plain.stdout)
    assert "variables" not in json.loads(plain.stdout)

    from_env = run_cli("plan", str(ws), env={**ENV, "CAMPAIGNCTL_VAR_brand": "Globex"})
    assert from_env.returncode == 0, from_env.stderr
    assert "Variable brand = \"Globex\" (from CAMPAIGNCTL_VAR_brand)" in from_env.stdout
    assert "Globex News" in from_env.stdout

    both = run_cli("plan", str(ws), "--var", "brand=Initech", "--format", "json",
                   env={**ENV, "CAMPAIGNCTL_VAR_brand": "Globex"})
    assert both.returncode == 0, both.stderr
    assert "Initech News" in described(both.stdout)
    assert json.loads(both.stdout)["variables"] == {
        "brand": {"source": "--var", "secret": False, "value": "Initech"}}


def test_an_unknown_or_malformed_variable_is_a_clear_error(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    for command in ("validate", "plan"):
        r = run_cli(command, str(ws), "--var", "bran=Globex", env=ENV)
        assert r.returncode == 1
        assert "unknown variable 'bran' (did you mean `brand`?)" in r.stdout + r.stderr
        assert "Traceback" not in r.stderr
    r = run_cli("plan", str(ws), env={**ENV, "CAMPAIGNCTL_VAR_brnad": "x"})
    assert r.returncode == 1 and "CAMPAIGNCTL_VAR_brnad: unknown variable 'brnad' (did you " \
                                  "mean `brand`?)" in r.stdout + r.stderr
    r = run_cli("plan", str(ws), "--var", "brand", env=ENV)
    assert r.returncode == 1 and "expected NAME=VALUE" in r.stderr and "Traceback" not in r.stderr


def test_a_saved_plan_applies_with_the_values_it_was_planned_with(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    planfile = tmp_path / "plan.json"
    r = run_cli("plan", str(ws), "--var", "brand=Initech", "-o", str(planfile), env=ENV)
    assert r.returncode == 0, r.stderr
    refused = run_cli("apply", str(planfile), "--var", "brand=Globex", env=ENV)
    assert refused.returncode == 1 and "a saved plan holds its variables" in refused.stderr
    applied = run_cli("apply", str(planfile), env={**ENV, "CAMPAIGNCTL_VAR_brand": "Globex"})
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = run_cli("plan", str(ws), "--var", "brand=Initech", "--detailed-exitcode", env=ENV)
    assert again.returncode == 0, again.stdout  # what was applied is the planned value
    assert "Initech" in (run_cli("plan", str(ws), env=ENV).stdout)  # Acme would change it


def test_a_secret_looking_variable_is_masked_and_given_again_to_apply(tmp_path,
                                                                      sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    secret = "Zq8-promo-secret-value"
    planfile = tmp_path / "plan.json"
    r = run_cli("plan", str(ws), "--var", f"promo_token={secret}", "-o", str(planfile),
                env=ENV)
    assert r.returncode == 0, r.stderr
    assert "Variable promo_token = **** (from --var)" in r.stdout
    assert secret not in r.stdout + r.stderr + planfile.read_text()
    shown = run_cli("show", str(planfile), "--format", "json")
    assert json.loads(shown.stdout)["variables"]["promo_token"]["secret"] is True
    missing = run_cli("apply", str(planfile), env=ENV)
    assert missing.returncode == 1
    assert "promo_token is masked in the saved plan: give it again" in missing.stderr
    wrong = run_cli("apply", str(planfile), "--var", "promo_token=other", env=ENV)
    assert wrong.returncode == 1 and "not the value the plan was made with" in wrong.stderr
    ok = run_cli("apply", str(planfile), env={**ENV, "CAMPAIGNCTL_VAR_promo_token": secret})
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert secret not in ok.stdout + ok.stderr


def test_values_take_the_declared_type(tmp_path):
    write_workspace(tmp_path, {
        "campaignctl.yaml": """
            providers:
              mail: {type: email-campaigns, base_url: sandbox}
            vars: {limit: 10, on: true}
            """,
    })
    ok = run_cli("validate", str(tmp_path), "--var", "limit=20", "--var", "on=no")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = run_cli("validate", str(tmp_path), "--var", "limit=many")
    assert bad.returncode == 1 and "expected a whole number" in bad.stdout + bad.stderr


def test_render_shows_the_manifests_with_the_values_set(tmp_path):
    write_workspace(tmp_path, {
        "campaignctl.yaml": """
            providers:
              mail: {type: email-campaigns, base_url: sandbox}
            vars: {brand: Acme}
            """,
        "senders.yaml": """
            kind: Sender
            name: news
            provider: mail
            spec: {email: news@acme.example, description: "${var.brand} News"}
            """,
    })
    r = run_cli("render", str(tmp_path), "--var", "brand=Initech",
                env={"CAMPAIGNCTL_VAR_brand": "Globex"})
    assert r.returncode == 0, r.stderr
    assert "Initech News" in r.stdout
    r = run_cli("render", str(tmp_path), env={"CAMPAIGNCTL_VAR_brand": "Globex"})
    assert "Globex News" in r.stdout
