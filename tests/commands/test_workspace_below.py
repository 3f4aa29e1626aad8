"""Run from a repository's root, whose workspace is in campaigns/, a command says in one
line where the workspace is (and reads no campaignctl.yaml below as a manifest)."""

from __future__ import annotations

import shutil

from conftest import EXAMPLE, run_cli, write_workspace


def test_a_repository_root_names_the_workspace_below_in_one_line(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "campaigns",
                    ignore=shutil.ignore_patterns(".campaignctl"))
    (tmp_path / "README.md").write_text("# our campaigns\n")
    for args in (("plan",), ("validate",), ("apply", "--auto-approve"), ("state", "list"),
                 ("status",)):
        r = run_cli(*args, cwd=tmp_path)
        assert r.returncode == 1, args
        lines = [line for line in (r.stdout + r.stderr).splitlines()
                 if line and line != "1 error."]
        assert lines == [".: no workspace here (no campaignctl.yaml); campaigns/ holds one: "
                         "give it as the directory, e.g. `campaignctl plan campaigns`"], (
            args, r.stdout + r.stderr)
    assert run_cli("validate", "campaigns", "--env", "staging", cwd=tmp_path).returncode == 0


def test_no_workspace_anywhere_and_a_nested_one(tmp_path):
    r = run_cli("plan", str(tmp_path))
    assert r.returncode == 1
    assert r.stderr.strip() == f"{tmp_path}: no campaignctl.yaml here: not a campaignctl " \
                               "workspace"
    # A folder inside a workspace with its own campaignctl.yaml is another workspace: its
    # files are not read as this one's manifests.
    write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n",
        "other/campaignctl.yaml": "providers: {}\n",
    })
    assert run_cli("validate", str(tmp_path / "ws")).returncode == 0
