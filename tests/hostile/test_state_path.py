"""Issue 32: a SQLite `state.path` lives inside the workspace. Every form that would lead out
of it, or onto a workspace file, a folder or a device, in the top-level `state:` and under an
environment, is an error at its `file:line:col` in validate, plan, apply and the `state`
commands, and nothing is created anywhere (in the workspace or outside it)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import cli_in_process, run_cli, write_workspace

SENDER = """
kind: Sender
name: news
provider: mail
spec: {email: news@example.com, description: News}
"""
#: state.path as a pull request could write it; OUT stands for a folder outside the workspace
FORMS = {
    "dotdot": ("../outside-state/planned.db", "outside the workspace"),
    "absolute": ("OUT/planned.db", "absolute path"),
    "symlinked-folder": ("linkout/planned.db", "a symbolic link leads out"),
    "campaignctl.yaml": ("campaignctl.yaml", "read as a workspace file"),
    "csv": ("list.csv", "read as a workspace file"),
    "dev-null": ("/dev/null", "absolute path"),
    "dot": (".", "names a folder"),
    "directory": ("sub", "is a directory"),
    "fifo": ("fifo", "is a named pipe (FIFO)"),
    "a-manifest-without-suffix-check": ("notes.txt", "not a SQLite state"),
    "trailing-slash": ("newdir/", "names a folder"),
    "through-a-file": ("notes.txt/state.db", "is not a folder"),
}
COMMANDS = (["validate"], ["plan"], ["apply", "--auto-approve"], ["state", "list"],
            ["state", "show", "Sender/news"], ["status"], ["import", "mail", "--dry-run"])


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def build(tmp_path: Path, path: str, under_env: bool) -> tuple[Path, list[str], tuple[int, int]]:
    """A workspace whose state.path is `path` (at the top level or in environment
    staging); returns it, the --env arguments, and the line and column of the value."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = path.replace("OUT", str(outside))
    if under_env:
        config = ("providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
                  "environments:\n  staging:\n    state:\n"
                  f"      path: '{path}'\n  production: {{}}\n")
        where, env = (6, 13), ["--env", "staging"]
    else:
        config = ("providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
                  f"state:\n  path: '{path}'\n")
        where, env = (4, 9), []
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config, "senders.yaml": SENDER,
                                           "list.csv": "email\na@example.com\n",
                                           "notes.txt": "keep me\n"})
    (ws / "linkout").symlink_to(outside)
    (ws / "sub").mkdir()
    os.mkfifo(ws / "fifo")
    return ws, env, where


@pytest.mark.posix
@pytest.mark.parametrize("under_env", [False, True], ids=["top-level", "environment"])
@pytest.mark.parametrize("form", FORMS)
def test_state_path_out_of_the_workspace_is_a_positioned_error_and_creates_nothing(
        tmp_path, capsys, form, under_env):
    written, reason = FORMS[form]
    ws, env, (line, col) = build(tmp_path, written, under_env)
    before = tree(tmp_path)
    for command in COMMANDS:
        code, out = cli_in_process(capsys, *command, str(ws), *env)
        assert code == 1, (command, out)
        assert re.search(rf"^{re.escape(str(ws / 'campaignctl.yaml'))}:{line}:{col}: "
                         r"state\.path: .*" + re.escape(reason), out, re.M), (command, out)
        assert "Traceback" not in out and "internal error" not in out, out
        assert tree(tmp_path) == before, command  # nothing created, here or outside
    assert (ws / "notes.txt").read_text() == "keep me\n"


def test_console_script_refuses_a_state_outside_and_leaves_no_trace(tmp_path):
    ws, env, _ = build(tmp_path, "../outside-state/planned.db", True)
    for command in (["plan"], ["apply", "--auto-approve"]):
        r = run_cli(*command, str(ws), *env)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "state.path: file '../outside-state/planned.db' is outside the workspace" \
            in r.stderr
    assert not (tmp_path / "outside-state").exists()


@pytest.mark.posix
def test_a_link_beside_the_state_is_refused(tmp_path, capsys):
    """The apply lock and SQLite's -wal file are opened beside the state: a link there
    would write outside the workspace."""
    ws, env, _ = build(tmp_path, ".campaignctl/state.db", False)
    (ws / ".campaignctl").mkdir()
    (ws / ".campaignctl" / "state.db.lock").symlink_to(tmp_path / "outside" / "x.lock")
    code, out = cli_in_process(capsys, "plan", str(ws))
    assert code == 1
    assert "'state.db.lock' beside it is a symbolic link" in out
    assert not (tmp_path / "outside" / "x.lock").exists()


def test_a_state_inside_the_workspace_still_plans_and_applies(tmp_path, capsys):
    ws, env, _ = build(tmp_path, "states/custom.db", True)
    assert cli_in_process(capsys, "apply", "--auto-approve", str(ws), *env)[0] == 0
    assert (ws / "states" / "custom.db").read_bytes().startswith(b"SQLite format 3\x00")
    code, out = cli_in_process(capsys, "plan", str(ws), *env)
    assert code == 0 and "No changes" in out, out
