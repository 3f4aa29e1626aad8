"""What every command shares at run time: exit codes, the error line, the progress display.
Exit codes: 0 ok, 1 any error (never 2: CI reads 2 as "changes present" with
--detailed-exitcode), 2 only for pending changes."""

from __future__ import annotations

import sys

import click

from reconciler.cli.options import output
from reconciler.render.registry import RenderOptions, formats, render

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def reporter():
    """Progress on stderr for this run: bars on a terminal, lines in CI, none with -q."""
    from reconciler.render.progress import make_reporter

    return make_reporter(quiet=output().quiet)


def format_option(view: str, help: str | None = None):  # noqa: A002 (click's name)
    """`--format` with the choices the renderer registry has for `view`, its first the
    default."""
    choices = formats(view)
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0],
                        show_default=True, help=help)


def emit(view: str, fmt: str, data, **options) -> None:
    """Print `data` as the registry's `fmt` renderer of `view` renders it."""
    out = render(view, fmt, data, RenderOptions(**options))
    if out.stdout is not None:
        click.echo(out.stdout)
    if out.stderr is not None:
        click.echo(out.stderr, err=True)


def render_plan(view, fmt: str, color: bool, verdict: str | None = None) -> str:
    if output().debug and not view.vendor_fields:
        # --debug: each field change also names the vendor's field and values
        from dataclasses import replace

        view = replace(view, vendor_fields=True)
    return render("plan", fmt, view, RenderOptions(color=color, verdict=verdict)).stdout or ""


def confirm_on_terminal(question: str, what: str) -> bool:
    """Ask `question` (default no); refused when stdin is no terminal."""
    if not sys.stdin.isatty():
        from reconciler.errors import CampaignctlError

        raise CampaignctlError(f"no terminal to confirm on: re-run with --auto-approve "
                               f"(after reviewing {what})")
    return click.confirm(question, default=False)


def confirm_count_on_terminal(count: int, question: str, what: str) -> bool:
    """Ask for `count` typed back (an irreversible send); refused when stdin is no terminal.
    Anything else typed (or nothing) is a no."""
    if not sys.stdin.isatty():
        from reconciler.errors import CampaignctlError

        raise CampaignctlError(f"no terminal to confirm on: re-run with --auto-approve "
                               f"(after reviewing {what})")
    answer = click.prompt(question, default="", show_default=False)
    return answer.strip() == str(count)
