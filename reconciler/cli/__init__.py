"""The `campaignctl` command line: a thin shell over reconciler.api. One module per command
(or group) parses its options, calls the API function it declares (options.calls) and
renders the result; commands.py registers them and maps errors to exit codes."""

from reconciler.cli.commands import cli, main

__all__ = ["cli", "main"]
