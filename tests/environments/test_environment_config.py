"""campaignctl.yaml environments and vars: what each environment sees, and the mistakes
refused with their file:line:col."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_inprocess import campaignctl as run_cli
from conftest import PINNED_ACTION, write_workspace

from reconciler import api
from reconciler.config import load_config
from reconciler.errors import CampaignctlError
from reconciler.state.backend import open_store
from reconciler.validate import errors_of, validate_directory

CONFIG = """
providers:
  mail:
    type: email-campaigns
state:
  backend: sqlite
safety:
  max_delete_percent: 25
vars:
  brand: Acme
  year: 2027
environments:
  staging:
    providers:
      mail: {base_url: sandbox}
    vars:
      brand: Acme (staging)
  production:
    providers:
      mail:
        base_url: https://mail.example.com
        token: ${PROD_TOKEN}
    state:
      backend: postgres
      dsn: ${PROD_DSN}
    safety:
      max_delete_percent: 5
"""
SENDER = """
kind: Sender
name: news
provider: mail
spec:
  email: news@acme.example
  description: ${var.brand} news ${var.year}
"""


def ws_with(tmp_path: Path, config: str = CONFIG, **files: str) -> Path:
    return write_workspace(tmp_path / "ws", {"campaignctl.yaml": config,
                                             "senders.yaml": SENDER, **files})


def config_of(ws: Path, environment: str | None, env: dict | None = None):
    config, errors = load_config(ws, env or {}, environment)
    return config, [str(e) for e in errors]


def test_each_environment_merges_over_the_top_level(tmp_path):
    ws = ws_with(tmp_path)
    staging, errors = config_of(ws, "staging")
    assert errors == []
    assert staging.environment == "staging"
    assert (staging.accounts["mail"].type, staging.accounts["mail"].base_url) == (
        "email-campaigns", "sandbox")
    assert (staging.state.backend, staging.state.path) == ("sqlite",
                                                           ".campaignctl/staging/state.db")
    assert staging.safety.max_delete_percent == 25
    assert staging.variables == {"brand": "Acme (staging)", "year": 2027}
    # Production's secrets are needed only for production.
    prod, errors = config_of(ws, "production",
                             {"PROD_TOKEN": "t0ken", "PROD_DSN": "postgresql://h/db"})
    assert errors == []
    assert prod.accounts["mail"].credentials["token"].reveal() == "t0ken"
    assert (prod.state.backend, prod.state.schema_) == ("postgres", "campaignctl_production")
    assert prod.safety.max_delete_percent == 5
    assert prod.variables == {"brand": "Acme", "year": 2027}
    _, errors = config_of(ws, "production")
    assert errors == [f"{ws}/campaignctl.yaml:21:16: environment variable PROD_TOKEN is not set",
                      f"{ws}/campaignctl.yaml:24:12: environment variable PROD_DSN is not set"]


def test_variables_reach_the_manifests_per_environment(tmp_path):
    ws = ws_with(tmp_path)
    staged, diagnostics = validate_directory(ws, environment="staging")
    assert errors_of(diagnostics) == []
    assert staged.get("Sender", "news").spec.description == "Acme (staging) news 2027"


@pytest.mark.parametrize(("environment", "message"), [
    (None, "campaignctl.yaml:11:1: this workspace has environments (production, staging): "
           "choose one with --env NAME (or CAMPAIGNCTL_ENV=NAME)"),
    ("qa", "campaignctl.yaml:11:1: --env qa: no such environment (environments: production, "
           "staging)"),
])
def test_an_environment_must_be_chosen_and_exist(tmp_path, environment, message):
    ws = ws_with(tmp_path)
    assert config_of(ws, environment) == (None, [f"{ws}/{message}"])


def test_env_on_a_workspace_without_environments_is_an_error(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"})
    assert config_of(ws, None)[1] == []
    assert config_of(ws, "staging")[1] == [
        f"{ws}/campaignctl.yaml:1:1: --env staging: this campaignctl.yaml declares no "
        "environments (drop --env and CAMPAIGNCTL_ENV, or add `environments:`)"]
    r = run_cli("validate", str(ws), env={"CAMPAIGNCTL_ENV": "staging"})
    assert r.returncode == 1 and "declares no environments" in r.stderr


@pytest.mark.parametrize(("block", "message"), [
    ("  staging:\n    providers:\n      mail: {type: octopush, base_url: sandbox}\n",
     "4:20: environment staging: provider mail is a email-campaigns account in every "
     "environment (an environment changes its base_url and credentials, not its type)"),
    ("  staging:\n    providers:\n      sms: {base_url: sandbox}\n",
     "4:7: environment staging: provider sms is not declared under the top-level "
     "`providers:`"),
    ("  staging:\n    colour: blue\n",
     "3:5: environment staging: unknown setting `colour` (an environment sets providers, "
     "state, safety, vars)"),
    ("  Staging Env: {}\n", "2:3: environment name 'Staging Env': use lowercase letters"),
    ("  staging: {}\n  production: {}\n",
     "3:3: environments staging and production would share one state"),
    ("  a:\n    state: {path: one.db}\n  b:\n    state: {path: ./one.db}\n",
     "4:3: environments a and b would share one state (sqlite one.db)"),
])
def test_environment_mistakes_are_refused_at_their_line(tmp_path, block, message):
    top = ("providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
           "state: {path: .campaignctl/state.db}\n") if "share" in message and "one.db" not in \
        message else "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": top + "environments:\n" + block})
    offset = top.count("\n") + 1
    line, col, text = message.split(":", 2)
    _, errors = config_of(ws, block.split(":")[0].strip())
    assert any(e.startswith(f"{ws}/campaignctl.yaml:{int(line) + offset - 1}:{col}:{text}")
               for e in errors), errors


def test_vars_never_take_the_process_environment(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": """
        providers:
          mail: {type: email-campaigns, base_url: sandbox}
        vars:
          token: ${MAIL_TOKEN}
        """, "senders.yaml": SENDER.replace("${var.brand}", "${MAIL_TOKEN}")})
    _, errors = config_of(ws, None, {"MAIL_TOKEN": "s3cret"})
    assert errors == [f"{ws}/campaignctl.yaml:4:10: vars.token: ${{VAR}} is not expanded "
                      "here: manifests, and so plans, never take values from the process "
                      "environment (secrets stay in provider settings)"]


def test_a_state_another_environment_applied_with_is_refused(tmp_path):
    """Two environments pointed at one database through ${VAR}s: the second is refused."""
    config = CONFIG.replace("      mail:\n        base_url: https://mail.example.com\n"
                            "        token: ${PROD_TOKEN}\n", "      mail: {base_url: sandbox}\n")
    config = config.replace("      backend: postgres\n      dsn: ${PROD_DSN}\n",
                            "      path: ${PROD_STATE}\n")
    ws = ws_with(tmp_path, config)
    os.environ["PROD_STATE"] = ".campaignctl/staging/state.db"
    try:
        assert api.apply(ws, environment="staging").result.ok
        with pytest.raises(CampaignctlError, match=(
                "belongs to environment staging, not production: every environment needs "
                "its own state")):
            api.plan(ws, environment="production")
    finally:
        del os.environ["PROD_STATE"]
    staging, _ = config_of(ws, "staging")
    store = open_store(staging)
    assert store.get_meta("environment") == "staging"
    store.close()


def test_cli_commands_take_env(tmp_path):
    ws = ws_with(tmp_path)
    for args in (["validate"], ["plan"], ["render"], ["state", "list"]):
        r = run_cli(*args, str(ws), "--env", "staging")
        assert r.returncode == 0, (args, r.stderr)
    r = run_cli("render", str(ws), env={"CAMPAIGNCTL_ENV": "staging"})
    assert "description: Acme (staging) news 2027" in r.stdout
    assert run_cli("apply", str(ws), "--env", "staging", "--auto-approve").returncode == 0
    r = run_cli("state", "list", str(ws), "--env", "staging")
    assert r.stdout.startswith("Sender/news\tmail\t")
    r = run_cli("state", "migrate", str(ws), "--env", "staging")  # its default --from
    assert r.returncode == 1
    assert f"state is {ws}/.campaignctl/staging/state.db itself" in r.stderr
    r = run_cli("init", "--ci", "github", str(tmp_path), "--workspace", "ws",
                "--action", PINNED_ACTION)
    assert r.returncode == 1 and "(production, staging)" in r.stderr
    r = run_cli("init", "--ci", "github", str(tmp_path), "--workspace", "ws",
                "--env", "production", "--action", PINNED_ACTION)
    assert r.returncode == 0 and "uses the SQLite state" not in r.stderr
    plan_wf = (tmp_path / ".github" / "workflows" / "campaignctl-plan.yml").read_text()
    assert "  CAMPAIGNCTL_WORKSPACE: ws\n  CAMPAIGNCTL_ENV: production\n" in plan_wf


def test_every_workspace_command_takes_env():
    import click

    from reconciler.cli import cli

    def commands(group: click.Group, prefix: str = ""):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    without = sorted(name for name, command in commands(cli)
                     if not any(p.name == "environment" for p in command.params))
    # none reads a workspace (show does with --workspace, to verify a plan's signature)
    assert without == ["completion", "sandbox serve", "schema"]
