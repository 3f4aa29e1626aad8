"""`campaignctl validate [DIR]`: offline checks, printed as text, JSON or GitHub
annotations."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option, output
from reconciler.cli.shell import EXIT_ERROR
from reconciler.words import plural


@calls(api.validate)
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("text", "json", "github")), default="text",
              show_default=True,
              help="github: workflow commands GitHub shows as annotations on the diff.")
@click.option("--show-contacts", is_flag=True,
              help="Print the invalid email or phone itself (default: its file and row).")
@env_option
def validate(directory: Path, fmt: str, show_contacts: bool, environment: str | None) -> None:
    """Check manifests offline, with no credentials: schema, references, vendor rules."""
    result = api.validate(directory, environment=environment, show_contacts=show_contacts)
    diagnostics, errors = result.diagnostics, result.errors
    if fmt == "json":
        from reconciler.render.diagnostics import render_json

        click.echo(render_json(diagnostics, str(directory)))
    elif fmt == "github":
        from reconciler.render.diagnostics import render_github

        if diagnostics:
            click.echo(render_github(diagnostics))
    else:
        quiet = output().quiet  # -q: the errors and the verdict, no warnings
        for d in diagnostics:
            if not quiet or d.severity == "error":
                click.echo(str(d), err=d.severity == "error")
    if errors:
        if fmt == "text":
            click.echo(f"{plural(len(errors), 'error')}.", err=True)
        sys.exit(EXIT_ERROR)
    if fmt == "text":
        click.echo(f"{directory}: valid" + (f" (environment {environment})." if environment
                                            else "."))
