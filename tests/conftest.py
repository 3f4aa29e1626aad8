"""Shared fixtures: build a workspace, run the real CLI, start the sandbox on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import pytest

from reconciler.testing.sandbox import SandboxServer, free_port  # noqa: F401  (tests use both)

#: A vendor package's own tests: tests/plugins runs them with that package installed.
collect_ignore = ["plugins/acme_sms_pkg"]

#: The credentials test workspaces take from the environment, as real ones do (validate
#: refuses a credential written into campaignctl.yaml); set for the whole run.
TEST_CREDENTIALS = {
    "TEST_TOKEN": "test-token", "TEST_LOGIN": "login", "TEST_KEY": "key", "TEST_KEY_1": "key-1",
    "TEST_KEY_2": "key-2", "TEST_KEY_123": "key-123", "TEST_BUSINESS": "acme",
    "TEST_SCHED_KEY": "sk-test-123", "TEST_STATUS_TOKEN": "t0k", "TEST_BUSINESS_E2E": "biz-e2e",
}
os.environ.update(TEST_CREDENTIALS)


def write_workspace(root: Path, files: dict[str, str]) -> Path:
    """Write files (dedented) under root; returns root."""
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


EXAMPLE = Path(__file__).parent.parent / "campaigns"
#: What a marketing email of a test workspace shows to pass the pack's email rules
#: (an unsubscribe link, the postal address), and the policy naming that address.
EMAIL_FOOTER = "Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"
EMAIL_POLICY = 'policy: {email: {postal_address: "Acme Inc., 1 Main St, Springfield"}}\n'
#: the example workspace's postal address, which its marketing emails show (the pack's
#: CAN-SPAM rules): for a test workspace that copies the example's email manifests
EXAMPLE_EMAIL_POLICY = ('policy: {email: {postal_address: "Acme Inc., 100 Main Street, '
                        'Springfield, IL 62701, USA"}}\n')
GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    """`text` equals tests/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; UPDATE_GOLDEN=1 rewrites it"
#: The environment of the example workspace on real accounts, and the secrets it takes from
#: the process environment, as ${VAR}s.
EXAMPLE_ENV = "production"
#: What a user passes to `init --ci github --action`: a fork of campaignctl, at a commit.
PINNED_ACTION = "acme-org/campaignctl@3f6c1e0d9b8a7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
#: Account ids it takes from the environment too (campaignctl.yaml holds no credential)
EXAMPLE_IDS = {"CONNECTLY_BUSINESS_ID": "biz-1"}
EXAMPLE_SECRETS = ("MAIL_API_TOKEN", "OCTOPUSH_API_LOGIN", "OCTOPUSH_API_KEY",
                   "CONNECTLY_API_KEY", "SCHED_API_KEY")


def example_on_real_accounts(ws: Path, base_url: str, *, postgres: bool = False) -> Path:
    """Copy the example workspace to ws; its production environment (EXAMPLE_ENV) has its
    accounts at base_url and every credential a ${VAR} (EXAMPLE_SECRETS); with `postgres`,
    its state in ${CAMPAIGNCTL_STATE_DSN}."""
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    config = ws / "campaignctl.yaml"
    text = config.read_text()
    for vendor in ("MAIL", "OCTOPUSH", "CONNECTLY", "SCHED"):
        assert f"${{{vendor}_API_URL}}" in text
        text = text.replace(f"${{{vendor}_API_URL}}", base_url)
    if postgres:
        text = text.replace("    # state:\n    #   backend: postgres\n    #   dsn:",
                            "    state:\n      backend: postgres\n      dsn:")
        assert "    state:\n      backend: postgres" in text
    config.write_text(text)
    return ws


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `campaignctl ARGS` in a subprocess, as a user would (no TTY on stdin)."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def cli_in_process(capsys, *args: str) -> tuple[int, str]:
    """(exit code, stdout + stderr) of the console script's entry point run in this process
    (its error handling and exit codes, as a user's shell sees them), for tests that observe
    the process from inside (monkeypatched counters)."""
    from reconciler.cli import main

    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out + out.err


class FileCounter(Mapping):
    """Name -> count, counted from the lines of a file every process of the run appends to
    (a plan checks known-clean CSVs in a forked child on Linux); 0 for a name not seen."""

    def __init__(self, log: Path):
        self.log = log
        log.write_text("")

    def note(self, name: str) -> None:
        with open(self.log, "a") as f:
            f.write(name + "\n")

    def counts(self) -> Counter:
        return Counter(self.log.read_text().splitlines())

    def __getitem__(self, name: str) -> int:
        return self.counts()[name]

    def __iter__(self):
        return iter(self.counts())

    def __len__(self) -> int:
        return len(self.counts())

    def clear(self) -> None:
        self.log.write_text("")


@pytest.fixture
def csv_opens(monkeypatch, tmp_path) -> FileCounter:
    """File name -> how many times the CSV parser opened it (in this process, and in any
    process it forked)."""
    import reconciler.contacts

    seen = FileCounter(tmp_path / "csv-opens.log")
    real = reconciler.contacts.open_csv

    def counted(path, *args):
        seen.note(Path(path).name)
        return real(path, *args)

    monkeypatch.setattr(reconciler.contacts, "open_csv", counted)
    return seen


def sandbox_accounts(ws: Path, env: dict[str, str] | None = None,
                     environment: str | None = None) -> Path:
    """Create, at each running sandbox server the workspace's campaignctl.yaml points to,
    the accounts it configures, with their credentials (as a team's admin creates them at
    a real vendor: the sandbox refuses credentials it does not hold). Returns ws."""
    from reconciler.config import load_config

    config, errors = load_config(ws, {**os.environ, **(env or {})}, environment)
    assert config is not None and not errors, errors
    for account in config.accounts.values():
        for url, server in SandboxServer.running.items():
            if account.base_url.startswith(url):
                server.add_account(account.type, **{k: v.reveal() for k, v in
                                                    account.credentials.items()})
    return ws


@pytest.fixture
def sandbox_server(tmp_path):
    """The vendor emulator served over real HTTP on 127.0.0.1, for end-to-end tests."""
    server = SandboxServer(tmp_path / "sandbox-data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server on 127.0.0.1 for the whole test session."""
    from pgserver import PostgresServer, server_bindir, unavailable

    bindir = server_bindir()
    if bindir is None:
        unavailable("no initdb / pg_ctl on this machine")
    server = PostgresServer(bindir, free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_dsn(postgres_server) -> str:
    """The DSN of an empty database of its own, with the password in it."""
    return postgres_server.new_database()


#: Folders whose every test is slow: sends to large audiences against the sandbox.
SLOW_FOLDERS = ("e2e_send",)


#: What a `posix` test needs that Windows has not: SIGKILL/SIGSTOP, FIFOs, /dev, symbolic
#: links without privileges. Those tests skip there, saying so; the rest run everywhere.
POSIX_ONLY = pytest.mark.skip(reason="needs POSIX signals, FIFOs or symbolic links "
                                     "(not on Windows)")


def pytest_collection_modifyitems(config, items):
    """`-m "not slow"` leaves out the long runs: tests marked `slow` by hand, every test of
    SLOW_FOLDERS, and every test that needs the PostgreSQL server (it starts one). On
    Windows, tests marked `posix` skip."""
    for item in items:
        if sys.platform == "win32" and item.get_closest_marker("posix"):
            item.add_marker(POSIX_ONLY)
        folder = Path(str(item.fspath)).parent.name
        if folder in SLOW_FOLDERS or "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
