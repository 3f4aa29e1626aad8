"""The `campaignctl` command group and its entry point: every command registered, and one
place that turns errors into an `Error:` line and exit 1 (never a traceback, never a
credential: everything printed passes reconciler.secrets' mask)."""

from __future__ import annotations

import sys

import click

from reconciler import __version__
from reconciler.cli import options
from reconciler.cli.apply import apply
from reconciler.cli.completion import completion
from reconciler.cli.halt import halt, resume
from reconciler.cli.init import init
from reconciler.cli.manifests import fmt, render, schema
from reconciler.cli.options import add_output_options, configure_logging, output
from reconciler.cli.plan import plan, show
from reconciler.cli.proof import proof
from reconciler.cli.servers import callbacks, sandbox
from reconciler.cli.shell import EXIT_ERROR, fail
from reconciler.cli.state import state
from reconciler.cli.status import import_, status
from reconciler.cli.validate import validate
from reconciler.errors import CampaignctlError, Diagnostic, ValidationFailed
from reconciler.secrets import redacted_output
from reconciler.version import version_line


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _param, value: value and (click.echo(version_line()),
                                                               ctx.exit()),
              help="Show the version (and the commit it was built from) and exit.")
def cli() -> None:
    """Campaigns as code: validate, plan and apply email and SMS campaigns.

    -q, -v and --debug go before or after the command name (`campaignctl -v plan`)."""
    configure_logging(output())  # CAMPAIGNCTL_LOG, or the flags given so far


for _command in (validate, plan, show, apply, proof, status, render, schema, state, sandbox,
                 callbacks, import_, init, completion, fmt, halt, resume):
    cli.add_command(_command)
add_output_options(cli)


def main(argv: list[str] | None = None) -> None:
    options.current = options.Output()
    add_output_options(cli)  # commands registered since import get them too
    # Everything printed passes the run's credentials' mask (reconciler.secrets).
    with redacted_output():
        _main(argv)


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="campaignctl", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)  # usage errors too: exit 2 would read as "changes present"
    except ValidationFailed as exc:
        for d in exc.diagnostics:
            click.echo(str(d), err=True)
        sys.exit(EXIT_ERROR)
    except CampaignctlError as exc:
        location = getattr(exc, "location", None)  # a refused file, placed where named
        if location is not None:
            click.echo(str(Diagnostic(location, str(exc))), err=True)
            sys.exit(EXIT_ERROR)
        fail(str(exc))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_ERROR)
    except OSError as exc:  # the machine, not the input: a full disk, a permission
        where = f": {exc.filename}" if exc.filename else ""
        fail(f"{exc.strerror or type(exc).__name__}{where}")
    except Exception as exc:  # a bug of ours: one line, the details on request
        debug = options.current.debug
        if debug:
            import traceback

            traceback.print_exc()
        fail(f"internal error ({type(exc).__name__}) in campaignctl {__version__}: this is "
             "a bug, please report it with the output of the same command run as "
             "`campaignctl --debug ...`" + ("" if debug else " (which shows the details)"))
