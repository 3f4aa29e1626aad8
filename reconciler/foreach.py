"""Templated manifests: one document with `for_each` expands into one per key.

    kind: Message
    name: spring-sale            # expands to spring-sale-fr, spring-sale-de, ...
    provider: mail
    for_each:
      fr: {subject: "Les soldes de printemps"}
      de: {subject: "Frühlingsschlussverkauf"}
    spec:
      subject: ${each.value.subject}
      body_file: messages/spring-${each.key}.html

`for_each` is a mapping (key -> value) or a list of keys, or `${var.NAME}` holding one.
The name is `<name>-<key>` unless it uses `${each.key}` itself. Every expansion keeps the
template's YAML positions, so its errors point at the template's lines, once per expanded
resource and named after it. Removing a key plans that resource's delete like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Diagnostic, Location
from reconciler.variables import Budget, Scope, Spent, like, substitute
from reconciler.yamlsource import SourceDoc, YamlMap

KEY = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,30}[a-z0-9])?$")


@dataclass(frozen=True)
class Template:
    """Where an expanded resource came from: `Campaign/spring-sale[fr]` at its file:line."""

    kind: str
    name: str
    key: str
    location: Location

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}[{self.key}]"

    def __str__(self) -> str:
        return f"{self.label} ({self.location})"


def expand(doc: SourceDoc, variables: dict[str, Any], budget: Budget | None = None,
           ) -> tuple[list[tuple[SourceDoc, Template | None]], list[Diagnostic]]:
    """The documents `doc` stands for, with variables substituted; and the problems.
    `budget`: the limits of `doc`'s file, shared by its documents (one of its own without).
    Past a limit, `doc` alone comes back, marked broken (its error reported)."""
    errors: list[Diagnostic] = []
    budget = budget or Budget.of(doc)
    expanded = _expand(doc, variables, budget, errors)
    if budget.spent:
        return [(SourceDoc(doc.path, doc.index, doc.data, doc.start, True), None)], errors
    return expanded, errors


def _expand(doc: SourceDoc, variables: dict[str, Any], budget: Budget,
            errors: list[Diagnostic]) -> list[tuple[SourceDoc, Template | None]]:
    data = doc.data
    if not isinstance(data, YamlMap) or "for_each" not in data:
        out = substitute(data, Scope(variables, budget=budget), doc, (), errors)
        return [(_with(doc, out), None)]
    kind, name = data.get("kind"), data.get("name")
    title = f"{kind}/{name}" if isinstance(kind, str) and isinstance(name, str) else "template"
    entries = _entries(substitute(data["for_each"], Scope(variables, label=title, budget=budget),
                                  doc, ("for_each",), errors), doc, title, errors)
    if entries is None or budget.spent:
        return []
    body = like(data, {k: v for k, v in data.items() if k != "for_each"})
    copy = budget.size(body)  # every expansion after the first is that much more YAML
    expanded = []
    for i, (key, value) in enumerate(entries):
        if budget.spent:  # a reference of the last copy passed a limit (reported)
            return []
        template = Template(str(kind), str(name), key, doc.start)
        if i:
            try:
                budget.take(*copy, "each")
            except Spent as exc:
                budget.spent = True
                errors.append(Diagnostic(doc.locate(("for_each",)), f"{title}: for_each "
                                         f"key {key!r}: {str(exc).replace('${each} ', '')}"))
                return []
        scope = Scope(variables, {"key": key, "value": value}, template.label, budget)
        out = substitute(body, scope, doc, (), errors)
        if isinstance(name, str) and "${each." not in name:
            out = like(body, {**out, "name": f"{name}-{key}"})
        expanded.append((_with(doc, out), template))
    return expanded


def _entries(value: Any, doc: SourceDoc, title: str, errors: list[Diagnostic],
             ) -> list[tuple[str, Any]] | None:
    where = doc.locate(("for_each",))
    if isinstance(value, dict):
        pairs = [(k, v) for k, v in value.items()]
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        pairs = [(v, v) for v in value]
    else:
        errors.append(Diagnostic(where, f"{title}: for_each must be a mapping (key: value) or a "
                                        "list of keys"))
        return None
    if not pairs:
        errors.append(Diagnostic(where, f"{title}: for_each is empty (delete the document to "
                                        "delete what it made)"))
        return None
    bad = [k for k, _ in pairs if not (isinstance(k, str) and KEY.match(k))]
    for k in bad:
        errors.append(Diagnostic(where, (
            f"{title}: for_each key {k!r} cannot be part of a name (lowercase letters, digits, "
            ". _ -; at most 32)")))
    seen = [k for k, _ in pairs]
    for k in sorted({k for k in seen if seen.count(k) > 1}):
        errors.append(Diagnostic(where, f"{title}: for_each key {k!r} is listed twice"))
    return None if errors else pairs


def _with(doc: SourceDoc, data: Any) -> SourceDoc:
    return doc if data is doc.data else SourceDoc(doc.path, doc.index, data, doc.start)
