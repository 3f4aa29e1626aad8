"""Which jurisdictions a time zone may put a recipient in: its country (tzdata's zone.tab,
aliases resolved through tzdata.zi's links) and, for the US, every state the zone covers.

Used when a contact's `timezone` and its number's area code disagree: the recipient may be
in either place, so the rules of both apply (the strictest wins)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

# The states each US zone covers (zone.tab names one country, not the states). A zone not
# listed here but in the US (zone.tab) counts as the whole country.
_EASTERN = ("CT", "DC", "DE", "FL", "GA", "IN", "KY", "MA", "MD", "ME", "MI", "NC", "NH",
            "NJ", "NY", "OH", "PA", "RI", "SC", "TN", "VA", "VT", "WV")
_CENTRAL = ("AL", "AR", "FL", "IA", "IL", "IN", "KS", "KY", "LA", "MI", "MN", "MO", "MS",
            "ND", "NE", "OK", "SD", "TN", "TX", "WI")
_MOUNTAIN = ("AZ", "CO", "ID", "KS", "MT", "ND", "NE", "NM", "NV", "OR", "SD", "TX", "UT",
             "WY")
US_ZONE_STATES: dict[str, tuple[str, ...]] = {
    "America/New_York": _EASTERN,
    "America/Detroit": ("MI",),
    "America/Kentucky/Louisville": ("KY",),
    "America/Kentucky/Monticello": ("KY",),
    "America/Chicago": _CENTRAL,
    "America/Menominee": ("MI",),
    "America/Denver": _MOUNTAIN,
    "America/Boise": ("ID", "OR"),
    "America/Phoenix": ("AZ",),
    "America/Los_Angeles": ("CA", "ID", "NV", "OR", "WA"),
    "Pacific/Honolulu": ("HI",),
}
_US_PREFIXES = {"America/Indiana/": ("IN",), "America/North_Dakota/": ("ND",)}


@cache
def _links() -> dict[str, str]:
    """alias -> canonical zone (tzdata.zi's `L target alias` lines)."""
    text = files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text("utf-8")
    out = {}
    for line in text.splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()[:3]
            out[alias] = target
    return out


@cache
def _countries() -> dict[str, str]:
    text = files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _, zone = line.split("\t")[:3]
            out[zone] = code
    return out


def canonical(zone: str) -> str:
    return _links().get(zone, zone)


@cache
def zone_jurisdictions(zone: str) -> tuple[str, ...]:
    """Every jurisdiction (`FR`, `US-WA`) a recipient in `zone` may be in; () if unknown."""
    zone = canonical(zone)
    country = _countries().get(zone)
    if country is None:
        return ()
    if country != "US":
        return (country,)
    states = US_ZONE_STATES.get(zone)
    if states is None:
        states = next((s for p, s in _US_PREFIXES.items() if zone.startswith(p)), None)
    if states is None:  # Alaska's zones
        states = ("AK",) if zone.startswith("America/") else ()
    return tuple(f"US-{s}" for s in states) or ("US",)


def same_zone(a: str, b: str) -> bool:
    return canonical(a) == canonical(b)
