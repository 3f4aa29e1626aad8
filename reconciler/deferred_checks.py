"""The CSV checks validation left for the plan (`ws.unchecked`: files whose bytes are
recorded as checked clean, checked_csv), run while the reads are in flight.

On Linux they run in a forked child process, on the machine's other core: the plan's own
thread then decodes and compares the vendors' answers without sharing the interpreter
lock with 1.7 s of row checks (at a million contacts). The child inherits the workspace
and the per-process hash seed, so the contact summaries it computes compare with the
parent's; it sends back each file's scan (problems, summary, digest, an opt-out list's
addresses). Rows a send-only vendor keeps for its audiences stay in the parent (a worker
thread checks them, as everywhere else), and so does whatever the child did not answer
(it died, or could not be started): every row is checked, whichever way.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import warnings
from collections.abc import Callable

from reconciler.errors import Diagnostic, ValidationFailed
from reconciler.validate import check_csv, errors_of, in_file_order
from reconciler.workspace import Resource, Workspace

Answer = list[tuple[int, list[Diagnostic], object, list[str] | None]]


def start_checks(ws: Workspace) -> Callable[[], None]:
    """Start the deferred checks (forking now, from the calling thread, before the reads
    start theirs); the function returned waits for them, in a worker thread, and raises
    ValidationFailed if one finds a problem."""
    unchecked, ws.unchecked = ws.unchecked, []
    aside = [(i, r) for i, r in enumerate(unchecked) if not r.keep_rows]
    child = _fork(aside) if aside and _can_fork() else None

    def wait() -> None:
        answered: dict[int, list[Diagnostic]] = {}
        if child is not None:
            for i, found, scan, addresses in _answer(*child):
                r = unchecked[i]
                r._scan, r._addresses = scan, addresses
                answered[i] = found
        _raise_errors([d for i, r in enumerate(unchecked)
                       for d in (answered[i] if i in answered else check_csv(r))])
    return wait


def _raise_errors(diagnostics: list[Diagnostic]) -> None:
    errors = errors_of(diagnostics)
    if errors:
        raise ValidationFailed(in_file_order(errors))


def _can_fork() -> bool:
    # macOS and Windows start processes afresh (no fork, or not a safe one): a thread there.
    return sys.platform == "linux" and hasattr(os, "fork")


def _fork(aside: list[tuple[int, Resource]]) -> tuple[int, int] | None:
    """The child's pid and the pipe its answer comes on (None: it could not start)."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        with warnings.catch_warnings():  # 3.12+: "multi-threaded"; the child runs no thread
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: check, answer, leave without running the parent's exit code
        code = 1
        try:
            # Nothing of the parent's stays open here: not the apply's lock (a `flock`
            # follows the open file, and would outlive a parent killed mid-plan), not the
            # state, not a connection, not the terminal or the pipe its output goes to.
            os.closerange(3, write_end)
            os.closerange(write_end + 1, _fd_limit())
            nowhere = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(nowhere, fd)
            os.close(nowhere)
            answer: Answer = []
            for i, r in aside:
                found = check_csv(r)
                answer.append((i, found, r._scan, r._addresses))
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(answer, pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def _fd_limit() -> int:
    try:
        return os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        return 1 << 16


def _answer(pid: int, read_end: int) -> Answer:
    """What the child answered; empty if it died or said nothing whole (then the parent
    checks those files itself)."""
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        status = -1
    if status != 0 or not data:
        return []
    with contextlib.suppress(pickle.UnpicklingError, EOFError, ValueError):
        return pickle.loads(data)
    return []
