"""`campaignctl completion bash|zsh|fish`: the shell's completion script, from click's own
machinery (the script calls `campaignctl` back with `_CAMPAIGNCTL_COMPLETE` set, and
click answers with the commands, options and choices that fit)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

SHELLS = ("bash", "zsh", "fish")
PROG_NAME = "campaignctl"
COMPLETE_VAR = "_CAMPAIGNCTL_COMPLETE"  # what click reads for the prog name campaignctl


def completion_script(cli: click.Command, shell: str) -> str:
    completion = get_completion_class(shell)
    if completion is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion for {shell}")
    return completion(cli, {}, PROG_NAME, COMPLETE_VAR).source()


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish).

    \b
    bash: eval "$(campaignctl completion bash)"   (in ~/.bashrc)
    zsh:  eval "$(campaignctl completion zsh)"    (in ~/.zshrc)
    fish: campaignctl completion fish > ~/.config/fish/completions/campaignctl.fish"""
    click.echo(completion_script(ctx.find_root().command, shell), nl=False)
