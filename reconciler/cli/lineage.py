"""`campaignctl state lineage [--new]`: which history the state belongs to, and the
workspace's record of it (campaignctl.lineage; see reconciler/state/lineage.py).

`--new` is the explicit way out when the old state is lost for good: it gives the state
the workspace names a new lineage and records it, after saying what that forgets."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.api import state as ops
from reconciler.cli.options import calls, env_option
from reconciler.cli.shell import confirm_on_terminal
from reconciler.state.lineage import describe_held


def _report(found: ops.Lineage, environment: str | None) -> None:
    moved = found.migrated
    click.echo(f"state: {found.where}: lineage {found.state or '(none yet)'}; holds "
               f"{describe_held(found.contents)}"
               + (f"; migrated to {moved.get('to')} on {moved.get('at')}" if moved else ""))
    click.echo(f"workspace: {found.file}"
               + (f" (environment {environment})" if environment else "")
               + f": lineage {found.recorded or '(none recorded)'}")


@calls(ops.new_lineage, rendering=("new",))
@click.command("lineage")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--new", "new", is_flag=True,
              help="Start a new history: give the state a new lineage and record it in "
                   "campaignctl.lineage (forgets the old state's record of who was sent what).")
@click.option("--auto-approve", is_flag=True, help="With --new: do not ask to confirm.")
@env_option
def lineage(directory: Path, new: bool, auto_approve: bool, environment: str | None) -> None:
    """Print the state's lineage and the workspace's record of it (campaignctl.lineage)."""
    if not new:
        found = ops.lineage(directory, environment=environment)
        _report(found, environment)
        click.echo(f"verdict: {found.verdict}")
        return

    def confirm(found: ops.Lineage) -> bool:
        recorded = found.recorded
        forgets = (f"the history of lineage {recorded}: whatever that state recorded (who "
                   "was sent what on Octopush and Connectly, remembered opt-outs, bindings "
                   "of live objects) is unknown to this one, so its sends can go out again"
                   if recorded else "nothing recorded by this workspace yet")
        click.echo(f"--new gives this state a new lineage and records it for the workspace. "
                   f"It forgets {forgets}. This state keeps what it holds "
                   f"({describe_held(found.contents)}).")
        if auto_approve:
            return True
        if confirm_on_terminal("Start a new lineage?", "what it forgets"):
            return True
        click.echo("Nothing changed.")
        return False

    where = []
    fresh = ops.new_lineage(directory, environment=environment,
                            on_report=lambda found: (where.append(found),
                                                     _report(found, environment)),
                            confirm=confirm)
    if fresh is not None:
        click.echo(f"new lineage {fresh} for {where[0].where}, recorded in {where[0].file}: "
                   "commit it (in a reviewed pull request).")
