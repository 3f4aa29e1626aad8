"""Apply output: progress while it runs (a bar on a TTY, one plain line per event in CI),
then a summary of what was done, what failed and why, what was skipped, and what to run
next; and the read-back report of anything that still differs from its manifest."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from reconciler.engine.actions import Action
from reconciler.engine.executor import ApplyResult


class Progress:
    """The executor's progress hook. On a TTY: one line rewritten in place; otherwise (CI
    logs) a line per finished action, numbered, so a log shows how far an apply got."""

    def __init__(self, total: int, tty: bool | None = None,
                 echo: Callable[..., None] = click.echo):
        self.total = total
        self.finished = 0
        self.tty = sys.stdout.isatty() if tty is None else tty
        self.echo = echo
        self.width = 30

    def _bar(self) -> str:
        filled = int(self.width * self.finished / max(self.total, 1))
        return f"[{'#' * filled}{'.' * (self.width - filled)}] {self.finished}/{self.total}"

    def __call__(self, event: str, action: Action, error: str | None) -> None:
        if event == "start":
            if self.tty:
                self.echo(f"\r{self._bar()} {action.op} {action.address}\033[K", nl=False)
            return
        self.finished += 1
        if self.tty:
            if event == "failed":
                self.echo(f"\r\033[KFAILED: {action.op} {action.address}: {error}", err=True)
            self.echo(f"\r{self._bar()} {action.op} {action.address}\033[K", nl=False)
            if self.finished == self.total:
                self.echo("")
            return
        n = f"[{self.finished}/{self.total}]"
        if event == "done":
            self.echo(f"{n} done: {action.op} {action.address}")
        else:
            self.echo(f"{n} FAILED: {action.op} {action.address}: {error}", err=True)

    def close(self) -> None:
        if self.tty and 0 < self.finished < self.total:
            self.echo("")


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
