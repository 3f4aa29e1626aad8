"""Apply output: a summary of what was done, what failed and why, what was skipped, and
what to run next; and the read-back report of anything that still differs from its
manifest. (Progress while it runs: reconciler/render/progress.py.)"""

from __future__ import annotations

from reconciler.engine.executor import ApplyResult
from reconciler.render.escape import printable
from reconciler.words import plural


def summary_lines(result: ApplyResult, writes: int, reads: int, drift: list[str] | None,
                  plan_command: str, refused: str | None = None, *, read_back: int = 0,
                  targets: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """(stdout lines, stderr lines) of the final report. `refused`: the plan's line about
    its refused actions; then it is the report's last line (and apply exits 1).
    `read_back`: the vendor reads of the read-back; `targets`: the apply's --target."""
    out = [f"Apply: {len(result.done)} done, {len(result.failed)} failed, "
           f"{len(result.skipped)} skipped; {plural(writes, 'write call')}, "
           f"{plural(reads, 'read call')}."]
    err: list[str] = []
    for action, error in result.failed:
        # A vendor's words and a plan's names, one line each whatever they hold.
        err.append(printable(f"Failed: {action.op} {action.address}: {error}"))
    for action in result.skipped:
        err.append(printable(f"Skipped: {action.op} {action.address}: not run because an "
                             "earlier action failed"))
    if drift:
        err.append("Read-back: still differs from its manifest after apply (a perpetual diff "
                   "in the making; please report it): " + ", ".join(drift))
    elif result.ok and read_back:
        out.append(f"Read-back: every object apply touched matches its manifest "
                   f"({plural(read_back, 'read call')}).")
    elif result.ok:
        # Nothing was read: send-only vendors have no API to read back from.
        out.append("Read-back: nothing to read back from the vendors (their APIs cannot be "
                   "read); the send ledger records every batch sent.")
    if not result.ok:
        err.append(f"Next: fix the cause above, then run `{plan_command}` to see what is left "
                   "(what was done is not redone).")
    elif drift:
        err.append(f"Next: run `{plan_command}` to see the difference.")
    elif refused is None and targets:
        only = " ".join(f"--target {t}" for t in targets)
        out.append(f"Next: `{plan_command} {only}` should now show no changes; this apply "
                   f"touched only {', '.join(targets)} and what {'it depends' if len(targets) == 1 else 'they depend'} on: run "
                   f"`{plan_command}` for the rest of the workspace.")
    elif refused is None:
        out.append(f"Next: `{plan_command}` should now show no changes.")
    if refused is not None:
        err.append(refused)
    return out, err
