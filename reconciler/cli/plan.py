"""`campaignctl plan [DIR]` and `campaignctl show PLANFILE`: print a plan (fresh, or saved)
in the format asked for."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option, output, var_option
from reconciler.cli.shell import (
    EXIT_CHANGES,
    EXIT_ERROR,
    format_option,
    render_plan,
    reporter,
)
from reconciler.render.text import use_color


@calls(api.plan, rendering=("detailed_exitcode",), renamed={"out_file": "out"})
@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--target", "targets", multiple=True, metavar="KIND/NAME",
              help="Plan only this resource and what it depends on (repeatable).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 0 when none, 1 on error.")
@format_option("plan", help="How to print the plan (json: the documented format, see "
                            "docs/plans.md; html: a self-contained report, e.g. "
                            "`plan -o plan.json --format html > plan.html`).")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan to FILE (JSON) for `campaignctl apply FILE`.")
@click.option("--show-contacts", is_flag=True,
              help="List each send's recipients (addresses); a plan file (-o) never "
                   "holds them.")
@click.option("--vendor-estimate", is_flag=True,
              help="Price SMS sends with the vendor's simulation: SENDS one frame of "
                   "recipients' phone numbers to the vendor (default: a local estimate).")
@var_option
@env_option
def plan(directory: Path, targets: tuple[str, ...], detailed_exitcode: bool, fmt: str,
         out_file: Path | None, show_contacts: bool, vendor_estimate: bool,
         variables: tuple[str, ...], environment: str | None) -> None:
    """Read live state and show what apply would change."""
    result = api.plan(directory, targets=targets, environment=environment,
                      show_contacts=show_contacts, vendor_estimate=vendor_estimate,
                      out=out_file, reporter=reporter(), variables=variables)
    view = result.view
    quiet = output().quiet
    if quiet and fmt == "text":  # only what stops the plan (exit 1)
        stops = [*(f"Safety: {m}" for m in view.safety),
                 *([view.refused_line] if view.refused_line else [])]
        if stops:
            click.echo("\n".join(stops), err=True)
    else:
        click.echo(render_plan(view, fmt, use_color() and fmt == "text"))
    if result.refused:
        # The cause of exit 1 goes to stderr as every error's does (a CI job posts stderr
        # when the plan fails), unless the terminal already shows it as the plan's last line.
        if out_file is not None and not quiet:
            click.echo(f"Saved the plan to {out_file} for review only: it holds refused "
                       "actions, and apply refuses it.", err=True)
        if fmt != "text" or not sys.stdout.isatty():
            click.echo(f"Error: {view.refused_line}", err=True)
        sys.exit(EXIT_ERROR)  # never 2: a refused action fails the plan, changes or not
    if out_file is not None and not quiet:
        click.echo(f"Saved the plan to {out_file}; run `campaignctl apply {out_file}` to "
                   "apply exactly these actions.", err=True)
    if detailed_exitcode and result.outstanding:  # changes, or unknown outcomes to decide
        sys.exit(EXIT_CHANGES)



@calls(api.show, renamed={"workspace_dir": "workspace"})
@click.command()
@click.argument("planfile", type=click.Path(dir_okay=False, path_type=Path))
@format_option("plan")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Verify the plan's signature with this workspace's state (else it is "
                   "shown flagged UNVERIFIED).")
@env_option
def show(planfile: Path, fmt: str, workspace_dir: Path | None, environment: str | None) -> None:
    """Print a saved plan (`plan -o FILE`) as `plan` did; no API call, no credentials.
    The first line says whether its signature verified (JSON: on stderr)."""
    shown = api.show(planfile, workspace=workspace_dir, environment=environment)
    if fmt in ("json", "html"):  # one document on stdout: the verdict on stderr (html: also in it)
        click.echo(shown.verdict, err=True)
        click.echo(render_plan(shown.view, fmt, False, shown.verdict))
    else:
        click.echo(shown.verdict + "\n\n" + render_plan(shown.view, fmt,
                                                        use_color() and fmt == "text"))
    if workspace_dir is not None and not shown.verified:
        sys.exit(EXIT_ERROR)
