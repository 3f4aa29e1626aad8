"""Is a send inside the windows? For an audience counted by place (zones + jurisdiction),
which rules are closed at the send time, in which zones, for how many recipients, and
when the first allowed time is."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from reconciler.policy.pack import DAYS, Rule
from reconciler.policy.settings import Policy
from reconciler.policy.where import Place
from reconciler.words import plural

SEARCH_DAYS = 10  # the longest closure (a weekend with holidays) is far shorter


@dataclass
class Breach:
    """A rule closed at the send time for some recipients in one zone."""

    rule: Rule | None  # None: recipients whose zone is unknown
    zone: str
    recipients: int
    local: str | None = None  # the send time as the zone's clock shows it
    first_allowed: dt.datetime | None = None
    uncertain: int = 0  # of `recipients`, those whose place is uncertain

    def describe(self) -> str:
        if self.rule is None:
            return (f"{plural(self.recipients, 'recipient')} with no known time zone (no `timezone` "
                    "column, a number without a zone, and no campaign `timezone`)")
        first = (f"; first allowed time {_in_zone(self.first_allowed, self.zone).isoformat()}"
                 if self.first_allowed else "; no allowed time in the next "
                                            f"{SEARCH_DAYS} days")
        doubt = (f" ({self.uncertain} of them in an uncertain place: area code and "
                 "`timezone` disagree, or a number tied to no state; the strictest rule of "
                 "every place they may be in applies)" if self.uncertain else "")
        return (f"rule {self.rule.name} closed for {plural(self.recipients, 'recipient')}{doubt} "
                f"in {self.zone} at {self.local} (window {self.rule.describe()}){first}; "
                f"source: {self.rule.citation}")


def _in_zone(when: dt.datetime, label: str) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo(label.split(" + ")[0]))


def open_everywhere(rules: list[Rule], zones: tuple[str, ...], when: dt.datetime) -> bool:
    return all(r.is_open(when, z) for r in rules for z in zones)


def next_allowed(rules: list[Rule], zones: tuple[str, ...], after: dt.datetime
                 ) -> dt.datetime | None:
    """The first instant >= `after` at which every rule is open in every zone: it is
    `after` itself or the start of some rule's window (the open set is an intersection of
    unions of intervals)."""
    if open_everywhere(rules, zones, after):
        return after
    candidates = sorted({c for r in rules for z in zones
                         for c in r.openings(after, z, SEARCH_DAYS) if c > after})
    return next((c for c in candidates if open_everywhere(rules, zones, c)), None)


def _local(when: dt.datetime, zone: str, rule: Rule) -> str:
    from zoneinfo import ZoneInfo

    local = when.astimezone(ZoneInfo(rule.clock or zone))
    return f"{DAYS[local.weekday()].title()} {local:%Y-%m-%d %H:%M} {rule.clock or ''}".rstrip()


def breaches(policy: Policy, places: Counter[Place], channel: str, purpose: str,
             when: dt.datetime) -> list[Breach]:
    """Every (rule, zone) closed at `when`, with the recipients it holds back."""
    found: dict[tuple[str | None, str], Breach] = {}
    for place, count in sorted(places.items()):
        rules = policy.applicable(place, channel, purpose)
        if not rules:
            continue
        if not place.zones:
            key = (None, "unknown")
            b = found.setdefault(key, Breach(None, "unknown", 0))
            b.recipients += count
            continue
        first = None
        for rule in rules:
            closed = [z for z in place.zones if not rule.is_open(when, z)]
            if not closed:
                continue
            if first is None:
                first = next_allowed(rules, place.zones, when)
            key = (rule.name, place.zone_label)
            b = found.get(key)
            if b is None:
                b = found[key] = Breach(rule, place.zone_label, 0,
                                        _local(when, closed[0], rule), first)
            b.recipients += count
            b.uncertain += count if place.doubt else 0
            if first and b.first_allowed and first > b.first_allowed:
                b.first_allowed = first  # the latest of the places it holds back
    return sorted(found.values(), key=lambda b: (b.rule is not None,
                                                 b.rule.name if b.rule else "", b.zone))


def first_allowed(policy: Policy, places: Counter[Place], channel: str, purpose: str,
                  after: dt.datetime) -> dt.datetime | None:
    """The first instant >= `after` allowed for every place (None: none within reach)."""
    rules_by_place = [(policy.applicable(p, channel, purpose), p.zones) for p in places]
    rules = {r.name: r for rs, _ in rules_by_place for r in rs}
    zones = tuple(sorted({z for rs, zs in rules_by_place if rs for z in zs}))
    if not rules or not zones:
        return after
    t: dt.datetime | None = after
    for _ in range(50):
        if t is None:
            return None
        later = [next_allowed(rs, zs, t) for rs, zs in rules_by_place if rs and zs]
        if any(x is None for x in later):
            return None
        top = max(later)
        if top == t:
            return t
        t = top
    return None


def rules_in_force(policy: Policy, places: Counter[Place], channel: str, purpose: str
                   ) -> list[str]:
    return sorted({r.name for p in places for r in policy.applicable(p, channel, purpose)})
