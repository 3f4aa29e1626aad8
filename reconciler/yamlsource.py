"""Reading YAML with positions: every node keeps its file, line and column, so any later
error (schema, reference, vendor rule) can point at the YAML that caused it.

Manifests are read with libyaml's C parser (PyYAML's `CParser`) and built here, event by
event, into plain dicts, lists and scalars that carry their positions. Building them here
(rather than with a library's composer and constructor) is what keeps a hostile file
bounded: nesting depth, document count, node count, and alias count and depth are
counted as the events arrive, so a "billion laughs" file or a 100,000-deep list stops at
the limit with an error naming it, in milliseconds and without recursion. Scalars are
resolved as YAML 1.2 (core schema), as ruamel.yaml reads them: `yes` and `on` are strings,
timestamps stay strings (pydantic parses them, so a naive time is an error we can report).
ruamel.yaml's round-trip mode is kept for writing manifests (`import`), where comments
and layout matter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yaml import MarkedYAMLError, YAMLError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.reader import ReaderError

from reconciler import workspace_files

try:  # libyaml's C parser: PyYAML wheels ship it
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - a PyYAML built without libyaml: same events, slower
    from yaml import SafeLoader as CParser
from reconciler.errors import Diagnostic, Location

#: Limits a manifest (or campaignctl.yaml) cannot pass; each error names its limit.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DOCUMENTS = 4096  # per file
MAX_DEPTH = 64  # nested mappings / lists
MAX_NODES = 1_000_000  # values in one file, aliases counted as expanded
MAX_ALIASES = 1_000  # alias uses (*name) in one file
MAX_ALIAS_DEPTH = 4  # an alias to a node holding an alias to a node holding ...
MAX_INT_DIGITS = 19  # a 64-bit integer
MAX_FILE_PROBLEMS = 20  # value problems reported per file before stopping

STR, INT, FLOAT, BOOL, NULL = (f"tag:yaml.org,2002:{t}" for t in
                               ("str", "int", "float", "bool", "null"))
MERGE, TIMESTAMP = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:timestamp"
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"

# YAML 1.2 core schema, as ruamel.yaml resolves plain scalars.
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")
_INT = re.compile(r"[-+]?(?:0b[0-1_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9_]+)")
_FLOAT = re.compile(r"""[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN)""", re.X)


class YamlMap(dict):
    """A mapping from YAML, with `start` (line, col) and per key (key line, key col,
    value line, value col); all 1-based."""

    __slots__ = ("start", "pos")


class YamlSeq(list):
    """A list from YAML, with `start` and per item (line, col)."""

    __slots__ = ("start", "pos")


@dataclass
class SourceDoc:
    """One YAML document of a file, with a way to locate any path inside it."""

    path: str
    index: int
    data: Any
    start: Location
    broken: bool = False  # a value could not be read (reported); the document is not parsed
    #: the whole file's values (aliases expanded) and characters: what ${var.NAME}
    #: expansion adds to it counts against the same limits (reconciler/variables.py)
    file_values: int = 0
    file_chars: int = 0

    def locate(self, loc: Sequence[str | int]) -> Location:
        """The location of the deepest node along `loc` (keys and list indexes)."""
        node, best = self.data, self.start
        for part in loc:
            if isinstance(node, YamlMap) and part in node:
                kl, kc, vl, vc = node.pos[part]
                scalar = not isinstance(node[part], (YamlMap, YamlSeq))
                best = Location(self.path, vl, vc) if scalar else Location(self.path, kl, kc)
                node = node[part]
            elif (isinstance(node, YamlSeq) and isinstance(part, int)
                  and 0 <= part < len(node)):
                best = Location(self.path, *node.pos[part])
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
        if isinstance(node, YamlMap) and last in node:
            kl, kc, _, _ = node.pos[last]
            return Location(self.path, kl, kc)
        return self.locate(loc)


class _Stop(Exception):
    """The file cannot be read further (a syntax error or a limit)."""

    def __init__(self, line: int, col: int, message: str):
        self.line, self.col, self.message = line, col, message


def _mark(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _short(text: str) -> str:
    return repr(text) if len(text) <= 40 and text.isprintable() else "the value"


def _int(text: str) -> int:
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if digits.startswith(prefix):
            return sign * int(digits[2:], base)
    return sign * int(digits, 10)


class _Builder:
    """Builds one file's documents from libyaml events, counting every limit as it goes."""

    def __init__(self, text: str):
        self.text = text
        self.problems: list[tuple[int, int, str]] = []
        self.broken: set[int] = set()  # documents with a problem
        self.root: list[tuple[Any, tuple[int, int]]] = []  # each document's value
        self.nodes = 0
        self.aliases = 0

    def problem(self, where: tuple[int, int], message: str) -> None:
        self.problems.append((*where, message))
        self.broken.add(len(self.root))
        if len(self.problems) >= MAX_FILE_PROBLEMS:
            raise _Stop(*where, f"more than {MAX_FILE_PROBLEMS} problems; stopped reading")

    def scalar(self, event: ScalarEvent) -> Any:
        value, tag, where = event.value, event.tag, _mark(event)
        if "\x00" in value:
            self.problem(where, "a NUL character (\\0) is not allowed in a value")
            return None
        if tag is None and event.implicit[0]:
            tag = self.resolve(value)
        elif tag is None or tag == "!":
            return value
        if tag == STR or tag == TIMESTAMP:
            return value
        if tag == MERGE:
            return _MERGE_KEY
        try:
            if tag == INT:
                if not _INT.fullmatch(value):
                    raise ValueError
                if len(value.lstrip("+-").replace("_", "")) > MAX_INT_DIGITS:
                    self.problem(where, f"number too large: {len(value)} digits (the limit "
                                        f"is a 64-bit integer, {MAX_INT_DIGITS} digits)")
                    return None
                number = _int(value)
                if not -(2 ** 63) <= number < 2 ** 63:
                    self.problem(where, "number too large (the limit is a 64-bit integer)")
                    return None
                return number
            if tag == FLOAT:
                if not (_FLOAT.fullmatch(value) or _INT.fullmatch(value)):
                    raise ValueError
                number = float(value.replace("_", "").lower().replace(".inf", "inf"))
                if math.isinf(number) and "inf" not in value.lower():
                    self.problem(where, f"number {_short(value)} is out of range "
                                        "(beyond a 64-bit float)")
                    return None
                return number
            if tag == BOOL:
                if not _BOOL.fullmatch(value):
                    raise ValueError
                return value.lower() == "true"
            if tag == NULL:
                if not _NULL.fullmatch(value):
                    raise ValueError
                return None
        except ValueError:
            short = tag.replace("tag:yaml.org,2002:", "!!")
            self.problem(where, f"{_short(value)} is not a valid {short} (from its tag {short})")
            return None
        self.problem(where, f"unsupported tag {_short(tag)} (manifests use plain YAML "
                            "values: strings, numbers, booleans, lists and mappings)")
        return None

    @staticmethod
    def resolve(value: str) -> str:
        first = value[:1]
        if first in "tTfF" and _BOOL.fullmatch(value):
            return BOOL
        if first in "~nN" and _NULL.fullmatch(value):
            return NULL
        if value == "":
            return NULL
        if first in "-+0123456789.":
            if _INT.fullmatch(value) and any(c.isdigit() for c in value):
                return INT
            if _FLOAT.fullmatch(value):
                return FLOAT
        if value == "<<":
            return MERGE
        return STR

    def documents(self) -> list[tuple[Any, tuple[int, int]]]:
        parser = CParser(self.text)
        get = parser.get_event
        # The stack of open containers: [node, is_map, pending key, key position,
        # start position, anchor, alias depth inside, merges]
        stack: list[list[Any]] = []
        anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (node, size, alias depth)
        open_anchors: dict[str, int] = {}  # name -> node count when it opened
        root = self.root

        def place(value: Any, where: tuple[int, int], depth: int) -> None:
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise _Stop(*where, f"more than {MAX_NODES:,} values in one file (counting "
                                    "aliases as expanded): the limit")
            if not stack:
                root.append((value, where))
                return
            top = stack[-1]
            if depth > top[6]:
                top[6] = depth
            if not top[1]:
                top[0].append(value)
                top[0].pos.append(where)
                return
            if top[2] is _NO_KEY:
                if isinstance(value, (YamlMap, YamlSeq)):
                    raise _Stop(*where, "a mapping key must be a string, not a "
                                        + ("mapping" if isinstance(value, dict) else "list"))
                top[2], top[3] = value, where
                return
            key, kwhere = top[2], top[3]
            top[2] = _NO_KEY
            if key is _MERGE_KEY:
                sources = value if isinstance(value, YamlSeq) else [value]
                if not all(isinstance(s, YamlMap) for s in sources):
                    self.problem(where, "`<<` merges a mapping (or a list of mappings)")
                    return
                top[7].extend(sources)
                return
            key = "" if key is None else str(key)
            node = top[0]
            if key in node:
                first = node.pos[key]
                self.problem(kwhere, f"duplicate key {_short(key)} (first at line {first[0]}, "
                                     f"column {first[1]})")
                return
            node[key] = value
            node.pos[key] = (*kwhere, *where)

        def open_container(event: Any, is_map: bool) -> None:
            where = _mark(event)
            if len(stack) >= MAX_DEPTH:
                raise _Stop(*where, f"nested deeper than {MAX_DEPTH} levels (the limit)")
            node = YamlMap() if is_map else YamlSeq()
            node.start, node.pos = where, ({} if is_map else [])
            tag = event.tag
            if tag not in (None, "!", MAP if is_map else SEQ):
                self.problem(where, f"unsupported tag {_short(tag)} (manifests use plain "
                                    "YAML values)")
            if event.anchor is not None:
                open_anchors[event.anchor] = self.nodes
            stack.append([node, is_map, _NO_KEY, None, where, event.anchor, 0, []])

        def close_container() -> None:
            node, is_map, _, _, where, anchor, alias_depth, merges = stack.pop()
            for source in merges:  # keys written in the mapping win over merged ones
                for k, v in source.items():
                    if k not in node:
                        node[k] = v
                        node.pos[k] = source.pos[k]
            if anchor is not None:
                size = self.nodes - open_anchors.pop(anchor)
                anchors[anchor] = (node, size, alias_depth)
            place(node, where, alias_depth)

        try:
            while True:
                event = get()
                kind = type(event)
                if kind is ScalarEvent:
                    value = self.scalar(event)
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1, 0)
                    place(value, _mark(event), 0)
                elif kind is MappingStartEvent:
                    open_container(event, True)
                elif kind is SequenceStartEvent:
                    open_container(event, False)
                elif kind is MappingEndEvent or kind is SequenceEndEvent:
                    close_container()
                elif kind is AliasEvent:
                    where, name = _mark(event), event.anchor
                    if name in open_anchors:
                        raise _Stop(*where, f"recursive alias *{name}: it refers to the node "
                                            "that contains it")
                    if name not in anchors:
                        raise _Stop(*where, f"alias *{name} refers to no anchor &{name} "
                                            "before it in this document")
                    self.aliases += 1
                    if self.aliases > MAX_ALIASES:
                        raise _Stop(*where, f"more than {MAX_ALIASES} aliases in one file "
                                            "(the limit)")
                    value, size, depth = anchors[name]
                    if depth + 1 > MAX_ALIAS_DEPTH:
                        raise _Stop(*where, f"aliases nested more than {MAX_ALIAS_DEPTH} deep "
                                            f"(*{name}; the limit)")
                    self.nodes += size - 1  # the expanded size; place() counts one
                    place(value, where, depth + 1)
                elif kind is DocumentStartEvent:
                    anchors.clear()
                    if len(root) >= MAX_DOCUMENTS:
                        root.clear()  # the file is refused whole: no work on its documents
                        raise _Stop(*_mark(event), f"more than {MAX_DOCUMENTS} documents in "
                                                   "one file (the limit): split the file")
                elif kind is StreamEndEvent:
                    return root
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if "maximum nesting depth" in problem:  # libyaml's own limit, found first
                raise _Stop(mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                            f"nested deeper than {MAX_DEPTH} levels (the limit)") from None
            raise _Stop(mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                        f"YAML syntax error: {problem}") from None
        except ReaderError as exc:
            line, col = _offset_position(self.text.encode("utf-8"), exc.position)
            char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
            raise _Stop(line, col, f"YAML syntax error: {char} is not allowed ({exc.reason})"
                        ) from None
        except YAMLError as exc:
            raise _Stop(0, 0, f"YAML error: {str(exc).splitlines()[0]}") from None


_NO_KEY = object()
_MERGE_KEY = object()


def _offset_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column in characters) of a byte offset."""
    offset = max(0, min(offset, len(data)))
    line_start = data.rfind(b"\n", 0, offset) + 1
    col = len(data[line_start:offset].decode("utf-8", errors="replace")) + 1
    return data.count(b"\n", 0, offset) + 1, col


def decode_utf8(data: bytes) -> tuple[str | None, tuple[int, int] | None]:
    """(text, None), or (None, (line, col)) of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        return None, _offset_position(data, exc.start + bom)


def parse_text(text: str, name: str) -> tuple[list[SourceDoc], list[Diagnostic]]:
    """All documents of YAML text, with every value problem (or the error that stops
    reading it)."""
    builder = _Builder(text)
    docs: list[SourceDoc] = []
    diagnostics: list[Diagnostic] = []
    try:
        builder.documents()
    except _Stop as stop:
        diagnostics.append(Diagnostic(Location(name, stop.line, stop.col), stop.message))
    diagnostics[:0] = [Diagnostic(Location(name, line, col), message)
                       for line, col, message in builder.problems]
    for i, (data, (line, col)) in enumerate(builder.root):
        if data is not None:
            docs.append(SourceDoc(name, i, data, Location(name, line, col),
                                  i in builder.broken, builder.nodes, len(text)))
    return docs, diagnostics


def load_file(path: Path, display: str | None = None, root: Path | None = None,
              ) -> tuple[list[SourceDoc], list[Diagnostic]]:
    """All documents of a YAML file, or the error that stops reading it. With `root`, the
    file must be a regular file inside that workspace directory."""
    name = display or str(path)
    try:
        data = workspace_files.read_bytes(path, root or Path(path).parent, MAX_FILE_BYTES)
    except workspace_files.FileRefused as exc:  # at the file's start: no line to read
        return [], [Diagnostic(Location(name, 1, 1), str(exc))]
    text, bad = decode_utf8(data)
    if text is None:
        return [], [Diagnostic(Location(name, *bad), "not UTF-8 text (an invalid byte here)")]
    return parse_text(text, name)


def plain(value: Any) -> Any:
    """Loaded YAML as plain dicts/lists/scalars (for pydantic). The loader's limits bound
    the size of the copy, aliases expanded."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
