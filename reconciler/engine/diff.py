"""Diff helpers every provider uses: field-level diffs of small nested specs (a changed field
shown whole, before and after, under the manifest's name: engine/fields.py) and keyed set
diffs of large collections (contacts, opt-outs, recipients). Both are written here: a plan
names a change by the manifest's field and a collection's change by its keys, which is all
a keyed dict comparison and a type-strict equality give; a general diff library's paths
would have to be mapped back to those names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.engine.actions import FieldChange
from reconciler.engine.fields import FieldMap


def field_changes(live: Mapping[str, Any], desired: Mapping[str, Any],
                  forces_replace: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[FieldChange]:
    """One FieldChange per top-level field whose normalised values differ, named as given
    (a provider that names its fields as the manifest does; the others declare a FieldMap:
    engine/fields.py)."""
    return FieldMap().changes(live, desired, None, forces_replace, ignore)


@dataclass
class KeyedDiff:
    add: dict[str, Any] = field(default_factory=dict)
    remove: dict[str, Any] = field(default_factory=dict)
    update: dict[str, Any] = field(default_factory=dict)
    same: int = 0

    @property
    def empty(self) -> bool:
        return not (self.add or self.remove or self.update)


def keyed_diff(live: Mapping[str, Any], desired: Mapping[str, Any]) -> KeyedDiff:
    """Keys only in desired are added, only in live removed, in both with another value
    updated."""
    d = KeyedDiff()
    for key, value in desired.items():
        if key not in live:
            d.add[key] = value
        elif live[key] != value:
            d.update[key] = value
        else:
            d.same += 1
    for key, value in live.items():
        if key not in desired:
            d.remove[key] = value
    return d
