"""IANA zone names: the one check shared by manifests, CSV columns and the policy."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> bool:
    return name in _zones()
