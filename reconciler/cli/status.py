"""`campaignctl status [DIR]` and `campaignctl import ACCOUNT [DIR]`: the commands that read
live accounts without planning."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option
from reconciler.cli.shell import emit, format_option


@calls(api.status)
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@format_option("status")
@click.option("--target", default=None, metavar="Campaign/NAME",
              help="One campaign, with details: batches (tickets, times, outcomes), events.")
@click.option("--show-contacts", is_flag=True,
              help="With --target: list the recipients and their outcomes (counts otherwise).")
@env_option
def status(directory: Path, fmt: str, target: str | None, show_contacts: bool,
           environment: str | None) -> None:
    """Per campaign: state, send time, planned / sent / rejected / unknown, cost, results."""
    emit("status", fmt, api.status(directory, target=target, show_contacts=show_contacts,
                                   environment=environment))


@calls(api.import_account)
@click.command("import")
@click.argument("account")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "ids", multiple=True, metavar="ID",
              help="A live object's id at the vendor (repeatable; required by "
                   "scheduled-campaigns, which cannot list).")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Import only this kind (repeatable): Sender, OptOutList, ContactGroup, "
                   "Message, Campaign.")
@click.option("--name", "names", multiple=True, metavar="PATTERN",
              help="Import only objects whose manifest name or vendor name matches "
                   "(shell pattern, repeatable).")
@click.option("--out", "out", default=None, metavar="FILE",
              help="Manifest file to write, in the workspace (default imported-ACCOUNT.yaml).")
@click.option("--force", is_flag=True, help="Overwrite the manifest file and its CSVs.")
@click.option("--dry-run", is_flag=True, help="List what would be written and bound; "
                                              "write nothing.")
@env_option
def import_(account: str, directory: Path, ids: tuple[str, ...], kinds: tuple[str, ...],
            names: tuple[str, ...], out: str | None, force: bool, dry_run: bool,
            environment: str | None) -> None:
    """Adopt live objects of ACCOUNT: write their manifests and bind them."""
    outcome = api.import_account(account, directory, ids=ids, kinds=kinds, names=names,
                                 out=out, force=force, dry_run=dry_run,
                                 environment=environment)
    for line in outcome.lines():
        click.echo(line)
