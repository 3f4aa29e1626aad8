"""What a child started on a pseudo-terminal (os.forkpty) writes to it, read until it exits
or `timeout` passes (then it is killed): the tests of what a terminal shows use it."""

from __future__ import annotations

import os
import select
import time


def read_until_exit(pid: int, fd: int, timeout: float) -> tuple[int, bytes]:
    """(the child's exit code, every byte the terminal received); closes `fd`."""
    received = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not select.select([fd], [], [], 1)[0]:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        received.extend(data)
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), bytes(received)
