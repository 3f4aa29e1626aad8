"""Reading a saved plan file the way a manifest is read: it crosses from one CI job to
another, so whoever could write it could make it hostile.

- a regular file only, opened without blocking (a FIFO, a device or `/dev/zero` is refused
  by `fstat` before a byte is read), and at most MAX_PLAN_BYTES of it;
- JSON with limits: nesting depth, digits of a number, no NaN/Infinity, no repeated key;
- the whole document validated against the format's JSON Schema (`plan.schema.json`, the
  one definition of the format: a new field is added there) before any field is used.

Every refusal is one `CampaignctlError` line naming the file and the field (`actions[3].
send.suppressed`), its text escaped: nothing of the file reaches a traceback or a terminal
raw."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
from fastjsonschema import JsonSchemaValueException

from reconciler.errors import CampaignctlError
from reconciler.escaping import printable
from reconciler.workspace_files import NONBLOCKING_READ, file_kind

#: Ten times the plan `plan -o` writes for the scale target's 500 resources (a plan holds
#: counts, never contacts: about 1.6 KB an action), small enough that a file this size,
#: malformed at its very end, is refused within the 2 s / 300 MB budget.
MAX_PLAN_BYTES = 8 << 20
#: A plan nests 6 levels; live values quoted in `changes[].before/after` add a few.
MAX_DEPTH = 64
#: Counts, costs and ids fit easily; Python itself refuses an int of 4,300 digits.
MAX_NUMBER_CHARS = 40
#: Where a value is quoted in a message, at most this many characters of it.
_QUOTE = 60


class PlanFileError(CampaignctlError):
    """A plan file that cannot be read as one: nothing was changed."""


def load_schema() -> dict[str, Any]:
    """The JSON Schema of the plan format, shipped in the package."""
    text = resources.files("reconciler.engine").joinpath("plan.schema.json").read_text("utf-8")
    return json.loads(text)


def _date_time(value: str) -> bool:
    # What the engine reads back: ISO 8601 with its offset.
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


@cache
def _validator() -> Callable[[Any], Any]:
    # Compiled once to Python code: a 14 MB plan checks in about a second, where an
    # interpreting validator (jsonschema) takes ten.
    return fastjsonschema.compile(load_schema(), formats={"date-time": _date_time})


def _printable(text: object) -> str:
    s = str(text)
    return printable(s[:_QUOTE] + "..." if len(s) > _QUOTE else s)


def quoted(value: Any) -> str:
    """`value` as JSON, cut short and escaped, for a message."""
    return _printable(json.dumps(value))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _expected(error: JsonSchemaValueException) -> str:
    """What the schema wanted where `error` happened, in words (never the whole value)."""
    rule, schema, found = error.rule, error.definition or {}, error.value
    if rule == "type":
        want = schema["type"]
        want = " or ".join(want) if isinstance(want, list) else want
        return f"expected {want}, found {_json_type(found)}"
    if rule in ("enum", "const"):
        allowed = schema.get("enum", [schema.get("const")])
        return f"{quoted(found)} is not one of " + ", ".join(json.dumps(a) for a in allowed)
    if rule == "required" and isinstance(found, dict):
        missing = [k for k in schema["required"] if k not in found]
        return f"missing field '{_printable(missing[0])}'" if missing else "missing a field"
    if rule == "additionalProperties" and isinstance(found, dict):
        extra = sorted(set(found) - set(schema.get("properties", {})))
        return f"unknown field '{_printable(extra[0])}'" if extra else "an unknown field"
    if rule == "minimum":
        return f"expected at least {schema['minimum']}, found {_printable(found)}"
    if rule == "minLength":
        return "must not be empty"
    if rule == "pattern":
        return f"{quoted(found)} is not of the form {schema['pattern']}"
    if rule == "format":
        return f"{quoted(found)} is not a {schema['format']} with its UTC offset"
    return f"{quoted(found)} is not valid here ({_printable(rule)})"


def validate_document(doc: Any, source: str) -> None:
    """PlanFileError naming the first field that is not as the format says."""
    try:
        _validator()(doc)
    except JsonSchemaValueException as error:
        where = error.name.removeprefix("data").removeprefix(".") or "the document"
        raise PlanFileError(f"{source}: malformed plan file: {_printable(where)}: "
                            f"{_expected(error)}. Nothing was changed; plan again "
                            "(`campaignctl plan -o FILE`)") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON readers disagree on which of two equal keys wins: a plan never has one.
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {_printable(key)!r} appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _number(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")


def _int(text: str) -> int:
    _number(text)
    return int(text)


def _float(text: str) -> float:
    _number(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{_printable(text)} is out of range")
    return value


def _depth(doc: Any) -> int:
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def read_bytes(path: Path) -> bytes:
    """The file's bytes: a regular file of at most MAX_PLAN_BYTES, opened non-blocking (a
    FIFO with no writer, or a device, never blocks or streams forever)."""
    flags = NONBLOCKING_READ | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan file ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PlanFileError(f"{path}: not a plan file ({file_kind(info.st_mode)}): a saved "
                                "plan is a regular file")
        if info.st_size > MAX_PLAN_BYTES:
            raise PlanFileError(f"{path}: the plan file is {info.st_size:,} bytes, more than "
                                f"the {MAX_PLAN_BYTES:,} a plan file may hold")
        chunks, size = [], 0
        while size <= MAX_PLAN_BYTES:  # a file growing while read stops at the limit too
            chunk = os.read(fd, min(1 << 20, MAX_PLAN_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > MAX_PLAN_BYTES:
            raise PlanFileError(f"{path}: the plan file holds more than the "
                                f"{MAX_PLAN_BYTES:,} bytes a plan file may hold")
        return b"".join(chunks)
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan file ({exc.strerror})") from None
    finally:
        os.close(fd)


def parse_document(data: bytes, source: str) -> Any:
    """The JSON value in `data`, within the limits above."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{source}: not a plan file: not UTF-8 text (byte {exc.start})"
                            ) from None
    try:
        doc = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                         parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{source}: not a JSON plan file ({exc.msg} at line {exc.lineno} "
                            f"column {exc.colno})") from None
    except RecursionError:
        raise PlanFileError(f"{source}: not a plan file: nested more than {MAX_DEPTH} levels "
                            "deep") from None
    except ValueError as exc:
        raise PlanFileError(f"{source}: not a valid plan file ({_printable(exc)})") from None
    if _depth(doc) > MAX_DEPTH:
        raise PlanFileError(f"{source}: not a plan file: nested more than {MAX_DEPTH} levels "
                            "deep")
    return doc


def read_plan_file(path: Path) -> Any:
    """The JSON document of the plan file at `path`, read within the limits (not yet
    validated: the caller checks its kind and version first, for a clearer message)."""
    return parse_document(read_bytes(Path(path)), str(path))
