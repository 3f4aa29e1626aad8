"""What every command shares at run time: exit codes, the error line, the progress display.
Exit codes: 0 ok, 1 any error (never 2: CI reads 2 as "changes present" with
--detailed-exitcode), 2 only for pending changes."""

from __future__ import annotations

import sys

import click

from reconciler.cli.options import output

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
FORMATS = ("text", "json", "markdown")


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def reporter():
    """Progress on stderr for this run: bars on a terminal, lines in CI, none with -q."""
    from reconciler.render.progress import make_reporter

    return make_reporter(quiet=output().quiet)


def render_plan(view, fmt: str, color: bool) -> str:
    from reconciler.render.text import render_text

    if fmt == "json":
        from reconciler.render.json import render_json

        return render_json(view)
    if fmt == "markdown":
        from reconciler.render.markdown import render_markdown

        return render_markdown(view)
    return render_text(view, color)


def confirm_on_terminal(question: str, what: str) -> bool:
    """Ask `question` (default no); refused when stdin is no terminal."""
    if not sys.stdin.isatty():
        from reconciler.errors import CampaignctlError

        raise CampaignctlError(f"no terminal to confirm on: re-run with --auto-approve "
                               f"(after reviewing {what})")
    return click.confirm(question, default=False)
