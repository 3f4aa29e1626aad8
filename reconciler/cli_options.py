"""Options every workspace command shares (kept apart from cli.py so command modules such
as ledger_cli.py can use them without importing the whole command line)."""

from __future__ import annotations

import click


def env_option(command):
    """`--env NAME` (or CAMPAIGNCTL_ENV): the environment of campaignctl.yaml to use."""
    return click.option(
        "--env", "environment", envvar="CAMPAIGNCTL_ENV", default=None, metavar="NAME",
        help="The environment of campaignctl.yaml (staging, production...) to use "
             "[env: CAMPAIGNCTL_ENV].")(command)
