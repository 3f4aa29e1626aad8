"""The SQLite state's apply lock as an operating-system lock on a file, through `filelock`
(a `flock` on Linux and macOS, `msvcrt.locking` on Windows): the OS holds it for the
process that took it and drops it when that process ends, even SIGKILLed, so a run that
dies leaves nothing to unlock by hand.

Where the platform has neither (a Python without `fcntl` off Windows), `filelock` falls
back to a marker file naming the holder's PID, which a later run reclaims once that
process is gone: the same guarantee on one machine. Its import-time warning about that
fallback is the only one silenced here; the lock's behaviour is unchanged by it."""

from __future__ import annotations

import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="only soft file lock is available")
    from filelock import FileLock, Timeout


class ProcessLock:
    """An exclusive lock on `path` held by this process, taken without waiting. Two
    `ProcessLock`s on one path exclude each other even within one process (the state's
    check of whether a recorded holder is alive relies on that)."""

    def __init__(self, path: Path):
        self._lock = FileLock(str(path), thread_local=False)

    def try_hold(self) -> bool:
        """Take the lock now; False when another holder has it."""
        try:
            self._lock.acquire(timeout=0, blocking=False)
        except Timeout:
            return False
        return True

    def let_go(self) -> None:
        self._lock.release(force=True)
