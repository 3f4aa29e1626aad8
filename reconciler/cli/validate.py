"""`campaignctl validate [DIR]`: offline checks, printed as text, JSON or GitHub
annotations."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option, output, var_option
from reconciler.cli.shell import EXIT_ERROR, emit, format_option


@calls(api.validate)
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@format_option("validate",
               help="github: workflow commands GitHub shows as annotations on the diff.")
@click.option("--show-contacts", is_flag=True,
              help="Print the invalid email or phone itself (default: its file and row).")
@click.option("--all-envs", is_flag=True,
              help="Check every environment campaignctl.yaml declares, in one run (instead "
                   "of --env; e.g. in a pre-commit hook).")
@var_option
@env_option
def validate(directory: Path, fmt: str, show_contacts: bool, all_envs: bool,
             variables: tuple[str, ...], environment: str | None) -> None:
    """Check manifests offline, with no credentials: schema, references, vendor rules."""
    result = api.validate(directory, environment=environment, show_contacts=show_contacts,
                          all_envs=all_envs, variables=variables)
    # -q: the errors and the verdict, no warnings
    emit("validate", fmt, result.diagnostics, quiet=output().quiet, directory=str(directory),
         environment=", ".join(result.environments) if all_envs else environment)
    if result.errors:
        sys.exit(EXIT_ERROR)
