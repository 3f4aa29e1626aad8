"""The command reference, written from the command line itself: one Markdown page per
command in docs/reference/ (its usage, what it does, its arguments and options, as
`--help` has them) and docs/reference/formats.md, the JSON outputs documented from their
schemas (reconciler/output_schemas.py). No page is kept by hand:

    python -m reconciler.tools.reference          # rewrite docs/reference/
    python -m reconciler.tools.reference --check  # exit 1 if a page is stale

tests/tools/test_reference_pages.py fails when the committed pages are stale."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from reconciler.cli.commands import cli
from reconciler.output_schemas import output_schemas

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference"
GENERATED = ("<!-- Written by `python -m reconciler.tools.reference` from the command line "
             "itself: do not edit. -->")


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()
             ) -> Iterator[tuple[tuple[str, ...], click.Command, list[click.Command]]]:
    """(path, command, its parents) of every command that runs (groups' leaves)."""
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from ((p, c, [group, *parents]) for p, c, parents in
                        commands(command, (*prefix, name)))
        else:
            yield (*prefix, name), command, [group]


def page_name(path: tuple[str, ...]) -> str:
    return "-".join(path) + ".md"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _usage(path: tuple[str, ...], command: click.Command) -> str:
    ctx = click.Context(command, info_name=" ".join(("campaignctl", *path)))
    pieces = command.collect_usage_pieces(ctx)
    return " ".join(("campaignctl", *path, *pieces))


def _default(param: click.Parameter) -> str:
    value = param.default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""  # unset (click's sentinel), a flag, or computed at run time
    return f"`{value}`"


def _option_row(param: click.Option) -> str:
    names = ", ".join(f"`{n}`" for n in (*param.opts, *param.secondary_opts))
    if not param.is_flag:
        kind = param.metavar or (
            "|".join(param.type.choices) if isinstance(param.type, click.Choice)
            else param.type.name.upper())
        names += f" {_cell(kind)}"
    extra, help_text = [], _cell(param.help or "")
    if param.multiple and "repeatable" not in help_text:
        extra.append("repeatable")
    if param.envvar and str(param.envvar) not in help_text:
        extra.append(f"env: `{param.envvar}`") + (f" ({'; '.join(extra)})" if extra else "")
    return f"| {names} | {help_text} | {_default(param)} |"


def command_page(path: tuple[str, ...], command: click.Command) -> str:
    title = " ".join(("campaignctl", *path))
    out = [GENERATED, "", f"# `{title}`", "", "```", _usage(path, command), "```", ""]
    out += [inspect.cleandoc(command.help or ""), ""]
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    if arguments:
        out += ["## Arguments", "", "| argument | required | default |", "|---|---|---|"]
        out += [f"| `{_cell(a.metavar or a.name.upper())}` | {'yes' if a.required else 'no'} | "
                f"{_default(a)} |" for a in arguments]
        out.append("")
    options = [p for p in command.params if isinstance(p, click.Option) and not p.hidden]
    if options:
        out += ["## Options", "", "| option | what it does | default |", "|---|---|---|"]
        out += [_option_row(o) for o in options]
        out += ["| `-h`, `--help` | Show the help and exit. | |", ""]
    return "\n".join(out)


def index_page() -> str:
    out = [GENERATED, "", "# Command reference", "",
           inspect.cleandoc(cli.help or ""), "",
           "| command | what it does |", "|---|---|"]
    for path, command, _ in commands():
        summary = _cell(command.get_short_help_str(limit=200))
        out.append(f"| [`campaignctl {' '.join(path)}`]({page_name(path)}) | {summary} |")
    out += ["", "The JSON outputs: [formats.md](formats.md).", ""]
    return "\n".join(out)


def _type(schema: dict[str, Any]) -> str:
    if "const" in schema:
        return f"`{schema['const']!r}`".replace("'", '"')
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    kind = schema.get("type", "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and isinstance(schema.get("items"), dict):
        kind += f" of {_type(schema['items'])}"
    if "$ref" in schema:
        kind = schema["$ref"].rsplit("/", 1)[-1]
    return kind


def _fields(schema: dict[str, Any], prefix: str = "") -> list[str]:
    required = set(schema.get("required", ()))
    rows = []
    for name, sub in (schema.get("properties") or {}).items():
        rows.append(f"| `{prefix}{name}` | {_type(sub)} | {'yes' if name in required else ''} "
                    f"| {_cell(sub.get('description', ''))} |")
        nested = sub.get("items") if sub.get("type") == "array" else sub
        if isinstance(nested, dict) and nested.get("properties") and len(prefix) < 40:
            rows += _fields(nested, f"{prefix}{name}{'[]' if nested is not sub else ''}.")
    return rows


def formats_page() -> str:
    out = [GENERATED, "", "# JSON output formats", "",
           "Each JSON output carries `format_version`; fields are stable within a version, "
           "and a change that would break a reader bumps it. Readers ignore fields (and "
           "apply event types) they do not know. The schemas are in `schemas/` "
           "(`campaignctl schema` writes them into a workspace).", ""]
    header = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for file, (printed_by, schema) in output_schemas().items():
        out += [f"## `{file}`", "", f"Printed by `campaignctl {printed_by}`.", "",
                _cell(schema.get("description", "")), "", *header, *_fields(schema), ""]
        for event in schema.get("oneOf", ()):
            kind = event["properties"]["type"]["const"]
            out += [f"### event `{kind}`", "", _cell(event.get("description", "")), ""]
            fields = {k: v for k, v in event["properties"].items() if k != "type"}
            if fields:
                out += [*header, *_fields({"properties": fields,
                                           "required": event.get("required", [])}), ""]
    return "\n".join(out)


def pages() -> dict[str, str]:
    out = {page_name(path): command_page(path, command) for path, command, _ in commands()}
    out["index.md"] = index_page()
    out["formats.md"] = formats_page()
    return out


def stale(directory: Path = REFERENCE) -> list[str]:
    """The pages that differ from what the command line says now (or are missing, or no
    longer name a command)."""
    fresh = pages()
    found = {p.name for p in directory.glob("*.md")} if directory.is_dir() else set()
    out = [name for name, text in fresh.items()
           if not (directory / name).is_file() or (directory / name).read_text() != text]
    return sorted(out + [name for name in found - set(fresh)])


def write(directory: Path = REFERENCE) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    fresh = pages()
    for old in directory.glob("*.md"):
        if old.name not in fresh:
            old.unlink()
    written = []
    for name, text in fresh.items():
        (directory / name).write_text(text)
        written.append(directory / name)
    return written


def main(argv: list[str]) -> int:
    if "--check" in argv:
        found = stale()
        for name in found:
            print(f"docs/reference/{name} is stale: run `python -m reconciler.tools.reference`")
        return 1 if found else 0
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
