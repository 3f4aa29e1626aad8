"""A real PostgreSQL server for the tests, started from the machine's server binaries
(initdb, pg_ctl) in a temporary directory on 127.0.0.1, with password authentication.

`.ci/run` installs the binaries when the machine has none (Linux, from the system's packages).
Without them a local run skips the tests that need the server; under CI (CI=true) on Linux it
fails instead, so they can never silently not run where it counts. The Windows and macOS jobs
of the GitHub workflow have no server to install this way: there they skip, saying why.
"""

from __future__ import annotations

import glob
import itertools
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest


def server_bindir() -> Path | None:
    """Where initdb and pg_ctl are: PATH, else Debian's /usr/lib/postgresql/N/bin (newest)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parent.parent.name))
    return Path(versions[-1]).parent if versions else None


def unavailable(reason: str):
    if os.environ.get("CI") and sys.platform == "linux":
        pytest.fail(f"PostgreSQL tests cannot run: {reason} (.ci/run installs the server)")
    pytest.skip(f"PostgreSQL tests need a server: {reason} (on {sys.platform})")


class PostgresServer:
    """One throwaway cluster; `new_database()` gives each test an empty database."""

    def __init__(self, bindir: Path, port: int):
        self.bindir = bindir
        self.port = port
        self.user = "campaignctl"
        self.password = "pg-" + secrets.token_hex(12)
        self.root = Path(tempfile.mkdtemp(prefix="campaignctl-pg-"))
        self.data = self.root / "data"
        self.run_as: str | None = None
        if getattr(os, "geteuid", lambda: -1)() == 0:  # initdb refuses root: run it as postgres
            import pwd  # POSIX only, as is running as root

            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("running as root and there is no `postgres` user to run it as")
            self.run_as = "postgres"
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        result = subprocess.run(args, user=self.run_as, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{result.stdout}{result.stderr}")

    def start(self) -> PostgresServer:
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.run_as:
            import pwd

            account = pwd.getpwnam(self.run_as)
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                  "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                   "-c fsync=off -c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data),
                  "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o", options, "start")
        self._stop_when_gone(os.getpid())
        return self

    def _stop_when_gone(self, owner: int) -> None:
        """pg_ctl detaches the server: if the test run is killed (a timeout, Ctrl-C twice)
        before stop(), nothing would stop it. A watcher shuts it down (SIGQUIT: immediate
        shutdown) and removes its files once the owning process is gone."""
        pidfile = self.data / "postmaster.pid"
        script = (f"while kill -0 {owner} 2>/dev/null; do sleep 1; done; "
                  f"pid=$(head -n 1 '{pidfile}' 2>/dev/null) && kill -QUIT \"$pid\"; "
                  f"sleep 2; rm -rf '{self.root}'")
        subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def dsn(self, database: str = "postgres", password: str | None = None) -> str:
        return (f"postgresql://{self.user}:{password or self.password}@127.0.0.1:{self.port}"
                f"/{database}")

    def new_database(self) -> str:
        """Create an empty database; returns its DSN (with the password in it)."""
        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def sessions(self, database: str) -> int:
        """Open client sessions on a database (to see a killed run's connection go)."""
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname=%s "
                                "AND pid <> pg_backend_pid()", (database,)).fetchone()[0]
