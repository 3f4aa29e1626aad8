"""The send-window policy pack (pack.yaml beside this file) and the rules a workspace adds.

A `Rule` says when messages of some purposes, on some channels, may reach recipients of a
jurisdiction, in their local time: a window per weekday, public holidays closed or not.
The pack is data; this module only reads it and answers "is this rule open at that
instant in that zone?" and "from when is it open again?"."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from ruamel.yaml import YAML

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Channel = Literal["sms", "whatsapp", "email"]
Purpose = Literal["marketing", "transactional"]
Span = tuple[dt.time, dt.time]
Requirement = Literal["unsubscribe", "postal_address"]


def _clock(text: str) -> dt.time:
    hours, _, minutes = text.strip().partition(":")
    if hours == "24" and minutes == "00":
        return dt.time.max
    return dt.time(int(hours), int(minutes))


def parse_window(spec: dict[str, str]) -> dict[int, Span | None]:
    """{"mon-fri": "09:00-18:00", "sun": "closed"} -> {weekday: (start, end) or None}.
    Days not listed are closed."""
    out: dict[int, Span | None] = dict.fromkeys(range(7))
    for key, value in spec.items():
        first, _, last = str(key).strip().lower().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"window day {key!r}: use mon..sun or a range such as mon-fri")
        a, b = DAYS.index(first), DAYS.index(last or first)
        if b < a:
            raise ValueError(f"window day range {key!r} runs backwards")
        span: Span | None = None
        if str(value).strip().lower() != "closed":
            start, sep, end = str(value).partition("-")
            try:
                span = (_clock(start), _clock(end))
            except ValueError:
                raise ValueError(f"window {key}: {value!r} is not HH:MM-HH:MM or closed") from None
            if not sep or span[0] >= span[1]:
                raise ValueError(f"window {key}: {value!r} must be HH:MM-HH:MM, start before end")
        for day in range(a, b + 1):
            out[day] = span
    return out


def describe_window(window: dict[int, Span | None]) -> str:
    """Mon-Sat 08:00-20:00, Sun closed."""
    parts: list[str] = []
    day = 0
    while day < 7:
        end = day
        while end + 1 < 7 and window[end + 1] == window[day]:
            end += 1
        days = DAYS[day].title() + (f"-{DAYS[end].title()}" if end > day else "")
        span = window[day]
        hours = "closed" if span is None else (
            f"{span[0]:%H:%M}-{'24:00' if span[1] == dt.time.max else f'{span[1]:%H:%M}'}")
        parts.append(f"{days} {hours}")
        day = end + 1
    return ", ".join(parts)


def check_jurisdiction(v: str) -> str:
    v = v.strip().upper()
    country, _, sub = v.partition("-")
    if v != "*" and not (len(country) == 2 and country.isalpha()
                         and (not sub or sub.isalnum())):
        raise ValueError(f"jurisdiction {v!r}: use a country code (FR), a US state "
                         "(US-FL) or *")
    return v


class Cited(BaseModel):
    """An entry of the pack: where it comes from, when that was checked, what could not be."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    url: str | None = None
    checked: dt.date | None = None
    note: str | None = None

    @property
    def citation(self) -> str:
        return self.source + (f" <{self.url}>" if self.url else "")


class Rule(Cited):

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Unique rule name")
    jurisdiction: str = Field(
        description="ISO 3166 country (FR), US state (US-FL), or * for every recipient")
    channels: tuple[Channel, ...] = Field(min_length=1)
    purposes: tuple[Purpose, ...] = Field(("marketing",), min_length=1)
    window: dict[str, str] = Field(description="Day (mon..sun, or mon-fri) -> HH:MM-HH:MM or closed")
    holidays_closed: bool = False
    clock: str | None = Field(None, description="Evaluate on this fixed zone, not the recipient's")

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, v: str) -> str:
        return check_jurisdiction(v)

    @field_validator("window")
    @classmethod
    def _window(cls, v: dict[str, str]) -> dict[str, str]:
        parse_window(v)
        return v

    @field_validator("clock")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            ZoneInfo(v)
        return v

    @property
    def days(self) -> dict[int, Span | None]:
        return _parsed(tuple(sorted(self.window.items())))

    @property
    def country(self) -> str | None:
        return None if self.jurisdiction == "*" else self.jurisdiction.partition("-")[0]

    @property
    def subdivision(self) -> str | None:
        return self.jurisdiction.partition("-")[2] or None

    def covers(self, channel: str, purpose: str) -> bool:
        return channel in self.channels and purpose in self.purposes

    def matches(self, country: str | None, subdivision: str | None) -> bool:
        if self.jurisdiction == "*":
            return True
        if country != self.country:
            return False
        return self.subdivision is None or self.subdivision == subdivision

    def is_open(self, when: dt.datetime, zone: str) -> bool:
        local = when.astimezone(ZoneInfo(self.clock or zone))
        if self.holidays_closed and self._holiday(local.date()):
            return False
        span = self.days[local.weekday()]
        if span is None:
            return False
        t = local.time().replace(tzinfo=None)
        return span[0] <= t < span[1] if span[1] != dt.time.max else span[0] <= t

    def openings(self, after: dt.datetime, zone: str, days: int = 10) -> list[dt.datetime]:
        """Every window start (as an instant) from `after`'s local day for `days` days."""
        tz = ZoneInfo(self.clock or zone)
        start_day = after.astimezone(tz).date()
        out = []
        for i in range(days):
            day = start_day + dt.timedelta(days=i)
            span = self.days[day.weekday()]
            if span is not None:
                out.append(dt.datetime.combine(day, span[0], tz))
        return out

    def _holiday(self, day: dt.date) -> bool:
        if self.country is None:
            return False
        return day in _calendar(self.country, self.subdivision, day.year)

    def describe(self) -> str:
        text = describe_window(self.days)
        if self.holidays_closed:
            text += ", closed on public holidays"
        if self.clock:
            text += f" ({self.clock} clock)"
        return text


@cache
def _parsed(items: tuple[tuple[str, str], ...]) -> dict[int, Span | None]:
    return parse_window(dict(items))


@cache
def _calendar(country: str, subdivision: str | None, year: int):
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        return holidays.country_holidays(country, years=year)


class ContentRule(Cited):
    """A requirement on what a message holds (not when it is sent)."""


    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    requires: Requirement
    channels: tuple[Literal["email"], ...] = ("email",)
    purposes: tuple[Purpose, ...] = ("marketing",)


@cache
def parse_period(text: str) -> dt.timedelta:
    """`24h`, `7d`, `90m` as a duration."""
    m = re.fullmatch(r"\s*([1-9][0-9]{0,3})\s*([mhd])\s*", str(text))
    if not m:
        raise ValueError(f"period {text!r}: write a count and a unit, e.g. 24h, 7d or 90m")
    n, unit = int(m[1]), m[2]
    return dt.timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: n})


class Cap(Cited):
    """At most `max` messages of `purposes` on `channels` to one recipient of
    `jurisdiction` in any rolling window of `per` (every campaign of the environment)."""


    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="Unique cap name")
    jurisdiction: str = Field("*", description="ISO 3166 country, US state (US-FL) or *")
    channels: tuple[Channel, ...] = Field(("sms", "whatsapp", "email"), min_length=1)
    purposes: tuple[Purpose, ...] = Field(("marketing",), min_length=1)
    max: int = Field(ge=1, le=10000, description="Most messages in any window of `per`")
    per: str = Field(description="The rolling window: 24h, 7d...")

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, v: str) -> str:
        return check_jurisdiction(v)

    @field_validator("per")
    @classmethod
    def _per(cls, v: str) -> str:
        parse_period(v)
        return v

    @property
    def period(self) -> dt.timedelta:
        return parse_period(self.per)

    def covers(self, channel: str, purpose: str) -> bool:
        return channel in self.channels and purpose in self.purposes

    def matches(self, country: str | None, subdivision: str | None) -> bool:
        if self.jurisdiction == "*":
            return True
        c, _, sub = self.jurisdiction.partition("-")
        return country == c and (not sub or sub == subdivision)

    def describe(self) -> str:
        return (f"at most {self.max} {'/'.join(self.purposes)} messages per {self.per} "
                f"({', '.join(self.channels)}; {self.jurisdiction})")


class Pack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    checked: dt.date
    default: Rule
    rules: list[Rule]
    email: list[ContentRule] = Field(default_factory=list)  # what a message must hold
    caps: list[Cap] = Field(default_factory=list)  # frequency caps across campaigns

    @model_validator(mode="after")
    def _unique(self) -> Pack:
        names = [r.name for r in [*self.rules, self.default, *self.email, *self.caps]]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"duplicate rule name(s): {', '.join(sorted(dupes))}")
        return self

    def rule(self, name: str) -> Rule | ContentRule | Cap | None:
        if name == self.default.name:
            return self.default
        return next((r for r in [*self.rules, *self.email, *self.caps] if r.name == name),
                    None)

    @property
    def names(self) -> list[str]:
        return [self.default.name, *(r.name for r in [*self.rules, *self.email, *self.caps])]


@cache
def load_pack() -> Pack:
    """The pack shipped with this version of campaignctl."""
    text = resources.files("reconciler.policy").joinpath("pack.yaml").read_text("utf-8")
    return Pack.model_validate(YAML(typ="safe").load(text))


def contains(outer: Rule, inner: Rule) -> bool:
    """Is `inner` at least as strict as `outer` (never open when `outer` is closed)?"""
    if outer.holidays_closed and not inner.holidays_closed:
        return False
    if (outer.clock or None) != (inner.clock or None):
        return False
    for day in range(7):
        o, i = outer.days[day], inner.days[day]
        if i is None:
            continue
        if o is None or i[0] < o[0] or i[1] > o[1]:
            return False
    return set(outer.channels) <= set(inner.channels) and set(outer.purposes) <= set(
        inner.purposes)
