"""The command line holds no rule the API lacks: every command declares the
reconciler.api function it calls, and each of its options is a parameter of that function
or only changes how the result is printed or asked (reconciler/cli/options.py `calls`)."""

from __future__ import annotations

import inspect

import click

from reconciler.cli import cli

#: Servers and the shell's completion script: they call no API function.
NOT_API = {"completion", "sandbox serve", "callbacks serve"}
#: -q, -v, --debug: how much is printed, on every command.
VERBOSITY = {"quiet", "verbose", "debug"}


def commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def unmapped(command: click.Command) -> list[str]:
    """The options of `command` that its API function does not take (and that do not
    only change what is printed)."""
    accepted = set(inspect.signature(command.api_function).parameters)
    return [p.name for p in command.params
            if p.name not in VERBOSITY and p.name not in command.rendering
            and command.renamed.get(p.name, p.name) not in accepted]


def test_every_option_of_every_command_is_a_parameter_of_its_api_function():
    found = [(name, command) for name, command in commands(cli) if name not in NOT_API]
    assert [name for name, c in found if not hasattr(c, "api_function")] == []
    assert {name: unmapped(c) for name, c in found if unmapped(c)} == {}


def test_the_check_catches_an_option_the_api_does_not_take():
    @click.command()
    @click.option("--force", is_flag=True)
    def fake(force):  # pragma: no cover - never run
        pass

    def plan(directory, *, environment=None):  # pragma: no cover - never run
        pass

    fake.api_function, fake.rendering, fake.renamed = plan, frozenset(), {}
    assert unmapped(fake) == ["force"]


def test_the_api_is_importable_without_the_command_line():
    import subprocess
    import sys

    code = ("import sys, reconciler.api; "
            "print(sorted(m for m in sys.modules if m.startswith('reconciler.cli')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
