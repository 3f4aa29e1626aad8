"""`campaignctl state lineage [--new]`: which history the state belongs to, and the
workspace's record of it (campaignctl.lineage; see reconciler/state/lineage.py).

`--new` is the explicit way out when the old state is lost for good: it gives the state
the workspace names a new lineage and records it, after saying what that forgets."""

from __future__ import annotations

import sys
import uuid
from contextlib import closing
from pathlib import Path

import click

from reconciler.cli_options import env_option
from reconciler.errors import CampaignctlError
from reconciler.state.lineage import (
    LINEAGE_META,
    LineageFile,
    describe_held,
    held,
    migrated_to,
    refuse_migrated,
)


@click.command("lineage")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--new", "new", is_flag=True,
              help="Start a new history: give the state a new lineage and record it in "
                   "campaignctl.lineage (forgets the old state's record of who was sent what).")
@click.option("--auto-approve", is_flag=True, help="With --new: do not ask to confirm.")
@env_option
def lineage(directory: Path, new: bool, auto_approve: bool, environment: str | None) -> None:
    """Print the state's lineage and the workspace's record of it (campaignctl.lineage)."""
    from reconciler.state.backend import open_store, workspace_config

    config = workspace_config(directory, environment)
    file = LineageFile(config.directory)
    recorded = file.get(environment)
    with closing(open_store(config)) as store:
        state = store.get_meta(LINEAGE_META)
        contents = held(store)
        moved = migrated_to(store)
        click.echo(f"state: {store.where}: lineage {state or '(none yet)'}; holds "
                   f"{describe_held(contents)}"
                   + (f"; migrated to {moved.get('to')} on {moved.get('at')}" if moved else ""))
        click.echo(f"workspace: {file.path}"
                   + (f" (environment {environment})" if environment else "")
                   + f": lineage {recorded or '(none recorded)'}")
        if not new:
            verdict = ("the same: plan and apply use this state" if recorded and state == recorded
                       else "none recorded: the next apply records the state's lineage"
                       if recorded is None else
                       "DIFFERENT: plan and apply refuse this state")
            click.echo(f"verdict: {verdict}")
            return
        refuse_migrated(store)
        forgets = (f"the history of lineage {recorded}: whatever that state recorded (who "
                   "was sent what on Octopush and Connectly, remembered opt-outs, bindings "
                   "of live objects) is unknown to this one, so its sends can go out again"
                   if recorded else "nothing recorded by this workspace yet")
        click.echo(f"--new gives this state a new lineage and records it for the workspace. "
                   f"It forgets {forgets}. This state keeps what it holds "
                   f"({describe_held(contents)}).")
        if not auto_approve:
            if not sys.stdin.isatty():
                raise CampaignctlError("no terminal to confirm on: re-run with --auto-approve "
                                       "(after reviewing what it forgets)")
            if not click.confirm("Start a new lineage?", default=False):
                click.echo("Nothing changed.")
                return
        fresh = str(uuid.uuid4())
        with store.locked():
            store.set_meta(LINEAGE_META, fresh)
            file.write(environment, fresh)
    click.echo(f"new lineage {fresh} for {store.where}, recorded in {file.path}: commit it "
               "(in a reviewed pull request).")
