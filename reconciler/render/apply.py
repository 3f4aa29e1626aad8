"""Apply output: a summary of what was done, what failed and why, what was skipped, and
what to run next; and the read-back report of anything that still differs from its
manifest. (Progress while it runs: reconciler/render/progress.py.)"""

from __future__ import annotations

from reconciler.engine.executor import ApplyResult


def summary_lines(result: ApplyResult, writes: int, reads: int, drift: list[str] | None,
                  plan_command: str, refused: str | None = None) -> tuple[list[str], list[str]]:
    """(stdout lines, stderr lines) of the final report. `refused`: the plan's line about
    its refused actions; then it is the report's last line (and apply exits 1)."""
    out = [f"Apply: {len(result.done)} done, {len(result.failed)} failed, "
           f"{len(result.skipped)} skipped; {writes} write call(s), {reads} read call(s)."]
    err: list[str] = []
    for action, error in result.failed:
        err.append(f"Failed: {action.op} {action.address}: {error}")
    for action in result.skipped:
        err.append(f"Skipped: {action.op} {action.address}: not run because an earlier "
                   "action failed")
    if drift:
        err.append("Read-back: still differs from its manifest after apply (a perpetual diff "
                   "in the making; please report it): " + ", ".join(drift))
    elif result.ok:
        out.append("Read-back: every object apply touched matches its manifest.")
    if not result.ok:
        err.append(f"Next: fix the cause above, then run `{plan_command}` to see what is left "
                   "(what was done is not redone).")
    elif drift:
        err.append(f"Next: run `{plan_command}` to see the difference.")
    elif refused is None:
        out.append(f"Next: `{plan_command}` should now show no changes.")
    if refused is not None:
        err.append(refused)
    return out, err
