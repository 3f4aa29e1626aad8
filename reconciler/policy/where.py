"""Where a recipient is, for the send-window rules: their time zone(s) and jurisdiction.

Time zone: the contact's `timezone` column when it has one; else the zones phonenumbers
gives for the number (a number can map to several, and then every one of them must be
inside the window); else the campaign's `timezone`. Jurisdiction: the number's country
and, for the US, the state of its area code (phonenumbers' geocoder). An email address
says nothing about where its reader is: only the contact's column or the campaign zone.

An uncertain place holds every jurisdiction the recipient may be in (`also`) and why
(`doubt`), so every rule of each applies, in every zone they may be in: a contact whose
`timezone` is not where its area code is (the number's zones and the column's, the area
code's state and the zone's), and a US number tied to no state (toll-free, non-geographic:
every state).
"""

from __future__ import annotations

from typing import NamedTuple

import phonenumbers
from phonenumbers import timezone as phone_zones

from reconciler.policy.zone_regions import same_zone, zone_jurisdictions

US_STATES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL",
    "Georgia": "GA", "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN",
    "Iowa": "IA", "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME",
    "Maryland": "MD", "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN",
    "Mississippi": "MS", "Missouri": "MO", "Montana": "MT", "Nebraska": "NE",
    "Nevada": "NV", "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM",
    "New York": "NY", "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH",
    "Oklahoma": "OK", "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI",
    "South Carolina": "SC", "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX",
    "Utah": "UT", "Vermont": "VT", "Virginia": "VA", "Washington": "WA",
    "Washington State": "WA",
    "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Washington D.C.": "DC", "Washington, D.C.": "DC", "District of Columbia": "DC",
}
_CODES = set(US_STATES.values())


class Place(NamedTuple):
    """Where one recipient is: every zone they may be in, country and subdivision, and
    the other jurisdictions they may be in when that is uncertain."""

    zones: tuple[str, ...]
    country: str | None = None
    subdivision: str | None = None
    also: tuple[str, ...] = ()  # other jurisdictions ("US-CA", "FR") they may be in
    doubt: str | None = None  # why the place is uncertain

    @property
    def jurisdictions(self) -> tuple[tuple[str | None, str | None], ...]:
        """(country, subdivision) of every jurisdiction the recipient may be in."""
        extra = tuple((j.partition("-")[0], j.partition("-")[2] or None) for j in self.also)
        return ((self.country, self.subdivision), *extra)

    @property
    def zone_label(self) -> str:
        return " + ".join(self.zones) if self.zones else "unknown"

    @property
    def jurisdiction(self) -> str:
        if not self.country:
            return "unknown"
        return self.country + (f"-{self.subdivision}" if self.subdivision else "")


def us_state(description: str) -> str | None:
    """'Los Angeles, CA' or 'Florida' (the geocoder's English text) -> 'CA' / 'FL'."""
    text = description.strip()
    if text in US_STATES:
        return US_STATES[text]
    _, comma, tail = text.rpartition(",")
    tail = tail.strip()
    if comma and tail in _CODES:
        return tail
    return None


def phone_place(phone: str) -> Place:
    """Zones, country and (US) state of an E.164 number. phonenumbers decides them from a
    prefix (country code, then area code / exchange: at most 1+6 digits for the US), never
    from the last four digits, so the answer is cached per prefix: a million-row list
    costs a few thousand lookups."""
    return _prefix_place(phone[:max(len(phone) - 4, 8)], phone)


_places: dict[str, Place] = {}


def _prefix_place(prefix: str, phone: str) -> Place:
    place = _places.get(prefix)
    if place is None:
        if len(_places) > 65536:
            _places.clear()
        place = _places[prefix] = _lookup(phone)
    return place


def _lookup(phone: str) -> Place:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return Place(())
    country = phonenumbers.region_code_for_number(number)
    zones = tuple(z for z in phone_zones.time_zones_for_number(number)
                  if z != phone_zones.UNKNOWN_TIMEZONE)
    state = None
    if country == "US":
        # The geocoder's data costs ~0.3 s and ~100 MB to import: only US numbers need it.
        from phonenumbers import geocoder

        state = us_state(geocoder.description_for_number(number, "en"))
        if state is None:
            return Place(tuple(sorted(zones)), "US", None, _EVERY_STATE,
                         "a US number tied to no state (toll-free or non-geographic)")
    return Place(tuple(sorted(zones)), country or None, state)


_EVERY_STATE = tuple(sorted({f"US-{c}" for c in _CODES}))


def place_of(phone: str | None, contact_zone: str | None, campaign_zone: str | None) -> Place:
    """A recipient's place: the contact's own zone wins over the number's zones; the
    campaign's zone is the last resort."""
    base = phone_place(phone) if phone else Place(())
    if contact_zone:
        if not base.zones or _agrees(base, contact_zone):
            if base.also and base.subdivision is None:  # a state-less number: the zone's
                also = tuple(j for j in zone_jurisdictions(contact_zone)
                             if j.startswith(f"{base.country}-")) or base.also
                return base._replace(zones=(contact_zone,), also=also,
                                     doubt=f"{base.doubt}, `timezone` {contact_zone}")
            return base._replace(zones=(contact_zone,))
        # The column says one place, the area code another: either may be true.
        also = tuple(j for j in zone_jurisdictions(contact_zone)
                     if j not in (base.jurisdiction, *base.also))
        doubt = (f"number of {base.jurisdiction}, `timezone` {contact_zone}"
                 + (f"; {base.doubt}" if base.doubt else ""))
        return base._replace(zones=tuple(sorted({contact_zone, *base.zones})),
                             also=base.also + also, doubt=doubt)
    if base.zones:
        return base
    return base._replace(zones=(campaign_zone,) if campaign_zone else ())


def _agrees(base: Place, zone: str) -> bool:
    """Is `zone` one the number's place can be in (its zones, or its country's and, for a
    US number, its state's)?"""
    if any(same_zone(zone, z) for z in base.zones):
        return True
    places = zone_jurisdictions(zone)
    return base.jurisdiction in places or (
        base.subdivision is None and not base.also
        and any(p.partition("-")[0] == base.country for p in places))
