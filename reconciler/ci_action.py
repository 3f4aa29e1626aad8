"""Which campaignctl GitHub Action the generated CI workflows use, pinned.

The workflows run with the repository's secrets, so the action they name must be the code the
user chose to trust. There is no default: a guessed `owner/name` is whatever its owner
publishes under that name. The reference comes from `--action OWNER/REPO@REF`, or, when
campaignctl itself was installed from a GitHub repository with pip (`pip install
git+https://github.com/OWNER/REPO@REF`), from the commit pip recorded for that install
(PEP 610 `direct_url.json`), which is the code already running here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import metadata

REFERENCE = re.compile(r"(?P<repo>[\w.-]+/[\w.-]+)(?P<path>/[\w./-]+)?@(?P<ref>[\w./-]+)")
COMMIT = re.compile(r"[0-9a-f]{40}")
GITHUB_URL = re.compile(r"(?:git\+)?(?:https://|ssh://git@)github\.com[/:]"
                        r"(?P<repo>[\w.-]+/[\w.-]+?)(?:\.git)?/?")


class ActionError(ValueError):
    """No usable action reference: the message says what to pass."""


@dataclass(frozen=True)
class Action:
    reference: str   # OWNER/REPO@REF as written into `uses:`
    origin: str      # how it was chosen, for the user
    pinned_to_commit: bool


def installed_from() -> str | None:
    """OWNER/REPO@COMMIT when this package was pip-installed from a GitHub repository."""
    try:
        text = metadata.distribution("campaignctl").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    try:
        direct = json.loads(text)
    except ValueError:
        return None
    vcs = direct.get("vcs_info") or {}
    match = GITHUB_URL.fullmatch(str(direct.get("url", "")))
    commit = str(vcs.get("commit_id", ""))
    if vcs.get("vcs") != "git" or match is None or not COMMIT.fullmatch(commit):
        return None
    return f"{match['repo']}@{commit}"


HOW = ("name the campaignctl action the workflows run with your secrets, pinned: "
       "--action OWNER/REPO@COMMIT_SHA (the repository you install campaignctl from, at a "
       "full commit SHA, or a release tag you trust)")


def choose(given: str | None) -> Action:
    """The action to write into the workflows, or ActionError saying what to pass."""
    if given is None:
        derived = installed_from()
        if derived is None:
            raise ActionError(f"init --ci github needs --action: {HOW}. There is no default "
                              "(a guessed repository name runs whatever its owner publishes "
                              "there), and this campaignctl was not installed from a GitHub "
                              "repository by pip, so its source cannot be derived")
        return Action(derived, "the commit this campaignctl was installed from", True)
    match = REFERENCE.fullmatch(given)
    if match is None:
        raise ActionError(f"--action {given!r}: expected OWNER/REPO@REF (a tag or a commit SHA)")
    ref = match["ref"]
    if ref in ("main", "master", "HEAD", "latest") or ref.startswith(("refs/heads/", "heads/")):
        raise ActionError(f"--action {given!r}: {ref!r} is a branch, which moves; {HOW}")
    return Action(given, "--action", bool(COMMIT.fullmatch(ref)))
