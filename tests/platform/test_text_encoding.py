"""Text files are read and written as UTF-8 whatever the machine's locale: on Windows the
default is the ANSI code page (cp1252 and others), so a plan file, a report, an imported
manifest or `init`'s files written with the default would not read back elsewhere. Python
warns (EncodingWarning, with -X warn_default_encoding) at each text open that relies on the
default: the CLI's whole main job, `init`, `fmt` and a saved plan raise none from our code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_no_text_io_relies_on_the_locale_encoding(tmp_path):
    ws = tmp_path / "campaigns"
    shutil.copytree(ROOT / "campaigns", ws,
                    ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    warned = []
    plan_file = tmp_path / "staging.plan"
    for args in (("validate", str(ws), "--env", "staging"),
                 ("plan", str(ws), "--env", "staging", "--out", str(plan_file)),
                 ("show", str(plan_file)),
                 ("apply", str(ws), "--env", "staging", "--auto-approve",
                  "--report", str(tmp_path / "report.md")),
                 ("fmt", str(ws)),
                 ("init", str(tmp_path / "new"))):
        result = run(args, tmp_path)
        assert "Traceback" not in result.stderr, result.stderr
        ours = os.sep + "reconciler" + os.sep
        warned += [line for line in result.stderr.splitlines()
                   if "EncodingWarning" in line and ours in line]
    assert plan_file.is_file()
    assert warned == []


def run(args: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess:
    """The CLI with Python warning at each text open that relies on the default encoding."""
    return subprocess.run([sys.executable, "-X", "warn_default_encoding", "-m", "reconciler",
                           *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL)
