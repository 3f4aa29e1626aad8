"""The CLI on a Python without `fcntl`, as on Windows: every command a user runs imports and
works, and two applies at once on one SQLite state still exclude each other, the second
refused with the lock's ID. Simulated on any OS by a `sitecustomize` on PYTHONPATH that
makes `import fcntl` fail in the subprocess that runs the CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE_EMAIL_POLICY, run_cli, sandbox_accounts

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "no-fcntl-t0ken"
EMAIL_FILES = ("campaigns.yaml", "groups.yaml", "messages.yaml", "optouts.yaml",
               "senders.yaml", "subscribers.csv")


@pytest.fixture
def no_fcntl(tmp_path) -> dict[str, str]:
    """The environment of a CLI subprocess in which `import fcntl` fails."""
    shim = tmp_path / "no-fcntl"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text("import sys\nsys.modules['fcntl'] = None\n")
    path = os.pathsep.join(p for p in (str(shim), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path, "MAIL_TOKEN": TOKEN}


def workspace(tmp_path: Path, server) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    for name in EMAIL_FILES:
        (ws / name).write_bytes((ROOT / "campaigns" / name).read_bytes())
    (ws / "campaignctl.yaml").write_text(
        "providers:\n  mail:\n    type: email-campaigns\n"
        f"    base_url: {server.url}\n    token: ${{MAIL_TOKEN}}\n" + EXAMPLE_EMAIL_POLICY)
    return sandbox_accounts(ws, {"MAIL_TOKEN": TOKEN})


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    result = run_cli(*args, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_the_shim_really_takes_fcntl_away(no_fcntl):
    probe = subprocess.run([sys.executable, "-c", "import fcntl"], capture_output=True,
                           text=True, env={**os.environ, **no_fcntl})
    assert probe.returncode == 1 and "fcntl" in probe.stderr


def test_validate_plan_apply_on_sqlite_without_fcntl(tmp_path, sandbox_server, no_fcntl):
    ws = workspace(tmp_path, sandbox_server)
    assert "fcntl" not in cli(no_fcntl, "--version").stderr
    valid = cli(no_fcntl, "validate", str(ws))
    assert valid.returncode == 0 and "valid" in valid.stdout, valid.stdout + valid.stderr
    plan = cli(no_fcntl, "plan", str(ws))
    assert plan.returncode == 0 and "to create" in plan.stdout, plan.stdout + plan.stderr
    applied = cli(no_fcntl, "apply", "--auto-approve", str(ws))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert re.search(r"Apply: \d+ done, 0 failed", applied.stdout), applied.stdout
    assert (ws / ".campaignctl" / "state.db").is_file()
    again = cli(no_fcntl, "plan", str(ws))
    assert "No changes." in again.stdout, again.stdout + again.stderr
    # The lock went with the process: nothing is recorded as holding it.
    shown = cli(no_fcntl, "state", "unlock", str(ws))
    assert "lock" in shown.stdout + shown.stderr and "alive" not in shown.stdout


def writes(server) -> list:
    journal = server.get("/_sandbox/requests").json()
    return [r for r in journal if r["method"] in ("POST", "PUT", "DELETE", "PATCH")]


@pytest.mark.slow
def test_two_applies_at_once_without_fcntl_the_second_is_refused_with_the_lock_id(
        tmp_path, sandbox_server, no_fcntl):
    ws = workspace(tmp_path, sandbox_server)
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/email/", "method": method, "kind": "latency", "seconds": 1.5}
        for method in ("POST", "PUT")]})
    first = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apply", "--auto-approve", str(ws)],
        env={**os.environ, "NO_COLOR": "1", **no_fcntl}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not writes(sandbox_server):
            time.sleep(0.05)
        assert writes(sandbox_server), "the first apply never started writing"
        second = cli(no_fcntl, "apply", "--auto-approve", str(ws))
        assert first.poll() is None, "the first apply ended before the second one ran"
        assert second.returncode == 1
        assert "locked by" in second.stderr and f"pid {first.pid}" in second.stderr
        lock_id = re.search(r"lock ID ([0-9a-f]{16})", second.stderr).group(1)
        refused = cli(no_fcntl, "state", "unlock", lock_id, str(ws))
        assert refused.returncode == 1 and "alive" in refused.stdout + refused.stderr
    finally:
        out, err = first.communicate(timeout=180)
    assert first.returncode == 0, out.decode() + err.decode()
    sandbox_server.delete("/_sandbox/faults")
    assert "No changes." in cli(no_fcntl, "plan", str(ws)).stdout
