"""Campaign: one send of a Message from a Sender to ContactGroups, minus OptOutLists, at a
send time (fixed, `now`, or a local time in each recipient's zone)."""

from __future__ import annotations

import datetime as _dt
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    field_validator,
)

from reconciler.kinds.base import (
    DATE_PATTERN,
    LOCAL_TIME_PATTERN,
    MAX_TIME,
    MIN_TIME,
    SEND_TIME,
    SEND_TIME_PATTERN,
    Kind,
    Strict,
    Zone,
)
from reconciler.policy.zones import known_zone


class LocalSendAt(Strict):
    """Send each recipient at this wall-clock time in their own zone (`send_at: {local:
    "10:30", date: 2027-03-20}`). Send-only accounts send one wave per zone; accounts that
    schedule one time per campaign use the campaign's `timezone`."""

    local: str = Field(pattern=LOCAL_TIME_PATTERN,
                       description="Wall-clock time HH:MM in each recipient's zone")
    date: Annotated[_dt.date, WithJsonSchema({"type": "string", "pattern": DATE_PATTERN})] = Field(
        description="The calendar day, YYYY-MM-DD, in each recipient's zone")
    late: Literal["refuse", "send-next-window"] = Field(
        "refuse", description="A wave whose time has passed at apply: `refuse` (default) or "
                              "`send-next-window` (at the next time the send window allows)")

    @field_validator("date", mode="before")
    @classmethod
    def _written_as_a_date(cls, v: Any) -> Any:
        # pydantic would take a number as a Unix time and a datetime string as its day
        if isinstance(v, _dt.date) or (isinstance(v, str) and re.fullmatch(DATE_PATTERN, v)):
            return v
        raise ValueError(f"{v!r} is not a date: write YYYY-MM-DD")

    @field_validator("date")
    @classmethod
    def _in_range(cls, v: _dt.date) -> _dt.date:
        if not MIN_TIME.date() < v < MAX_TIME.date():
            raise ValueError(f"{v} is out of range: between {MIN_TIME:%Y-%m-%d} and "
                             f"{MAX_TIME:%Y-%m-%d}")
        return v

    def in_zone(self, zone: str) -> datetime:
        """This wall time in `zone`; a time skipped by a clock change moves forward with it,
        a repeated one takes its first occurrence."""
        hours, minutes = map(int, self.local.split(":"))
        tz = ZoneInfo(zone)
        naive = datetime(self.date.year, self.date.month, self.date.day, hours, minutes)
        aware = naive.replace(tzinfo=tz)
        back = aware.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
        if back != naive:  # in a spring-forward gap
            aware = (naive + timedelta(hours=1)).replace(tzinfo=tz)
        return aware

    def describe(self) -> str:
        return f"{self.date.isoformat()} {self.local} local time"


class DeferredSendAt(Strict):
    """Send at this instant to every recipient whose send window is open then, and defer
    the others to their own next open time, as extra waves (`send_at: {at:
    2027-03-20T20:30:00-05:00, outside_window: defer}`), instead of refusing the send.
    Send-only accounts (one request per batch, each with its own send time) only."""

    at: Annotated[AwareDatetime, WithJsonSchema({
        "type": "string", "pattern": SEND_TIME_PATTERN,
        "description": "ISO 8601 with a UTC offset, e.g. 2027-03-20T20:30:00-05:00"})] = Field(
        description="The send time, for every recipient whose window is open then")
    outside_window: Literal["defer"] = Field(
        description="`defer`: a recipient outside their window at `at` goes at their next "
                    "open time (the plan shows each wave)")

    @field_validator("at")
    @classmethod
    def _in_range(cls, v: datetime) -> datetime:
        check_time_range(v)
        return v

    def describe(self) -> str:
        return f"{self.at.isoformat()}, deferred per recipient outside their window"


def _send_at_form(model: type[BaseModel], value: dict, label: str, example: str) -> Any:
    """`value` as one of send_at's mapping forms, or one message naming every problem."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'send_at'}: {e['msg']}"
                             for e in exc.errors())
        raise ValueError(f"{label}: {problems} (write e.g. {example})") from None


def _send_at(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One clear message instead of pydantic's one-per-union-member."""
    if isinstance(value, dict) and ("at" in value or "outside_window" in value):
        return _send_at_form(DeferredSendAt, value, "deferred send time",
                             "{at: 2027-03-20T20:30:00-05:00, outside_window: defer}")
    if isinstance(value, dict):
        return _send_at_form(LocalSendAt, value, "local send time",
                             '{local: "10:30", date: 2027-03-20}')
    # Only what the schema accepts reaches pydantic: SEND_TIME_PATTERN, or a Unix time as a
    # whole number (not a float, a bool or a string of digits, which pydantic would take).
    if value is None or value == "now" or isinstance(value, datetime) or (
            isinstance(value, str) and SEND_TIME.fullmatch(value)) or (
            isinstance(value, int) and not isinstance(value, bool)):
        try:
            parsed = handler(value)
        except ValidationError:
            pass
        else:
            if isinstance(parsed, datetime):
                check_time_range(parsed)
            return parsed
    try:
        parsed = datetime.fromisoformat(str(value).replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write ISO 8601 with a UTC offset, e.g. "
                         "2027-03-20T09:00:00-04:00, `now`, or a local time "
                         '{local: "10:30", date: 2027-03-20}') from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value} has no UTC offset, so it is ambiguous: add one, e.g. "
                         f"{parsed.isoformat()}-04:00 (or Z for UTC)")
    raise ValueError(f"{value!r} is not a valid time")


def check_time_range(when: datetime) -> None:
    """Every vendor and time zone can express it: 9999-12-31T23:59:59-14:00 is year 10000
    in UTC, which no datetime holds."""
    try:
        utc = when.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not MIN_TIME <= utc <= MAX_TIME:
        raise ValueError(f"{when.isoformat()} is out of range: a send time must be between "
                         f"{MIN_TIME:%Y-%m-%d} and {MAX_TIME:%Y-%m-%d} (UTC)")


SendTime = Annotated[AwareDatetime, WithJsonSchema({"anyOf": [
    {"type": "string", "pattern": SEND_TIME_PATTERN,
     "description": "ISO 8601 with a UTC offset, e.g. 2027-03-20T09:00:00-04:00"},
    {"type": "integer", "minimum": int(MIN_TIME.timestamp()),
     "maximum": int(MAX_TIME.timestamp()), "description": "A Unix time (seconds)"}]})]
SendAt = Annotated[SendTime | Literal["now"] | LocalSendAt | DeferredSendAt | None,
                   WrapValidator(_send_at)]


class ProofSpec(Strict):
    group: str = Field(description="Name of the ContactGroup `campaignctl proof` sends to "
                                   "(at most 50 recipients)")


class CampaignSpec(Strict):
    title: str | None = Field(None, description="The campaign's name at the vendor (default: the manifest name)")
    message: str | None = Field(None, description="Name of a Message manifest")
    sender: str | None = Field(None, description="Name of a Sender manifest")
    contact_groups: list[str] = Field(default_factory=list, description="Names of ContactGroup manifests")
    opt_out_lists: list[str] = Field(default_factory=list, description="Names of OptOutList manifests")
    send_at: SendAt = Field(
        None, description="When to send: a time with its UTC offset, `now`, a local time in "
                          'each recipient\'s zone: {local: "10:30", date: 2027-03-20}, or a '
                          "time with deferral: {at: 2027-03-20T20:30:00-05:00, "
                          "outside_window: defer}")
    purpose: Literal["marketing", "transactional"] | None = Field(
        None, description="What the campaign is for: send windows apply to `marketing` "
                          "(the default). Octopush takes it from its own `purpose`.")
    late: Literal["drop", "send-next-window"] | None = Field(
        None, description="Recipients a frequency cap holds back from this send: `drop` (the "
                          "default: they never get this campaign) or `send-next-window` "
                          "(an apply once they are eligible sends them)")
    timezone: Zone | None = Field(None, description="IANA time zone of the recipients, e.g. Europe/Paris")
    state: Literal["draft", "scheduled", "ready", "active", "paused", "cancelled"] | None = Field(
        None, description="Desired state (which ones apply depends on the provider)")
    variables: dict[str, str] = Field(
        default_factory=dict,
        description='Personalisation variables; where the vendor takes per-recipient values '
                    '(connectly, octopush), a value may take each recipient\'s own: '
                    '${contact.first_name}, any column of the groups, with '
                    '| default("there")')

    proof: ProofSpec | None = Field(
        None, description="Where `campaignctl proof` sends this campaign's content for "
                          "review (default: the account's `proof: {group: NAME}`)")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not known_zone(v):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Europe/Paris)")
        try:
            ZoneInfo(v)
        except ZoneInfoNotFoundError:
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    def send_time(self) -> datetime | None:
        """The one instant of a fixed send (a local-time send in the campaign's zone)."""
        if isinstance(self.send_at, LocalSendAt):
            return self.send_at.in_zone(self.timezone) if self.timezone else None
        if isinstance(self.send_at, DeferredSendAt):
            return self.send_at.at
        return self.send_at if isinstance(self.send_at, datetime) else None

    @property
    def deferred_send(self) -> DeferredSendAt | None:
        return self.send_at if isinstance(self.send_at, DeferredSendAt) else None

    @property
    def local_send(self) -> LocalSendAt | None:
        return self.send_at if isinstance(self.send_at, LocalSendAt) else None


KIND = Kind("Campaign", CampaignSpec, references=(
    ("message", "Message"), ("sender", "Sender"),
    ("contact_groups", "ContactGroup"), ("opt_out_lists", "OptOutList")))
