"""`--state postgres` for the benchmarks: a throwaway PostgreSQL server on 127.0.0.1 (the
machine's initdb/pg_ctl, as the tests start it) whose DSN goes in CAMPAIGNCTL_STATE_DSN."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

def state_config(state: str, schema: str = "campaignctl") -> str:
    """The campaignctl.yaml lines that put a workspace's state there (one schema each)."""
    if state != "postgres":
        return ""
    return f"state:\n  backend: postgres\n  dsn: ${{CAMPAIGNCTL_STATE_DSN}}\n  schema: {schema}\n"


@contextmanager
def state_backend(state: str) -> Iterator[None]:
    if state != "postgres":
        yield
        return
    from conftest import free_port
    from pgserver import PostgresServer, server_bindir

    bindir = server_bindir()
    if bindir is None:
        raise SystemExit("--state postgres needs PostgreSQL's initdb and pg_ctl")
    server = PostgresServer(bindir, free_port()).start()
    os.environ["CAMPAIGNCTL_STATE_DSN"] = server.new_database()
    try:
        yield
    finally:
        server.stop()
