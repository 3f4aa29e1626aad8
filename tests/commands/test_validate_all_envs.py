"""`validate --all-envs` checks every environment in one run, and the README's pre-commit
snippet works on the example workspace as written (through .pre-commit-hooks.yaml)."""

from __future__ import annotations

import io
import re
import shlex
import shutil
from pathlib import Path

from conftest import EXAMPLE, run_cli
from ruamel.yaml import YAML

ROOT = Path(__file__).parent.parent.parent
NO_ENV = {"CAMPAIGNCTL_ENV": ""}


def copy_example(tmp_path: Path) -> Path:
    ws = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl",
                                                                "campaignctl.lineage"))
    return ws


def test_every_environment_in_one_run(tmp_path):
    ws = copy_example(tmp_path)
    r = run_cli("validate", str(ws), "--all-envs", env=NO_ENV)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{ws}: valid (environments production, staging)."
    # Without it, a workspace with environments needs one named.
    r = run_cli("validate", str(ws), env=NO_ENV)
    assert r.returncode == 1 and "choose one with --env NAME" in r.stderr


def test_a_finding_of_one_environment_names_it_and_a_common_one_is_reported_once(tmp_path):
    ws = copy_example(tmp_path)
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace(
        "base_url: ${MAIL_API_URL}", "base_url: http://mail.example.com", 1))
    senders = ws / "senders.yaml"
    senders.write_text(senders.read_text().replace("news@acme.example", "not-an-email"))
    r = run_cli("validate", str(ws), "--all-envs", env=NO_ENV)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    production = [line for line in lines if "http://" in line]
    assert len(production) == 1 and production[0].endswith("(environment production)")
    email = [line for line in lines if "invalid email" in line]
    assert len(email) == 1 and "(environment" not in email[0]  # both environments: once
    assert lines[-1] == "2 errors."
    # --env staging alone does not see production's account.
    r = run_cli("validate", str(ws), "--env", "staging", env=NO_ENV)
    assert r.returncode == 1 and "http://" not in r.stderr


def test_readme_pre_commit_snippet_works_on_the_example_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text()
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                if ".pre-commit-config.yaml" in b]
    config = YAML(typ="safe").load(io.StringIO(block))
    hooks = {h["id"]: h for h in YAML(typ="safe").load(
        io.StringIO((ROOT / ".pre-commit-hooks.yaml").read_text()))}
    repo = tmp_path / "repo"  # the campaign repository: the example at campaigns/
    copy_example(repo)
    ran = []
    for hook in config["repos"][0]["hooks"]:
        entry = shlex.split(hooks[hook["id"]]["entry"])
        assert entry[0] == "campaignctl" and hooks[hook["id"]]["pass_filenames"] is False
        # As pre-commit runs it: the entry, then the snippet's args, in the repository.
        r = run_cli(*entry[1:], *hook.get("args", []), cwd=repo, env=NO_ENV)
        assert r.returncode == 0, (hook["id"], r.stdout + r.stderr)
        ran.append(hook["id"])
    assert "campaignctl-validate" in ran
