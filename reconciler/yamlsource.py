"""Reading YAML with positions: every node keeps its file, line and column, so any later
error (schema, reference, vendor rule) can point at the YAML that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import Diagnostic, Location


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    # Timestamps stay strings: pydantic parses them, so a naive time is an error we can
    # report instead of a datetime silently taken as local time.
    y.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", type(y.constructor).construct_yaml_str)
    return y


@dataclass
class SourceDoc:
    """One YAML document of a file, with a way to locate any path inside it."""

    path: str
    index: int
    data: Any
    start: Location

    def locate(self, loc: Sequence[str | int]) -> Location:
        """The location of the deepest node along `loc` (keys and list indexes)."""
        node, best = self.data, self.start
        for part in loc:
            if isinstance(node, CommentedMap) and part in node:
                line, col = node.lc.key(part) if not _is_scalar(node[part]) else node.lc.value(part)
                best = Location(self.path, line + 1, col + 1)
                node = node[part]
            elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
                line, col = node.lc.item(part)
                best = Location(self.path, line + 1, col + 1)
                node = node[part]
            else:
                break
        return best

    def locate_key(self, loc: Sequence[str | int]) -> Location:
        """Like locate, but points at the last key itself (for unknown-field errors)."""
        *parent, last = loc
        node = self.data
        for part in parent:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return self.locate(loc)
        if isinstance(node, CommentedMap) and last in node:
            line, col = node.lc.key(last)
            return Location(self.path, line + 1, col + 1)
        return self.locate(loc)


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (CommentedMap, CommentedSeq))


def _mark_location(path: str, exc: MarkedYAMLError) -> Location:
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def load_file(path: Path, display: str | None = None) -> tuple[list[SourceDoc], list[Diagnostic]]:
    """All documents of a YAML file, or the syntax error that stops reading it."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [Diagnostic(Location(name), f"not UTF-8 text ({exc.reason})")]
    except OSError as exc:
        return [], [Diagnostic(Location(name), f"cannot read file: {exc.strerror}")]
    docs: list[SourceDoc] = []
    try:
        for i, data in enumerate(_yaml().load_all(text)):
            if data is None:
                continue
            if isinstance(data, (CommentedMap, CommentedSeq)):
                start = Location(name, data.lc.line + 1, data.lc.col + 1)
            else:
                start = Location(name, 1, 1)
            docs.append(SourceDoc(name, i, data, start))
    except MarkedYAMLError as exc:
        problem = exc.problem or str(exc).splitlines()[0]
        if "duplicate key" in str(exc):
            problem = "duplicate key " + (problem.split('"')[1] if '"' in problem else problem)
        return docs, [Diagnostic(_mark_location(name, exc), f"YAML syntax error: {problem}")]
    except YAMLError as exc:
        return docs, [Diagnostic(Location(name), f"YAML error: {str(exc).splitlines()[0]}")]
    except RecursionError:
        return docs, [Diagnostic(Location(name), "YAML error: document nested too deeply")]
    return docs, []


def plain(value: Any) -> Any:
    """ruamel round-trip nodes to plain dicts/lists/scalars (for pydantic)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
