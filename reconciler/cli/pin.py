"""`campaignctl state pin ACCOUNT [DIR]`: move an account's credential pin, and the pins of
its credential values (reconciler/state/pins.py), to the origin its base_url has now. The
operator's explicit, reviewed step after a base_url really moved, or a credential really
moved to another account: plan and apply refuse until it is taken."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.api import state as ops
from reconciler.cli.options import calls, env_option


@calls(ops.pin)
@click.command("pin")
@click.argument("account")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def pin(account: str, directory: Path, environment: str | None) -> None:
    """Allow ACCOUNT's credentials to be sent to the origin of its base_url now.

    Plan, apply, status and import send an account's credentials, and each credential
    value whatever account holds it, only to the origin (scheme, host, port) an apply
    first sent them to. This pins the account and each of its credential values to its
    base_url's origin (a value keeps the origins it had). Review the change first (campaignctl.yaml, and the variables it
    reads, in this environment: a base_url, a new or renamed account, a credential taken
    from another account): in a pull request it may send the credentials to someone
    else's server."""
    done = ops.pin(account, directory, environment=environment)
    old, new = done.old, done.new
    if new is None:
        click.echo(f"account {account}: base_url is sandbox (the built-in emulator), which "
                   "needs no pin" + (f"; its pin to {old} is kept" if old else ""))
        return
    # the values that came from another account (another origin than the account's own)
    came = "".join(f"; its `{key}` was pinned to {', '.join(origins)}"
                   for key, origins in done.moved.items() if origins != [old])
    if old == new and not came:
        click.echo(f"account {account}: already pinned to {new}")
    else:
        click.echo(f"account {account}: credentials pinned to {new}"
                   + (f" (was {old})" if old and old != new else "") + came)
