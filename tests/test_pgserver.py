"""The tests' throwaway PostgreSQL server does not outlive a test run that is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pgserver import server_bindir

HERE = Path(__file__).parent

CHILD = """
import sys
sys.path.insert(0, sys.argv[1])
from pgserver import PostgresServer, server_bindir
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = PostgresServer(server_bindir(), port).start()
print(server.data, flush=True)
sys.stdin.read()  # until killed
"""


@pytest.mark.skipif(server_bindir() is None, reason="no PostgreSQL server binaries")
def test_a_killed_run_leaves_no_server_behind():
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(HERE)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    data = Path(child.stdout.readline().strip())
    pid = int((data / "postmaster.pid").read_text().split()[0])
    os.kill(pid, 0)  # running
    child.send_signal(signal.SIGKILL)  # no stop(), no atexit
    child.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and data.parent.exists():
        time.sleep(0.2)
    assert not data.parent.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
