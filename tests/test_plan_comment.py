"""The pull-request comment of the generated plan workflow names the cause in every case:
the workflow's own Plan step (bash, as the runner runs it) with the real CLI, then its
comment script (node, with GitHub's client stubbed) posts what the step selected, for each
exit code: 0, 1 for a refused action, 1 for a safety stop, 1 for an error, and 2."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLE, PINNED_ACTION, run_cli
from ruamel.yaml import YAML

EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
MARKER = "<!-- campaignctl-plan -->"

#: What the comment script runs with: GitHub's client and the event, stubbed; the body it
#: would post is printed as JSON.
STUB = """
const context = {payload: {pull_request: {head: {sha: '0123456789abcdef'}}},
                 repo: {owner: 'acme', repo: 'campaigns'}, issue: {number: 7}};
const post = async (o) => { console.log(JSON.stringify(o.body)); };
const github = {paginate: async () => [], rest: {issues: {listComments: null,
                createComment: post, updateComment: post}}};
"""


def workflow(repo: Path) -> dict:
    text = (repo / ".github" / "workflows" / "campaignctl-plan.yml").read_text()
    return YAML(typ="safe").load(io.StringIO(text))


def step(wf: dict, name: str) -> dict:
    (found,) = [s for s in wf["jobs"]["plan"]["steps"] if s.get("name") == name]
    return found


def run_plan_job(repo: Path, env: dict[str, str], tmp: Path) -> tuple[str, str]:
    """(exit code output, the comment body posted) of the Plan step then the comment step."""
    wf = workflow(repo)
    outputs = tmp / "github-output"
    outputs.write_text("")
    full = {**os.environ, **{k: str(v) for k, v in wf["env"].items()
                             if not str(v).startswith("${{")},
            **env, "GITHUB_OUTPUT": str(outputs), "NO_COLOR": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    # GitHub's shell for run steps: bash --noprofile --norc -eo pipefail
    r = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                        step(wf, "Plan")["run"]], cwd=repo, env=full, capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert "Traceback" not in r.stderr, r.stderr
    code = dict(line.split("=", 1) for line in outputs.read_text().splitlines())["exitcode"]
    assert r.returncode == (0 if code in ("0", "2") else 1)  # the job fails on exit 1
    script = step(wf, "Post or update the plan comment")["with"]["script"]
    script = EXPR.sub(lambda m: code if m.group(1) == "steps.plan.outputs.exitcode" else "",
                      script)
    js = tmp / "comment.js"
    js.write_text(STUB + f"(async () => {{\n{script}\n}})();\n")
    node = subprocess.run(["node", str(js)], cwd=repo, capture_output=True, text=True,
                          timeout=60)
    assert node.returncode == 0, node.stderr
    return code, json.loads(node.stdout)


@pytest.fixture
def repo(tmp_path) -> Path:
    """A campaign repository with the generated workflows; its staging environment (the
    in-process sandbox) applied once."""
    if shutil.which("node") is None:
        pytest.skip("node is needed to run the comment script (GitHub's runners have it)")
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "campaigns",
                    ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    assert run_cli("init", "--ci", "github", "--env", "staging", str(repo),
                   "--action", PINNED_ACTION).returncode == 0
    return repo


#: the job's env apart from the workflow's: the sandbox's SQLite state stands in for
#: PostgreSQL, except where the safety stop is the case tested
SQLITE_OK = {"CAMPAIGNCTL_REQUIRE_SHARED_STATE": "false"}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_changes_then_no_changes_post_the_plan(repo, tmp_path):
    code, body = run_plan_job(repo, SQLITE_OK, tmp_path)
    assert code == "2"
    assert body.startswith(MARKER) and body.count(MARKER) == 1
    assert "## campaignctl plan" in body and "to create" in body and "failed" not in body
    assert "applies exactly this plan" in body
    assert run_cli("apply", str(repo / "campaigns"), "--env", "staging",
                   "--auto-approve").returncode == 0
    code, body = run_plan_job(repo, SQLITE_OK, tmp_path)
    assert code == "0" and "No changes" in body and "failed" not in body


def test_a_refused_action_names_its_cause_above_the_plan(repo, tmp_path):
    ws = repo / "campaigns"
    edit(ws / "groups.yaml", "name: vip\nprovider: mail\n",
         "name: vip\nprovider: mail\nlifecycle: {prevent_destroy: true}\n")
    assert run_cli("apply", str(ws), "--env", "staging", "--auto-approve").returncode == 0
    (ws / "groups.yaml").write_text((ws / "groups.yaml").read_text().split("---\n", 1)[1])
    code, body = run_plan_job(repo, SQLITE_OK, tmp_path)
    assert code == "1"
    head, _, plan = body.partition("## campaignctl plan\n")
    assert "## :x: campaignctl plan failed (exit 1)" in head
    assert ("Error: Refused: 1 action will not be applied, so this plan fails (exit 1). "
            "ContactGroup/vip: lifecycle.prevent_destroy" in head)
    assert "ContactGroup/vip" in plan  # and the plan itself, under it
    assert "nothing from it can be applied" in body and body.count(MARKER) == 1


def test_a_safety_stop_names_its_cause(repo, tmp_path):
    # The workflow refuses a state that the runner would lose (SQLite here).
    code, body = run_plan_job(repo, {}, tmp_path)
    assert code == "1"
    assert "## :x: campaignctl plan failed (exit 1)" in body
    assert "CAMPAIGNCTL_REQUIRE_SHARED_STATE is set" in body and "backend: postgres" in body


def test_an_error_names_its_cause(repo, tmp_path):
    edit(repo / "campaigns" / "senders.yaml", "email: news@acme.example", "email: not-an-email")
    code, body = run_plan_job(repo, SQLITE_OK, tmp_path)
    assert code == "1"
    assert "## :x: campaignctl plan failed (exit 1)" in body
    assert "senders.yaml:" in body and "email" in body
