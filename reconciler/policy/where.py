"""Where a recipient is, for the send-window rules: their time zone(s) and jurisdiction.

Time zone: the contact's `timezone` column when it has one; else the zones phonenumbers
gives for the number (a number can map to several, and then every one of them must be
inside the window); else the campaign's `timezone`. Jurisdiction: the number's country
and, for the US, the state of its area code (phonenumbers' geocoder). An email address
says nothing about where its reader is: only the contact's column or the campaign zone.
"""

from __future__ import annotations

from typing import NamedTuple

import phonenumbers
from phonenumbers import timezone as phone_zones

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
    "West Virginia": "WV", "Wisconsin": "WI", "Wyoming": "WY",
    "Washington D.C.": "DC", "Washington, D.C.": "DC", "District of Columbia": "DC",
}
_CODES = set(US_STATES.values())


class Place(NamedTuple):
    """Where one recipient is: every zone they may be in, country and subdivision."""

    zones: tuple[str, ...]
    country: str | None = None
    subdivision: str | None = None

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
    return Place(tuple(sorted(zones)), country or None, state)


def place_of(phone: str | None, contact_zone: str | None, campaign_zone: str | None) -> Place:
    """A recipient's place: the contact's own zone wins over the number's zones; the
    campaign's zone is the last resort."""
    base = phone_place(phone) if phone else Place(())
    if contact_zone:
        return base._replace(zones=(contact_zone,))
    if base.zones:
        return base
    return base._replace(zones=(campaign_zone,) if campaign_zone else ())
