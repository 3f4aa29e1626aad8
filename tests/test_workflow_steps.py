"""The generated workflows, run step by step as a GitHub runner would: a fresh virtual
environment, the pinned campaignctl action's own steps (its install from the action's
checkout: here this repository's local path), then every `run:` script in bash with the
workflow's env. github-script steps are checked to parse (node), artifacts are copied.

Fast on purpose: the venv reuses this environment's installed dependencies through a .pth
file (pip finds them installed), but campaignctl itself is really built and installed from the
local path by the action's own command."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import EXAMPLE_IDS, PINNED_ACTION, run_cli, sandbox_accounts
from ruamel.yaml import YAML
from test_workflows import _runner_checkout, workflow_env

ROOT = Path(__file__).parent.parent
ACTION = PINNED_ACTION
EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def load(path: Path) -> dict:
    return YAML(typ="safe").load(io.StringIO(path.read_text()))


class Runner:
    """One throwaway machine: a fresh venv on PATH, a checkout, the job's env."""

    def __init__(self, tmp: Path):
        self.venv = tmp / "venv"
        self.bin = self.venv / "bin"
        self.installed = False

    def setup_python(self) -> None:
        # actions/setup-python: a Python with nothing of ours installed.
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.venv)],
                       check=True)
        site = next(self.venv.glob("lib/python*/site-packages"))
        (site / "parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        assert subprocess.run([self.bin / "python", "-c", "import reconciler"],
                              cwd=self.venv, capture_output=True).returncode == 1  # not yet

    def bash(self, script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
        # No PIP_NO_DEPS: it would reach the isolated build environment too, where the
        # build backend's own dependencies must install (setuptools-scm needs its helpers);
        # the runtime dependencies are found installed through parent.pth.
        full = {**os.environ, **env, "NO_COLOR": "1",
                "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}
        full.pop("VIRTUAL_ENV", None)
        # GitHub's default shell for run steps: bash --noprofile --norc -eo pipefail
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                              cwd=cwd, env=full, capture_output=True, text=True, timeout=300)

    def action(self, step: dict, cwd: Path, env: dict[str, str]) -> None:
        """Run the campaignctl action's composite steps from action.yml at ROOT."""
        assert step["uses"] == ACTION  # pinned, never a floating branch
        action = load(ROOT / "action.yml")
        assert action["runs"]["using"] == "composite"
        inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
        inputs |= {k: str(v) for k, v in (step.get("with") or {}).items()}
        for sub in action["runs"]["steps"]:
            if sub.get("uses", "").startswith("actions/setup-python"):
                self.setup_python()
                continue
            if "if" in sub and sub["if"] == "inputs.command != ''" and not inputs["command"]:
                continue
            script = EXPR.sub(lambda m: inputs[m.group(1).removeprefix("inputs.")], sub["run"])
            r = self.bash(script, cwd, {**env, "GITHUB_ACTION_PATH": str(ROOT)})
            assert r.returncode == 0, r.stdout + r.stderr
        self.installed = True


def check_script(script: str, tmp: Path) -> None:
    """A github-script body must at least parse (it runs as an async function)."""
    if shutil.which("node") is None:
        return
    body = EXPR.sub("EXPR", script)
    path = tmp / "script.js"
    path.write_text(f"(async () => {{\n{body}\n}})();\n")
    r = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


FAKE_GH = """#!/bin/bash
# `gh run download RUN --name NAME --dir DIR`: the artifact that run uploaded
set -e
[ "$1 $2" = "run download" ] || { echo "unexpected: gh $*" >&2; exit 1; }
while [ $# -gt 0 ]; do [ "$1" = --dir ] && dir="$2"; shift; done
mkdir -p "$dir" && cp "$CAMPAIGNCTL_TEST_ARTIFACT" "$dir/plan.json"
"""


def resolve(value: str, outputs: dict[str, str]) -> str:
    """A step's `${{ ... }}` as GitHub resolves it: step outputs, the job's token."""
    def one(m: re.Match) -> str:
        expr = m.group(1)
        if expr == "github.token":
            return "test-token"
        assert expr.startswith("steps."), expr
        step_id, _, key = expr.removeprefix("steps.").partition(".outputs.")
        return outputs.get(f"{step_id}.{key}", "")
    return EXPR.sub(one, value)


def run_job(runner: Runner, workflow: Path, repo: Path, secrets: dict[str, str], event: str,
            tmp: Path, artifact: Path | None = None,
            given: dict[str, str] | None = None) -> dict[str, str]:
    """Every step of the workflow's job; returns the steps' outputs (GITHUB_OUTPUT).
    `given`: the outputs of its github-script steps (which talk to GitHub's API)."""
    wf = load(workflow)
    env = {**workflow_env(wf, secrets), **secrets, "RUNNER_TEMP": str(tmp),
           "GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md")}
    outputs: dict[str, str] = dict(given or {})
    (job,) = wf["jobs"].values()
    for step in job["steps"]:
        cond = step.get("if", "")
        if ("workflow_dispatch" in cond and event != "workflow_dispatch") or (
                "event_name == 'push'" in cond and event != "push"):
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout"):
            continue  # the checkout is `repo`
        if uses == ACTION:  # the campaignctl action init was told to pin
            if not runner.installed:
                runner.action(step, repo, env)
            continue
        if uses.startswith("actions/github-script"):
            check_script(step["with"]["script"], tmp)
            continue
        if uses.startswith("actions/upload-artifact"):
            assert (repo / step["with"]["path"]).is_file()
            continue
        if uses.startswith("actions/download-artifact"):
            shutil.copy(artifact, repo / "plan.json")
            continue
        assert "run" in step, step
        if artifact is not None:  # the GitHub CLI the runner has, downloading artifacts
            (runner.bin / "gh").write_text(FAKE_GH)
            (runner.bin / "gh").chmod(0o755)
        step_env = {k: resolve(str(v), outputs) for k, v in (step.get("env") or {}).items()}
        out_file = tmp / f"output-{len(outputs)}"
        out_file.write_text("")
        r = runner.bash(step["run"], repo, {**env, **step_env, "GITHUB_OUTPUT": str(out_file),
                                            "CAMPAIGNCTL_TEST_ARTIFACT": str(artifact)})
        assert "Traceback" not in r.stderr, r.stderr
        assert r.returncode == 0, (step.get("name"), r.stdout + r.stderr)
        for line in out_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[f"{step.get('id')}.{key}"] = value
    return outputs


def git_repository(repo: Path) -> str:
    """The runner's checkout as the git repository it is on GitHub; its HEAD commit."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=d@x.example",
                               *args], cwd=repo, check=True, capture_output=True,
                              text=True).stdout.strip()
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "merge pull request #7")
    return git("rev-parse", "HEAD")


@pytest.mark.slow
def test_generated_workflows_run_step_by_step_in_a_fresh_venv(
        tmp_path, sandbox_server, postgres_dsn):
    secrets = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn, "MAIL_API_TOKEN": "mail-token-1",
               "OCTOPUSH_API_LOGIN": "ops@example.com", "OCTOPUSH_API_KEY": "octo-key-1",
               "CONNECTLY_API_KEY": "conn-key-1", "SCHED_API_KEY": "sched-key-1",
               **EXAMPLE_IDS}  # campaignctl.yaml holds no credential: the repo's secrets do
    runner = Runner(tmp_path)
    first = _runner_checkout(tmp_path, "runner-1", sandbox_server.url)
    sandbox_accounts(first / "campaigns", {**secrets, **EXAMPLE_IDS}, "production")
    workflows = first / ".github" / "workflows"
    for name in ("plan", "apply", "drift"):
        assert f"uses: {ACTION}" in (workflows / f"campaignctl-{name}.yml").read_text()

    # The pull request: install (the action), validate, plan, comment, artifact.
    out = run_job(runner, workflows / "campaignctl-plan.yml", first, secrets, "pull_request",
                  tmp_path)
    assert out["plan.exitcode"] == "2"
    assert (runner.bin / "campaignctl").is_file()  # installed into the fresh venv
    r = subprocess.run([runner.bin / "python", "-c", "import reconciler; print(reconciler.__file__)"],
                       cwd=tmp_path, capture_output=True, text=True)
    assert str(runner.venv) in r.stdout  # from the local path, not this checkout's source
    comment = (first / "plan.md").read_text()
    assert comment.startswith("<!-- campaignctl-plan -->") and len(comment) < 65_536
    report = (first / "plan.html").read_text()  # the same plan, verified against the state
    assert report.startswith("<!DOCTYPE html>") and "Verified: signed with the key" in report

    # The merge: another checkout, the artifact, the apply and its report for the PR.
    # The apply job applies each merged pull request at its merge commit (here one, #7,
    # whose plan run 42 the github-script step found).
    second = _runner_checkout(tmp_path, "runner-2", sandbox_server.url)
    merged = git_repository(second)
    out = run_job(runner, second / ".github" / "workflows" / "campaignctl-apply.yml", second,
                  secrets, "push", tmp_path, artifact=first / "plan.json",
                  given={"reviewed.prs": f"7:{merged}:42"})
    assert out["apply.applied"] == "#7" and "apply.failed" not in out
    assert (tmp_path / "step-summary.md").read_text() == "campaignctl apply: applied #7.\n"
    report = (second / "apply-7.md").read_text()
    assert report.startswith("<!-- campaignctl-apply -->\n## campaignctl apply: "
                             ":white_check_mark: done")
    assert "0 failed (0 with an unknown outcome), 0 skipped" in report

    # The nightly drift check on a third: in sync, exit 0.
    third = _runner_checkout(tmp_path, "runner-3", sandbox_server.url)
    out = run_job(runner, third / ".github" / "workflows" / "campaignctl-drift.yml", third,
                  secrets, "schedule", tmp_path)
    assert out["plan.exitcode"] == "0"
    for text in (comment, report):
        assert not any(v in text for v in secrets.values())


def test_a_failed_apply_still_reports_on_the_pull_request(tmp_path):
    """A refused saved plan writes a `failed` report, so the PR hears about it."""
    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "campaigns", ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    assert run_cli("plan", str(ws), "--env", "staging",
                   "-o", str(tmp_path / "plan.json")).returncode == 0
    (ws / "senders.yaml").write_text((ws / "senders.yaml").read_text().replace(
        "Acme Newsletter", "Acme News"))
    r = run_cli("apply", str(tmp_path / "plan.json"), "--report", str(tmp_path / "apply.md"))
    assert r.returncode == 1
    report = (tmp_path / "apply.md").read_text()
    assert report.startswith("<!-- campaignctl-apply -->\n## campaignctl apply: :x: failed")
    assert "the workspace changed since the plan was saved" in report
