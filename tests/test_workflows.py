"""CI workflows: this repo's CI and the templates shipped for users' campaign repos are valid
YAML with the expected steps, `init --ci github` writes them (never over existing files), and
the campaignctl commands they run work against the sandbox."""

from __future__ import annotations

import io
import shlex
import shutil
from pathlib import Path

from conftest import EXAMPLE_IDS, PINNED_ACTION, example_on_real_accounts, run_cli, sandbox_accounts
from ruamel.yaml import YAML

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "reconciler" / "templates" / "github"
EXAMPLE = ROOT / "campaigns"


def load(path: Path) -> dict:
    return YAML(typ="safe").load(io.StringIO(path.read_text()))


def steps(workflow: dict) -> list[dict]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def uses(workflow: dict) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps(workflow) if "uses" in s]


def campaignctl_commands(workflow: dict) -> list[str]:
    out = []
    for s in steps(workflow):
        for line in s.get("run", "").splitlines():
            if line.strip().startswith("campaignctl "):
                out.append(line.strip())
    return out


def test_repo_ci_runs_ci_script_on_three_pythons():
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    job = ci["jobs"]["test"]
    assert job["strategy"]["matrix"]["python-version"] == ["3.11", "3.12", "3.13"]
    assert any(s.get("run") == "bash .ci/run" for s in job["steps"])
    assert "actions/setup-python" in uses(ci)
    assert job["runs-on"] == "ubuntu-latest"


def test_repo_ci_runs_the_tests_on_windows_and_macos_too():
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    laptops = ci["jobs"]["laptops"]
    assert laptops["runs-on"] == "${{ matrix.os }}"
    assert laptops["strategy"]["matrix"]["os"] == ["windows-latest", "macos-latest"]
    runs = [s.get("run", "") for s in laptops["steps"]]
    assert any("python -m pytest" in r for r in runs)
    assert any('pip install -e ".[test]"' in r for r in runs)


def test_plan_template_steps():
    wf = load(TEMPLATES / "campaignctl-plan.yml")
    assert "pull_request" in wf["on"]
    assert wf["permissions"]["pull-requests"] == "write"
    assert uses(wf) == ["actions/checkout", "CAMPAIGNCTL_ACTION", "actions/upload-artifact",
                        "actions/github-script", "actions/upload-artifact"]
    runs = "\n".join(s.get("run", "") for s in steps(wf))
    assert "pip install" not in runs  # the pinned action installs campaignctl
    assert campaignctl_commands(wf) == [
        'campaignctl validate "$CAMPAIGNCTL_WORKSPACE" --format github',
        'campaignctl plan "$CAMPAIGNCTL_WORKSPACE" -o plan.json --format markdown '
        '--detailed-exitcode > plan.md 2> plan.err',
        'campaignctl show plan.json --workspace "$CAMPAIGNCTL_WORKSPACE" --format html > plan.html']
    script = next(s for s in steps(wf) if "github-script" in s.get("uses", ""))["with"]["script"]
    assert "<!-- campaignctl-plan -->" in script  # one comment, found again by its marker
    assert "updateComment" in script and "createComment" in script
    report, upload = [s for s in steps(wf) if "upload-artifact" in s.get("uses", "")]
    assert upload["with"] == {"name": "campaignctl-plan", "path": "plan.json",
                              "retention-days": 30}
    # the HTML report: its own artifact (the apply workflow downloads only the plan), uploaded
    # before the comment, which links it
    assert report["with"] == {"name": "campaignctl-plan-report", "path": "plan.html",
                              "retention-days": 30}
    assert "steps.report.outputs.artifact-url" in script
    assert wf["env"]["CAMPAIGNCTL_STATE_DSN"] == "${{ secrets.CAMPAIGNCTL_STATE_DSN }}"


def test_apply_template_steps():
    wf = load(TEMPLATES / "campaignctl-apply.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in wf["on"]
    assert wf["concurrency"]["cancel-in-progress"] is False
    assert uses(wf) == ["actions/checkout", "CAMPAIGNCTL_ACTION", "actions/github-script",
                        "actions/github-script"]
    checkout = next(s for s in steps(wf) if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # each merge commit is checked out
    apply = next(s for s in steps(wf) if s.get("id") == "apply")
    assert apply["env"]["PRS"] == "${{ steps.reviewed.outputs.prs }}"
    assert "gh run download \"$run\" --name campaignctl-plan" in apply["run"]
    assert ('campaignctl apply "$at.plan/plan.json" --workspace "$at/$CAMPAIGNCTL_WORKSPACE" '
            '--report "apply-$pr.md"') in apply["run"]
    assert "GITHUB_STEP_SUMMARY" in apply["run"]  # names the pull requests it applied
    assert campaignctl_commands(wf) == [
        'campaignctl validate "$CAMPAIGNCTL_WORKSPACE"',
        'campaignctl apply "$CAMPAIGNCTL_WORKSPACE" --auto-approve']
    assert wf["env"]["CAMPAIGNCTL_STATE_DSN"] == "${{ secrets.CAMPAIGNCTL_STATE_DSN }}"


def workflow_env(workflow: dict, secrets: dict[str, str]) -> dict[str, str]:
    """The workflow's env: as GitHub resolves it, `${{ secrets.X }}` from `secrets`."""
    env = {}
    for key, value in workflow["env"].items():
        value = str(value)
        if value.startswith("${{ secrets."):
            value = secrets.get(value.removeprefix("${{ secrets.").removesuffix(" }}"), "")
        env[key] = value
    return env


def _run_step_command(line: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, str]:
    """Run one workflow command as the runner's shell would (variables, redirections)."""
    words = shlex.split(line.replace("$CAMPAIGNCTL_WORKSPACE", env["CAMPAIGNCTL_WORKSPACE"]))[1:]
    redirect: dict[str, Path] = {}
    args = []
    it = iter(words)
    for w in it:
        if w in (">", "2>"):
            redirect[w] = cwd / next(it)
        else:
            args.append(w)
    r = run_cli(*args, cwd=cwd, env=env)
    if ">" in redirect:
        redirect[">"].write_text(r.stdout)
    if "2>" in redirect:
        redirect["2>"].write_text(r.stderr)
    return r.returncode, r.stdout, r.stderr


def test_workflows_refuse_a_state_the_runner_would_lose(tmp_path):
    """The example workspace keeps its state in SQLite: on a throwaway runner it would be
    gone after the job and the next apply would create and send everything again."""
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo / "campaigns", ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    r = run_cli("init", "--ci", "github", "--env", "staging", str(repo),
                "--action", PINNED_ACTION)
    assert r.returncode == 0, r.stderr
    assert "uses the SQLite state" in r.stderr and "backend: postgres" in r.stderr
    plan_wf = load(repo / ".github" / "workflows" / "campaignctl-plan.yml")
    env = workflow_env(plan_wf, {})
    assert env["CAMPAIGNCTL_ENV"] == "staging"
    # validate and plan (the HTML report's step runs only after a plan that succeeded)
    codes = [_run_step_command(c, repo, env)[0] for c in campaignctl_commands(plan_wf)[:2]]
    assert codes == [0, 1]  # validate is offline; plan refuses
    err = (repo / "plan.err").read_text()
    assert "backend is SQLite, which this runner loses" in err and "Traceback" not in err
    assert not (repo / "plan.json").exists()


def test_init_refuses_to_overwrite(tmp_path):
    assert run_cli("init", "--ci", "github", str(tmp_path), "--action", PINNED_ACTION).returncode == 0
    r = run_cli("init", "--ci", "github", str(tmp_path), "--action", PINNED_ACTION)
    assert r.returncode == 1 and "not overwriting" in r.stderr


def _runner_checkout(tmp_path: Path, runner: str, vendor_url: str) -> Path:
    """A fresh CI runner's checkout of the campaign repo: no .campaignctl, nothing kept from
    earlier jobs; the example's production environment, its vendors the sandbox server (the
    URLs come from the environment, see ACCOUNTS), its state in PostgreSQL."""
    repo = tmp_path / runner
    example_on_real_accounts(repo / "campaigns", vendor_url, postgres=True)
    assert run_cli("init", "--ci", "github", "--env", "production", str(repo),
                   "--action", PINNED_ACTION).returncode == 0
    return repo


def accounts(vendor_url: str) -> dict[str, str]:
    """The production accounts' URLs and ids (not secrets), as a runner's env: lines set."""
    return {f"{v}_API_URL": vendor_url for v in ("MAIL", "OCTOPUSH", "CONNECTLY", "SCHED")} | EXAMPLE_IDS


def test_reviewed_plan_applies_on_another_runner_with_postgres_state(
        tmp_path, sandbox_server, postgres_dsn):
    """What the shipped workflows do on GitHub: the plan job and the apply job run on two
    different throwaway machines; later jobs on others find nothing to do and send nothing
    again, because bindings and the send ledger live in PostgreSQL."""
    secrets = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn, "MAIL_API_TOKEN": "mail-token-1",
               "OCTOPUSH_API_LOGIN": "ops@example.com", "OCTOPUSH_API_KEY": "octo-key-1",
               "CONNECTLY_API_KEY": "conn-key-1", "SCHED_API_KEY": "sched-key-1"}
    password = postgres_dsn.split(":")[2].split("@")[0]
    outputs: list[str] = []

    def job(repo: Path, name: str, commands: slice = slice(None)) -> list[int]:
        """Run a workflow's campaignctl commands on this runner, with the workflow's env."""
        workflow = load(repo / ".github" / "workflows" / f"campaignctl-{name}.yml")
        env = {**workflow_env(workflow, secrets), **secrets,  # + the env: lines users add
               **accounts(sandbox_server.url)}
        assert env["CAMPAIGNCTL_REQUIRE_SHARED_STATE"] == "true"
        assert env["CAMPAIGNCTL_ENV"] == "production"
        codes = []
        for line in campaignctl_commands(workflow)[commands]:
            code, out, err = _run_step_command(line, repo, env)
            outputs.append(out + err)
            codes.append(code)
        return codes

    def apply_step(repo: Path) -> int:
        """The apply step's command for one pull request's plan (its loop over the merged
        pull requests runs in tests/test_workflow_steps.py)."""
        workflow = load(repo / ".github" / "workflows" / "campaignctl-apply.yml")
        env = {**workflow_env(workflow, secrets), **secrets, **accounts(sandbox_server.url)}
        code, out, err = _run_step_command(
            'campaignctl apply plan.json --workspace "$CAMPAIGNCTL_WORKSPACE" '
            '--report apply.md', repo, env)
        outputs.append(out + err)
        return code

    # Pull request, runner 1: validate, plan (exit 2: changes), the HTML report of the saved
    # plan (verified against the state); a Markdown comment and the plan.json artifact.
    first = _runner_checkout(tmp_path, "runner-1", sandbox_server.url)
    sandbox_accounts(first / "campaigns", {**secrets, **EXAMPLE_IDS}, "production")
    assert job(first, "plan") == [0, 2, 0], outputs
    assert "Verified: signed" in (first / "plan.html").read_text()
    comment = (first / "plan.md").read_text()
    assert comment.startswith("<!-- campaignctl-plan -->") and "send" in comment
    artifact = (first / "plan.json").read_text()

    # Merge, runner 2: a new checkout plus the downloaded artifact; apply exactly it.
    second = _runner_checkout(tmp_path, "runner-2", sandbox_server.url)
    (second / "plan.json").write_text(artifact)
    assert apply_step(second) == 0, outputs[-1]
    assert "Applying the saved plan plan.json" in outputs[-1]
    sms = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    whatsapp = sandbox_server.get("/_sandbox/connectly/deliveries").json()
    assert sms["total"] > 0 and whatsapp["total"] > 0

    # A re-run of that job on runner 3 is refused: the live state moved since the review.
    third = _runner_checkout(tmp_path, "runner-3", sandbox_server.url)
    (third / "plan.json").write_text(artifact)
    assert apply_step(third) == 1
    assert "live state changed" in outputs[-1]

    # Runner 4, the manual fresh run: the shared state knows everything is done.
    fourth = _runner_checkout(tmp_path, "runner-4", sandbox_server.url)
    assert job(fourth, "apply") == [0, 0], outputs[-2:]
    assert "No changes" in outputs[-1]
    for vendor, before in (("octopush", sms), ("connectly", whatsapp)):
        after = sandbox_server.get(f"/_sandbox/{vendor}/deliveries").json()
        assert after["total"] == before["total"] and after["duplicates"] == []
    # The state DSN (and its password) never shows, nor does any other secret.
    for text in [*outputs, artifact, comment]:
        assert password not in text and postgres_dsn not in text
        assert not any(value in text for value in secrets.values())
