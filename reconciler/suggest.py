""""Did you mean ...?" for an unknown name: the closest known names (difflib's ratio), so
a typo in a kind, a reference, a field, an environment or an address names its fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, get_args

from pydantic import BaseModel


def closest(name: str, known: Iterable[str], n: int = 1) -> list[str]:
    """The known names closest to `name` (case-insensitive), best first, or those it
    abbreviates; [] when none is close enough to be a likely typo."""
    candidates = {str(k).lower(): str(k) for k in known}
    typed = str(name).lower()
    found = difflib.get_close_matches(typed, list(candidates), n=n, cutoff=0.6)
    if not found and len(typed) >= 3:  # an abbreviation: `prod` for production
        found = sorted(k for k in candidates if k.startswith(typed))[:n]
    return [candidates[f] for f in found]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean `x`?)', or '' when no known name is close."""
    found = closest(name, known)
    return f" (did you mean `{found[0]}`?)" if found else ""


def model_fields_at(model: Any, loc: Sequence[str | int]) -> set[str]:
    """The field names (and aliases) a pydantic model accepts at `loc` inside it (a
    field path as pydantic reports it; list indexes and mapping keys pass through), for
    `unknown field` errors; empty when the path leads to no model."""
    if not _is_model(model):
        return set()
    current = [model]
    for part in loc:
        if isinstance(part, int):  # a list index: the same models
            continue
        following: list[Any] = []
        for m in current:
            info = m.model_fields.get(part) or next(
                (f for f in m.model_fields.values() if f.alias == part), None)
            if info is not None:
                following += _models_in(info.annotation)
        if following:
            current = following
        elif any(part in m.model_fields for m in current):
            return set()  # a field that holds no model
        # else no model has the field: `part` is a mapping's key (dict[str, Model])
    current = [m for m in current if _is_model(m)]
    names: set[str] = set()
    for m in current:
        if _is_model(m):
            for name, info in m.model_fields.items():
                names.add(info.alias or name)
    return names


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _models_in(annotation: Any) -> list[Any]:
    """The models an annotation holds (Optional, unions, lists, mappings, Annotated)."""
    if _is_model(annotation):
        return [annotation]
    out = []
    for arg in get_args(annotation):
        out += _models_in(arg)
    return out
