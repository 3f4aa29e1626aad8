"""`campaignctl completion bash|zsh|fish` prints a script that really completes: bash
sources it and completing `campaignctl pl` offers `plan`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

BIN = str(Path(sys.executable).parent)  # where pip put the `campaignctl` script


def test_each_shell_gets_its_script():
    bash = run_cli("completion", "bash")
    assert bash.returncode == 0, bash.stderr
    assert "_CAMPAIGNCTL_COMPLETE=bash_complete" in bash.stdout
    assert "complete -o nosort -F _campaignctl_completion campaignctl" in bash.stdout
    zsh = run_cli("completion", "zsh")
    assert zsh.returncode == 0 and "compdef _campaignctl_completion campaignctl" in zsh.stdout
    fish = run_cli("completion", "fish")
    assert fish.returncode == 0 and "complete --no-files --command campaignctl" in fish.stdout
    bad = run_cli("completion", "powershell")
    assert bad.returncode == 1 and "'powershell' is not one of" in bad.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_bash_completes_commands_subcommands_and_choices():
    if not (Path(BIN) / "campaignctl").exists():
        pytest.skip("campaignctl is not installed as a script next to this python")

    def complete(words: str) -> list[str]:
        script = ('eval "$(campaignctl completion bash)"\n'
                  f"COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n"
                  '_campaignctl_completion campaignctl\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
        env = {**os.environ, "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}
        r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout.split()

    assert complete("campaignctl pl") == ["plan"]
    assert set(complete("campaignctl state ''")) >= {"list", "show", "rm", "mv", "unlock"}
    assert complete("campaignctl plan --format ''") == ["text", "json", "markdown", "html"]
