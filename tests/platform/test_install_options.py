"""What an install tells its user: `--version` names the version and the commit of a git
checkout, and a PostgreSQL state asked for without the `[postgres]` extra says how to get
it instead of failing on an import."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli, write_workspace

from reconciler import __version__

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="not a git checkout")
def test_version_names_the_checkouts_commit():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    shown = run_cli("--version")
    assert shown.returncode == 0, shown.stderr
    assert re.fullmatch(rf"campaignctl {re.escape(__version__)} \(commit {head}(-dirty)?\)\n",
                        shown.stdout), shown.stdout
    assert __version__ != "0.0.0+unknown"  # installed: the version came from git


def test_postgres_state_without_the_extra_says_how_to_install_it(tmp_path):
    shim = tmp_path / "no-psycopg"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text("import sys\nsys.modules['psycopg'] = None\n")
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail:\n    type: email-campaigns\n"
                            "    base_url: sandbox\n"
                            "state:\n  backend: postgres\n  dsn: ${CAMPAIGNCTL_STATE_DSN}\n",
    })
    path = os.pathsep.join(p for p in (str(shim), os.environ.get("PYTHONPATH")) if p)
    result = run_cli("plan", str(ws), env={
        "PYTHONPATH": path,
        "CAMPAIGNCTL_STATE_DSN": "postgresql://u:secret-pw@127.0.0.1:1/db"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert 'pip install "campaignctl[postgres]"' in result.stderr, result.stderr
    assert "secret-pw" not in result.stdout + result.stderr
