"""`campaignctl fmt`, `render` and `schema`: the commands on manifest files alone."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option, output, var_option
from reconciler.words import plural, word


@calls(api.fmt, rendering=("environment",))
@click.command("fmt")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True,
              help="Change nothing: list the files that are not formatted and exit 1 if any "
                   "(for pre-commit and CI).")
@env_option
def fmt(directory: Path, check: bool, environment: str | None) -> None:
    """Rewrite the workspace's YAML files in the canonical layout (comments kept).

    Envelope keys in order (kind, name, provider, for_each, lifecycle, spec), two-space
    indentation, double quotes. Prints each file it changed (--check: would change).
    The files are the same for every environment: --env changes nothing here."""
    if not directory.is_dir():
        raise click.UsageError(f"{directory}: no such directory")
    outcome = api.fmt(directory, check=check)
    for path in outcome.changed:
        click.echo(str(path))
    for problem in outcome.problems:
        click.echo(str(problem), err=True)
    if check and outcome.changed:
        click.echo(f"{plural(len(outcome.changed), 'file')} not formatted; run `campaignctl fmt "
                   f"{directory}` to format {word(len(outcome.changed), 'it')}.",
                   err=True)
    elif outcome.changed:
        click.echo(f"formatted {plural(len(outcome.changed), 'file')} of {outcome.checked}.",
                   err=True)
    elif outcome.checked and not outcome.problems:
        click.echo(f"{plural(outcome.checked, 'file')} already formatted.", err=True)
    if outcome.problems:
        click.echo(f"{plural(len({p.location.path for p in outcome.problems}), 'file')} not "
                   "formatted: not valid YAML (see above).", err=True)
    if outcome.problems or (check and outcome.changed):
        sys.exit(1)


@calls(api.render)
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@var_option
@env_option
def render(directory: Path, variables: tuple[str, ...], environment: str | None) -> None:
    """Print the manifests as they expand: for_each templates, ${var.NAME} values."""
    click.echo(api.render(directory, environment=environment, variables=variables), nl=False)


@calls(api.schema, renamed={"out_dir": "out"})
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out_dir", default=None, type=click.Path(path_type=Path),
              help="Write them here instead (default: the workspace's schemas/ folder, or "
                   "the one beside it its manifests point to).")
def schema(directory: Path, out_dir: Path | None) -> None:
    """Write the JSON Schemas into the workspace DIR's schemas/: one per kind and
    campaignctl.yaml's (for editors), and those of every JSON output."""
    paths = api.schema(directory, out=out_dir)
    if not output().quiet:
        for path in paths:
            click.echo(f"wrote {path}")
