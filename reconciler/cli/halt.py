"""`campaignctl halt` and `campaignctl resume`: the emergency stop of an environment."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option
from reconciler.cli.shell import EXIT_ERROR


@calls(api.halt)
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--reason", default="", metavar="TEXT",
              help="Why: printed by every plan and apply refused until `resume`.")
@env_option
def halt(directory: Path, reason: str, environment: str | None) -> None:
    """Stop every send of the environment now: plans and applies refuse to send (a running
    apply stops before its next batch) and campaigns still waiting at the vendors are
    cancelled or moved back to draft, where their API allows; exit 1 if any could not be
    stopped."""
    outcome = api.halt(directory, reason=reason, environment=environment)
    for line in outcome.lines():
        click.echo(line)
    if outcome.not_stopped:
        raise SystemExit(EXIT_ERROR)


@calls(api.resume)
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def resume(directory: Path, environment: str | None) -> None:
    """Lift the halt: plans may send again (campaigns halt cancelled or moved back to draft
    show up in the next plan, for review)."""
    lifted = api.resume(directory, environment=environment)
    click.echo(f"Resumed: the halt of {lifted.by} at {lifted.when} "
               f"({lifted.reason or 'no reason given'}) is lifted.")
