"""`campaignctl state ...`: list, show, rm, mv, unlock, migrate (and the ledger, lineage and
pin subcommands from their own modules)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import api
from reconciler.api import state as ops
from reconciler.cli.ledger import ledger, ledger_lines
from reconciler.cli.lineage import lineage
from reconciler.cli.options import calls, env_option
from reconciler.cli.pin import pin
from reconciler.cli.shell import fail

DIRECTORY = click.argument("directory", default=".",
                           type=click.Path(file_okay=False, path_type=Path))


@click.group()
def state() -> None:
    """Inspect and edit the state store (bindings, send ledger, lock)."""


@calls(ops.bindings)
@state.command("list")
@DIRECTORY
@env_option
def state_list(directory: Path, environment: str | None) -> None:
    """List bound resources."""
    for b in api.state.bindings(directory, environment=environment):
        click.echo(f"{b.kind}/{b.name}\t{b.account}\t{b.remote_id}")


@calls(ops.show)
@state.command("show")
@click.argument("address")
@DIRECTORY
@env_option
def state_show(address: str, directory: Path, environment: str | None) -> None:
    """Show one binding (KIND/NAME), or a send-only campaign's batches and counts."""
    entry = api.state.show(address, directory, environment=environment)
    for record in entry.ledgers:
        click.echo("\n".join(ledger_lines(record)))
    for b in entry.bindings:
        click.echo(f"address: {address}\naccount: {b.account}\nremote id: {b.remote_id}")


@calls(ops.rm)
@state.command("rm")
@click.argument("address")
@DIRECTORY
@env_option
def state_rm(address: str, directory: Path, environment: str | None) -> None:
    """Forget a binding (the live object is left alone)."""
    api.state.rm(address, directory, environment=environment)
    click.echo(f"forgot {address}")


@calls(ops.mv)
@state.command("mv")
@click.argument("source", metavar="KIND/OLD")
@click.argument("destination", metavar="KIND/NEW")
@DIRECTORY
@env_option
def state_mv(source: str, destination: str, directory: Path, environment: str | None) -> None:
    """Move what the state holds under a renamed manifest (bindings, send ledger, opt-outs).

    Rename the manifest, then run this, so the next plan sees the same resource instead
    of a new one to create or send again. One transaction, under the apply lock."""
    from reconciler.state.move import describe

    moved = api.state.mv(source, destination, directory, environment=environment)
    click.echo(f"moved {source} to {destination}: {describe(moved)}")


@calls(ops.unlock)
@state.command("unlock")
@click.argument("lock_id", metavar="LOCK_ID")
@DIRECTORY
@env_option
def state_unlock(lock_id: str, directory: Path, environment: str | None) -> None:
    """Break the lock LOCK_ID (shown in the "locked" message), once its holder is gone.

    A lock whose holder is alive is never broken: two applies at once could send twice.
    `state unlock DIR` (no LOCK_ID) shows the lock and its ID."""
    if directory == Path(".") and (Path(lock_id) / "campaignctl.yaml").is_file():
        # `state unlock DIR`: show, break nothing
        info = api.state.lock(Path(lock_id), environment=environment)
        if info is None:
            click.echo("not locked")
            return
        alive = "alive, holding it" if info.alive else "gone (the lock went with it)"
        click.echo(f"lock {info.lock_id}: taken by {info.holder} since {info.since}; "
                   f"that process is {alive}")
        if info.alive:
            fail("not breaking it: its holder is alive. Wait for it, or stop that "
                 "process; the lock goes with it.")
        click.echo(f"Nothing holds it; `campaignctl state unlock {info.lock_id}` clears "
                   "the record.")
        return
    removed = api.state.unlock(lock_id, directory, environment=environment)
    if removed is None:
        click.echo("not locked")
        return
    click.echo(f"released lock {removed.lock_id}: its holder {removed.holder} (since "
               f"{removed.since}) was no longer running")


@calls(ops.migrate, renamed={"source": "source"})
@state.command("migrate")
@DIRECTORY
@click.option("--from", "source", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite state to copy [default: DIR/.campaignctl/state.db, or "
                   "DIR/.campaignctl/ENV/state.db with --env].")
@env_option
def state_migrate(directory: Path, source: Path | None, environment: str | None) -> None:
    """Copy a SQLite state (bindings, send ledger, opt-outs) into the backend campaignctl.yaml names.

    All or nothing, into an empty target; the lineage goes with it, and the SQLite file is
    then marked as migrated (plan and apply refuse it). Running it again says it is done."""
    for line in api.state.migrate(directory, source=source, environment=environment):
        click.echo(line)


state.add_command(ledger)
state.add_command(lineage)
state.add_command(pin)
