"""`campaignctl proof Campaign/NAME [DIR] [--to GROUP]`: the campaign's exact content, now,
to its proof group (reconciler.api.proof)."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option
from reconciler.errors import CampaignctlError


@calls(api.proof)
@click.command()
@click.argument("campaign", metavar="Campaign/NAME")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--to", default=None, metavar="GROUP",
              help="The ContactGroup to send the proof to (default: the Campaign's "
                   "proof.group, else its account's proof: {group: NAME}).")
@env_option
def proof(campaign: str, directory: Path, to: str | None, environment: str | None) -> None:
    """Send a campaign's exact content now to its proof group (at most 50), recorded apart
    from the real send."""
    sent = api.proof(campaign, directory, to=to, environment=environment)
    if sent.status != "sent":
        raise CampaignctlError(sent.line)
    click.echo(sent.line)
