"""The example workspace's environments, end to end over real HTTP: staging sends to its
sandbox, production (a second sandbox server, its URLs and credentials from the process
environment) still plans the full send, and a plan reviewed for staging is refused there."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import run_cli, sandbox_accounts

from reconciler.sandbox.app import build_app
from reconciler.sandbox.transport import SANDBOX_URL

ROOT = Path(__file__).resolve().parents[2]
SECRET = "pr0duction-t0ken-never-shown"
WRITES = ("POST", "PUT", "DELETE", "PATCH")


def production_env(url: str) -> dict[str, str]:
    """What a production runner's environment holds for the example's campaignctl.yaml."""
    env = {f"{v}_API_URL": url for v in ("MAIL", "OCTOPUSH", "CONNECTLY", "SCHED")}
    return env | {"MAIL_API_TOKEN": SECRET, "OCTOPUSH_API_LOGIN": "ops@example.com",
                  "OCTOPUSH_API_KEY": SECRET, "CONNECTLY_BUSINESS_ID": "biz-prod",
                  "CONNECTLY_API_KEY": SECRET, "SCHED_API_KEY": SECRET}


def staging_deliveries(ws: Path, vendor: str) -> dict:
    """What the staging environment's in-process sandbox delivered."""
    async def go() -> dict:
        app = build_app(ws / ".campaignctl" / "staging" / "sandbox")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=SANDBOX_URL) as c:
            return (await c.get(f"/_sandbox/{vendor}/deliveries")).json()
    return asyncio.run(go())


def readme_main_command() -> list[list[str]]:
    """The campaignctl commands of the README's main command, in order."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## The two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [shlex.split(part)[1:] for part in block.split("&&")
            if part.strip().startswith("campaignctl ")]


@pytest.fixture
def example(tmp_path) -> Path:
    ws = tmp_path / "campaigns"
    shutil.copytree(ROOT / "campaigns", ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    return ws


def test_readme_main_command_runs_the_example_in_staging(example):
    commands = readme_main_command()
    assert [c[0] for c in commands] == ["validate", "plan", "apply", "plan"]
    assert all(c[c.index("--env") + 1] == "staging" for c in commands)
    outputs = []
    for args in commands:
        r = run_cli(*[str(example) if a == "campaigns" else a for a in args])
        assert r.returncode == 0, r.stdout + r.stderr
        outputs.append(r.stdout)
    assert outputs[1].startswith("Environment: staging\n")
    assert "No changes. The live state matches the manifests." in outputs[-1]
    assert staging_deliveries(example, "octopush")["total"] == 3


def test_staging_sends_production_still_plans_the_full_send_and_refuses_staging_plans(
        example, sandbox_server):
    prod = production_env(sandbox_server.url)
    sandbox_accounts(example, prod, "production")
    # Review staging's plan, then try it on production: refused before any call.
    r = run_cli("plan", str(example), "--env", "staging", "-o", str(example / "staging.json"))
    assert r.returncode == 0, r.stderr
    saved = json.loads((example / "staging.json").read_text())
    assert saved["environment"] == "staging"
    refused = run_cli("apply", str(example / "staging.json"), "--env", "production", env=prod)
    assert refused.returncode == 1
    assert ("was planned for environment staging, not environment production: nothing was "
            "changed") in refused.stderr and "Traceback" not in refused.stderr
    refused = run_cli("apply", str(example / "staging.json"),
                      env={**prod, "CAMPAIGNCTL_ENV": "production"})
    assert refused.returncode == 1 and "not environment production" in refused.stderr
    assert sandbox_server.get("/_sandbox/requests").json() == []
    assert not (example / ".campaignctl" / "production").exists()

    # The saved plan applies where it was made (its own environment, no --env needed).
    done = run_cli("apply", str(example / "staging.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert staging_deliveries(example, "octopush")["total"] == 3
    assert staging_deliveries(example, "connectly")["total"] == 3

    # Production: its own accounts (the second sandbox) and its own state; staging's send
    # ledger does not count there, so every recipient is still to be sent.
    plan = run_cli("plan", str(example), "--env", "production", "--format", "json", env=prod)
    assert plan.returncode == 0, plan.stderr
    doc = json.loads(plan.stdout)
    assert doc["environment"] == "production"
    sends = {a["address"]: a["send"] for a in doc["actions"] if a["op"] == "send"}
    assert sends["Campaign/spring-sale-sms"]["recipients"] == 3
    assert sends["Campaign/spring-sale-sms"]["already_sent"] == 0
    assert sends["Campaign/spring-sale-whatsapp"]["recipients"] == 3
    creates = {a["address"] for a in doc["actions"] if a["op"] == "create"}
    assert {"Campaign/spring-sale", "Campaign/spring-sale-fr", "Sender/newsletter"} <= creates
    text = run_cli("plan", str(example), "--env", "production", env=prod)
    assert text.stdout.startswith("Environment: production\n")
    assert "already sent" not in text.stdout
    for out in (plan, text, refused):
        assert SECRET not in out.stdout + out.stderr
    # Production was planned, never written (Octopush's plan-time estimate is a send in
    # simulation mode, which the vendor documents as delivering nothing).
    journal = sandbox_server.get("/_sandbox/requests").json()
    assert journal and not [e for e in journal if e["method"] in WRITES
                            and e["path"] != "/v1/public/sms-campaign/send"]
    assert sandbox_server.get("/_sandbox/octopush/deliveries").json()["total"] == 0
    # Each environment keeps its own state.
    assert (example / ".campaignctl" / "staging" / "state.db").is_file()
    assert (example / ".campaignctl" / "production" / "state.db").is_file()


def test_a_workspace_with_environments_needs_one(example):
    from cli_inprocess import campaignctl as run_cli  # many calls: in this process

    r = run_cli("plan", str(example))
    assert r.returncode == 1
    assert re.search(r"campaignctl\.yaml:\d+:\d+: this workspace has environments "
                     r"\(production, staging\): choose one with --env NAME", r.stderr)
    for args in (["validate", str(example)], ["state", "list", str(example)],
                 ["render", str(example)], ["import", "mail", str(example), "--id", "1"]):
        r = run_cli(*args)
        assert r.returncode == 1 and "(production, staging)" in r.stderr, args
    r = run_cli("plan", str(example), "--env", "prod")
    assert r.returncode == 1
    assert ("--env prod: no such environment (did you mean `production`?) (environments: "
            "production, staging)") in r.stderr
    # Staging needs none of production's secrets; validate is offline and needs none at all
    # (changed with issue 17); plan reports production's missing ones.
    assert run_cli("validate", str(example), "--env", "staging").returncode == 0
    assert run_cli("validate", str(example), "--env", "production").returncode == 0
    r = run_cli("plan", str(example), "--env", "production")
    assert r.returncode == 1 and "environment variable MAIL_API_TOKEN is not set" in r.stderr
