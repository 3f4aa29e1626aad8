"""`${var.NAME}` and `${each.key}` / `${each.value.FIELD}` in manifests.

Values come from campaignctl.yaml's `vars:` (and the chosen environment's) and from a
template's `for_each` entry, never from the process environment: `${VAR}` without a prefix
stays literal text, as it always has (secrets stay out of manifests and plans). `$${`
writes a literal `${` (`$${var.x}` is the text `${var.x}`, `$${NAME}` the text `${NAME}`):
`import` writes every `${` of a vendor's text so, and reads back the same text.

A string that is exactly one reference takes the value as it is (a number, a list, a
mapping); a reference inside a longer string must be a scalar. Substitution returns new
YAML nodes only where something changed and keeps every node's position, so an error in an
expanded document still points at the line of the template.

Expansion counts against the limits of the file it happens in (reconciler/yamlsource.py),
at the point of expansion: every value a reference brings in is counted as if written
there (a list of 200,000 items referenced 5,000 times is 1,000,000,000 values, refused at
the reference that passes MAX_NODES), and every character against MAX_FILE_BYTES. The
first reference past a limit is the error; the file's documents are not read further.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Diagnostic
from reconciler.yamlsource import MAX_FILE_BYTES, MAX_NODES, SourceDoc, YamlMap, YamlSeq

REFERENCE = re.compile(
    r"(\$?)\$\{((?:var|each)(?:\.[A-Za-z0-9_-]+)+)\}")
#: What substitution replaces, left to right: `$${` (a literal `${`) or a reference.
_TOKEN = re.compile(r"\$\$\{|\$\{((?:var|each)(?:\.[A-Za-z0-9_-]+)+)\}")
_MISSING = object()


class Spent(Exception):
    """Expansion passed a limit of its file (reported once, at the reference)."""


@dataclass
class Budget:
    """What one file may hold once expanded: its own values and characters plus what its
    references bring in, within the loader's limits. `sizes` caches the size of each
    variable's value (by identity) for every file of a run."""

    values: int = 0
    chars: int = 0
    sizes: dict[int, tuple[int, int]] | None = None
    spent: bool = False

    @classmethod
    def of(cls, doc: SourceDoc, sizes: dict[int, tuple[int, int]] | None = None) -> Budget:
        return cls(doc.file_values, doc.file_chars, {} if sizes is None else sizes)

    def size(self, value: Any) -> tuple[int, int]:
        """(values, characters) of `value` as YAML would count them."""
        if isinstance(value, str):
            return 1, len(value)
        if not isinstance(value, (dict, list)):
            return 1, len(str(value)) if value is not None else 0
        cache = self.sizes if self.sizes is not None else {}
        known = cache.get(id(value))
        if known is not None:
            return known
        values, chars = 1, 0
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            v, c = self.size(item)
            values, chars = values + v, chars + c + (len(key) if isinstance(key, str) else 0)
        cache[id(value)] = (values, chars)
        return values, chars

    def take(self, values: int, chars: int, reference: str) -> None:
        """Count what a reference adds; Spent (with why) past a limit."""
        self.values += values
        self.chars += chars
        if self.values > MAX_NODES:
            raise Spent(f"${{{reference}}} makes more than {MAX_NODES:,} values in this file "
                        "(each reference counted as expanded): the limit")
        if self.chars > MAX_FILE_BYTES:
            raise Spent(f"${{{reference}}} makes this file larger than "
                        f"{MAX_FILE_BYTES // 1024 // 1024} MiB of text (each reference "
                        "counted as expanded): the limit")


@dataclass
class Scope:
    variables: dict[str, Any]
    each: dict[str, Any] | None = None  # {"key": ..., "value": ...} inside a for_each
    label: str = ""  # prefixed to errors: which expansion of a template
    budget: Budget | None = None  # the file's limits (unbounded without one)

    def lookup(self, reference: str) -> tuple[Any, str | None]:
        """(value, None) or (_MISSING, why)."""
        root, *path = reference.split(".")
        if root == "var":
            value, name = self.variables, "var"
            if path[0] not in value:
                known = ", ".join(sorted(self.variables)) or "none"
                return _MISSING, (f"unknown variable var.{path[0]} (declare it under `vars:` "
                                  f"in campaignctl.yaml or the environment; known: {known})")
        else:
            if self.each is None:
                return _MISSING, (f"${{{reference}}} is only defined in a document with "
                                  "`for_each`")
            value, name = self.each, "each"
            if path[0] not in ("key", "value"):
                return _MISSING, f"${{{reference}}}: use each.key or each.value"
        for part in path:
            if isinstance(value, dict) and part in value:
                value, name = value[part], f"{name}.{part}"
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value, name = value[int(part)], f"{name}.{part}"
            else:
                what = "has no field" if isinstance(value, dict) else "is not a mapping, no field"
                return _MISSING, f"{name} {what} {part!r} (in ${{{reference}}})"
        return value, None


def has_reference(text: str) -> bool:
    """Whether substitution can change `text` (a reference, or a `$${` escape)."""
    return "${" in text


def substitute(node: Any, scope: Scope, doc: SourceDoc, loc: Sequence[str | int],
               errors: list[Diagnostic]) -> Any:
    """`node` with every reference replaced (the same object when it holds none). Past a
    limit of the file's budget, one error at that reference and nothing more is expanded
    (`scope.budget.spent`)."""
    if scope.budget is not None and scope.budget.spent:
        return node
    if isinstance(node, str):
        return _string(node, scope, doc, loc, errors) if has_reference(node) else node
    if isinstance(node, YamlMap):
        changed = {k: substitute(v, scope, doc, (*loc, k), errors) for k, v in node.items()}
        if all(changed[k] is node[k] for k in node):
            return node
        return like(node, changed)
    if isinstance(node, YamlSeq):
        items = [substitute(v, scope, doc, (*loc, i), errors) for i, v in enumerate(node)]
        if all(a is b for a, b in zip(items, node, strict=True)):
            return node
        return like(node, items)
    return node


def like(node: YamlMap | YamlSeq, content: Any) -> YamlMap | YamlSeq:
    """A new mapping / list of `content` at `node`'s positions."""
    out = type(node)(content)
    out.start, out.pos = node.start, node.pos
    return out


def _string(text: str, scope: Scope, doc: SourceDoc, loc: Sequence[str | int],
            errors: list[Diagnostic]) -> Any:
    def fail(why: str) -> None:
        errors.append(Diagnostic(doc.locate(loc), f"{scope.label}: {why}" if scope.label
                                 else why))

    budget = scope.budget
    whole = REFERENCE.fullmatch(text)
    if whole and not whole.group(1):
        value, why = scope.lookup(whole.group(2))
        if why:
            fail(why)
            return text
        if budget is not None:
            values, chars = budget.size(value)
            try:
                budget.take(values - 1, chars - len(text), whole.group(2))
            except Spent as exc:
                budget.spent = True
                fail(str(exc))
                return text
        return value

    def one(m: re.Match) -> str:
        if m.group(1) is None:  # $${: a literal ${
            return "${"
        value, why = scope.lookup(m.group(1))
        if why:
            fail(why)
            return m.group(0)
        if isinstance(value, (dict, list)) or value is None:
            fail(f"${{{m.group(1)}}} is a {type(value).__name__ if value is not None else 'null'}"
                 ": only a whole value can be a list or a mapping")
            return m.group(0)
        out = ("true" if value else "false") if isinstance(value, bool) else str(value)
        if budget is not None:
            budget.take(0, len(out) - len(m.group(0)), m.group(1))
        return out
    try:
        return _TOKEN.sub(one, text)
    except Spent as exc:
        budget.spent = True
        fail(str(exc))
        return text
