"""Options every workspace command shares (--env; -q, -v, --debug), and the declaration
that ties each command to the API function it calls (`calls`)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

import click

#: Options that only choose how a result is printed: no API function takes them.
RENDERING = frozenset({"fmt", "report", "auto_approve"})


def calls(function: Callable, *, rendering: tuple[str, ...] = (),
          renamed: dict[str, str] | None = None):
    """Declare the API function a command calls: each of its options is a parameter of
    `function` (under its own name, or `renamed`), or only changes how the result is printed
    (RENDERING, or `rendering`). tests/commands/test_cli_is_a_shell.py checks it, so no rule
    lives in the command line that the API lacks."""
    def declare(command: click.Command) -> click.Command:
        command.api_function = function
        command.rendering = RENDERING | set(rendering)
        command.renamed = dict(renamed or {})
        return command
    return declare


def env_option(command):
    """`--env NAME` (or CAMPAIGNCTL_ENV): the environment of campaignctl.yaml to use."""
    return click.option(
        "--env", "environment", envvar="CAMPAIGNCTL_ENV", default=None, metavar="NAME",
        help="The environment of campaignctl.yaml (staging, production...) to use "
             "[env: CAMPAIGNCTL_ENV].")(command)


def var_option(command):
    """`--var NAME=VALUE` (repeatable): a manifest variable for this run, over
    CAMPAIGNCTL_VAR_NAME and campaignctl.yaml's `vars:`."""
    return click.option(
        "--var", "variables", multiple=True, metavar="NAME=VALUE",
        help="Set the manifest variable NAME (declared under `vars:` in campaignctl.yaml) "
             "for this run; repeatable. Over CAMPAIGNCTL_VAR_NAME, over campaignctl.yaml "
             "[env: CAMPAIGNCTL_VAR_NAME].")(command)


# Verbosity -----------------------------------------------------------------------------
# -q/--quiet, -v/--verbose and --debug work before or after the command name
# (`campaignctl -v plan` and `campaignctl plan -v`); CAMPAIGNCTL_LOG sets the default.

LEVELS = ("quiet", "normal", "verbose", "debug")
ENV_LEVELS = {"quiet": "quiet", "error": "quiet", "normal": "normal", "warning": "normal",
              "": "normal", "verbose": "verbose", "info": "verbose", "debug": "debug"}
_KEY = "campaignctl.output"


class Output:
    """How much a run prints on stderr: quiet (only errors), normal, verbose (the
    request log), debug (the request log with sizes, and tracebacks of internal errors)."""

    def __init__(self, level: str = "normal", explicit: bool = False):
        self.level, self.explicit = level, explicit

    @property
    def quiet(self) -> bool:
        return self.level == "quiet"

    @property
    def verbose(self) -> bool:
        return LEVELS.index(self.level) >= LEVELS.index("verbose")

    @property
    def debug(self) -> bool:
        return self.level == "debug"


#: The current invocation's settings, for main()'s error handler (it runs after click's
#: context is gone); main() resets it for every run.
current = Output()


def _from_env() -> Output:
    raw = os.environ.get("CAMPAIGNCTL_LOG", "")
    level = ENV_LEVELS.get(raw.strip().lower())
    if level is None:
        raise click.UsageError(f"CAMPAIGNCTL_LOG={raw!r}: expected debug, verbose, normal or "
                               "quiet")
    return Output(level)


def output(ctx: click.Context | None = None) -> Output:
    """This invocation's verbosity (flags given anywhere on the command line, else
    CAMPAIGNCTL_LOG)."""
    global current
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None:
        return current
    meta = ctx.find_root().meta
    if _KEY not in meta:
        meta[_KEY] = current = _from_env()
    return meta[_KEY]


def _flag(level: str):
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if not value:
            return
        out = output(ctx)
        if out.explicit and "quiet" in (out.level, level) and out.level != level:
            raise click.UsageError("-q/--quiet goes with neither -v/--verbose nor --debug: "
                                   "choose one")
        if not out.explicit or LEVELS.index(level) > LEVELS.index(out.level):
            out.level = level
        out.explicit = True
        configure_logging(out)
    return callback


def output_params() -> list[click.Option]:
    return [
        click.Option(["-q", "--quiet"], is_flag=True, expose_value=False,
                     callback=_flag("quiet"),
                     help="Print only errors (no progress, no notes, no summary); a document "
                          "asked for with --format json or markdown is still printed."),
        click.Option(["-v", "--verbose"], is_flag=True, expose_value=False,
                     callback=_flag("verbose"),
                     help="Print a request log on stderr: method, path, status, time, "
                          "retries (never a credential; contacts masked) "
                          "[env: CAMPAIGNCTL_LOG=verbose]."),
        click.Option(["--debug"], is_flag=True, expose_value=False, callback=_flag("debug"),
                     help="-v with request sizes, and the full traceback of an internal "
                          "error (for a bug report) [env: CAMPAIGNCTL_LOG=debug]."),
    ]


def add_output_options(command: click.Command) -> None:
    """Give `command` and every command under it -q, -v and --debug (once)."""
    names = {p.name for p in command.params}
    command.params.extend(p for p in output_params() if p.name not in names)
    for sub in getattr(command, "commands", {}).values():
        add_output_options(sub)


class _Stderr(logging.Handler):
    """Writes to whatever sys.stderr is at the time (a live progress display redirects it
    to print above its bars; tests capture it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # never let the log break a run
            self.handleError(record)


def configure_logging(out: Output) -> None:
    """The `campaignctl` loggers print on stderr at -v (INFO) and --debug (DEBUG), and say
    nothing otherwise. Only ours: httpx's own log would print full URLs."""
    global current
    current = out
    logger = logging.getLogger("campaignctl")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = False
    if not out.verbose:
        logger.addHandler(logging.NullHandler())
        logger.setLevel(logging.WARNING)
        return
    handler = _Stderr()
    fmt = "%(asctime)s.%(msecs)03d [%(name)s] %(message)s" if out.debug else \
        "[%(name)s] %(message)s"
    handler.setFormatter(_ShortNames(fmt, "%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if out.debug else logging.INFO)


class _ShortNames(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        record.name = record.name.removeprefix("campaignctl.")
        return super().format(record)


class ResendCount(click.ParamType):
    """`apply --resend-unknown=COUNT`: the number of recipients whose outcome is unknown
    that the operator decided to send again. Given without a number, the option still
    parses (as MISSING) so the apply can say how many the plan would resend."""

    name = "count"
    MISSING = -1

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        self.fail(f"expected the number of recipients to send again, as the plan counts "
                  f"them (e.g. --resend-unknown=609), not {text!r}", param, ctx)
