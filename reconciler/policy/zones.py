"""IANA zone names: the one check shared by manifests, CSV columns, the policy and the JSON
Schemas (which list the same names, so an editor and `validate` agree)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def zone_names() -> tuple[str, ...]:
    """Every zone of the tzdata package (a dependency), sorted: the same list on every
    machine, whatever the system's own zoneinfo holds."""
    return tuple(sorted(files("tzdata").joinpath("zones").read_text("utf-8").split()))


@cache
def _zones() -> frozenset[str]:
    return frozenset(zone_names())


def known_zone(name: str) -> bool:
    return name in _zones()
