"""Which campaignctl this is: the version setuptools-scm derived from the git tags when the
package was built (`reconciler/_version.py`, written then, with the commit it was built
from), or, in a source tree that was never built, a fallback that says so. A checkout
installed in editable mode (`pip install -e .`) names its current commit, read from git
at the moment `--version` asks, since the one recorded at install time goes stale."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

FALLBACK = "0.0.0+unknown"  # not built from git, nor installed: no version to tell

try:
    from reconciler._version import __version__
    from reconciler._version import commit as built_commit
except ImportError:  # a source tree used without installing it
    try:
        __version__ = metadata.version("campaignctl")
    except metadata.PackageNotFoundError:
        __version__ = FALLBACK
    built_commit = None


def checkout_commit() -> str | None:
    """The short commit of the git checkout this package runs from (editable installs),
    with `-dirty` when it has uncommitted changes; None when it is not one."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists() or not (root / "pyproject.toml").is_file():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty",
                              "--abbrev=12", "--match=NO-TAG-MATCHES"],
                             capture_output=True, text=True, timeout=10,
                             stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def version_line() -> str:
    """What `campaignctl --version` prints: the version, and the commit when known."""
    commit = checkout_commit() or (built_commit[1:] if built_commit and
                                   built_commit.startswith("g") else built_commit)
    return f"campaignctl {__version__}" + (f" (commit {commit})" if commit else "")
