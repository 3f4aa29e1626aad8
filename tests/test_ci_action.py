"""The action the generated workflows run with the repository's secrets is one the user
chose: there is no guessed default, a branch is refused, and a pip install from a GitHub
repository pins the very commit that was installed."""

from __future__ import annotations

import json

import pytest
from conftest import PINNED_ACTION, run_cli

from reconciler import ci_action

WORKFLOWS = ("plan", "apply", "drift")
SHA = "0123456789abcdef0123456789abcdef01234567"


def written(repo) -> list[str]:
    return [line.strip() for name in WORKFLOWS
            for line in (repo / ".github" / "workflows" / f"campaignctl-{name}.yml")
            .read_text().splitlines() if "campaignctl@" in line]


def test_no_action_is_refused_and_nothing_is_written(tmp_path):
    # This checkout is installed editable from a local path: nothing to derive from.
    r = run_cli("init", "--ci", "github", str(tmp_path))
    assert r.returncode == 1
    assert "init --ci github needs --action" in r.stderr
    assert "--action OWNER/REPO@COMMIT_SHA" in r.stderr and "no default" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / ".github").exists()


@pytest.mark.parametrize("given", ["acme/campaignctl@main", "acme/campaignctl@master",
                                   "acme/campaignctl@refs/heads/release"])
def test_a_branch_is_refused(tmp_path, given):
    r = run_cli("init", "--ci", "github", str(tmp_path), "--action", given)
    assert r.returncode == 1 and "is a branch, which moves" in r.stderr
    assert not (tmp_path / ".github").exists()


def test_a_commit_is_written_into_every_workflow(tmp_path):
    r = run_cli("init", "--ci", "github", str(tmp_path), "--action", PINNED_ACTION)
    assert r.returncode == 0, r.stderr
    assert written(tmp_path) == [f"uses: {PINNED_ACTION}"] * 3
    assert f"campaignctl action {PINNED_ACTION} (--action)" in r.stdout
    assert "pinned to a tag" not in r.stderr


def test_a_tag_is_accepted_with_a_note(tmp_path):
    r = run_cli("init", "--ci", "github", str(tmp_path), "--action", "acme/campaignctl@v1.4.0")
    assert r.returncode == 0, r.stderr
    assert written(tmp_path) == ["uses: acme/campaignctl@v1.4.0"] * 3
    assert "pinned to a tag, which its owner can move" in r.stderr


class FakeDistribution:
    def __init__(self, direct_url: dict | None):
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


@pytest.mark.parametrize("direct_url, expected", [
    # pip install git+https://github.com/acme/campaignctl@v1.4.0 records the commit (PEP 610)
    ({"url": "https://github.com/acme/campaignctl.git",
      "vcs_info": {"vcs": "git", "requested_revision": "v1.4.0", "commit_id": SHA}},
     f"acme/campaignctl@{SHA}"),
    ({"url": "ssh://git@github.com/acme/campaignctl.git",
      "vcs_info": {"vcs": "git", "commit_id": SHA}}, f"acme/campaignctl@{SHA}"),
    # Not a GitHub Action source, or nothing pinned: no derivation.
    ({"url": "https://gitlab.com/acme/campaignctl.git",
      "vcs_info": {"vcs": "git", "commit_id": SHA}}, None),
    ({"url": "file:///home/me/campaignctl", "dir_info": {"editable": True}}, None),
    ({"url": "https://github.com/acme/campaignctl.git",
      "vcs_info": {"vcs": "git", "commit_id": "v1.4.0"}}, None),
    (None, None),  # installed from an index or a wheel: no direct_url.json
])
def test_the_action_is_derived_only_from_a_pinned_github_install(monkeypatch, direct_url,
                                                                  expected):
    monkeypatch.setattr(ci_action.metadata, "distribution",
                        lambda name: FakeDistribution(direct_url))
    assert ci_action.installed_from() == expected
    if expected is None:
        with pytest.raises(ci_action.ActionError, match="needs --action"):
            ci_action.choose(None)
    else:
        chosen = ci_action.choose(None)
        assert (chosen.reference, chosen.pinned_to_commit) == (expected, True)
        assert chosen.origin == "the commit this campaignctl was installed from"
