"""Normalising a campaign's `when` so equal instants compare equal.

The vendor takes a Unix timestamp (int) or an ISO 8601 string and stores whole seconds.
A manifest may hold either (ruamel.yaml also hands over aware datetimes), so both sides of
a diff go through here: `2026-12-01T09:00:00+01:00`, `2026-12-01T08:00:00Z` and
`1796112000` are the same instant. Rules:

- ints and all-digit strings are Unix timestamps (so `"20261201"` is a timestamp, not a
  date); floats and bools are refused rather than guessed at;
- ISO 8601 strings and datetimes must carry an offset (or `Z`): a naive time is ambiguous
  across the machines that plan and apply, so it is rejected;
- sub-second parts are dropped, as the vendor does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

WhenInput = int | str | datetime


def to_datetime(value: Any) -> datetime:
    """An aware UTC datetime, whole seconds. Raises ValueError with a message fit to show."""
    if isinstance(value, bool):  # bool is an int subclass; True is not a time
        raise ValueError("`when` must be a Unix timestamp or an ISO 8601 time, not a boolean")
    if isinstance(value, int):
        return _from_timestamp(value)
    if isinstance(value, datetime):
        return _from_aware(value, repr(value.isoformat()))
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit():
            return _from_timestamp(int(text))
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"`when` {value!r} is neither a Unix timestamp nor an ISO 8601 time "
                "(e.g. 2026-12-01T09:00:00+01:00)") from None
        return _from_aware(parsed, repr(value))
    raise ValueError(f"`when` must be a Unix timestamp (int) or an ISO 8601 string, "
                     f"not {type(value).__name__}")


def to_timestamp(value: Any) -> int:
    """The Unix timestamp (int) the vendor is sent and answers with."""
    return int(to_datetime(value).timestamp())


def to_iso(value: Any) -> str:
    """Canonical display form, e.g. `2026-12-01T08:00:00Z`."""
    return to_datetime(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _from_timestamp(ts: int) -> datetime:
    if ts < 0:
        raise ValueError(f"`when` {ts} is a negative Unix timestamp")
    try:
        return datetime.fromtimestamp(ts, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"`when` {ts} is out of range for a Unix timestamp") from None


def _from_aware(value: datetime, shown: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"`when` {shown} has no time zone; add an offset or Z "
            "(e.g. 2026-12-01T09:00:00+01:00) so every machine reads the same instant")
    try:
        return value.astimezone(UTC).replace(microsecond=0)
    except (OverflowError, ValueError):
        raise ValueError(f"`when` {shown} is out of range") from None


# A pydantic field type for `when` in manifests: accepts every form above, holds an aware
# UTC datetime, dumps (and plans) as the canonical ISO string.
When = Annotated[
    datetime,
    BeforeValidator(to_datetime),
    PlainSerializer(to_iso, return_type=str),
    WithJsonSchema({
        "anyOf": [{"type": "integer", "minimum": 0},
                  {"type": "string", "format": "date-time"}],
        "description": "Send time: a Unix timestamp or an ISO 8601 time with an offset "
                       "or Z, e.g. 2026-12-01T09:00:00+01:00.",
    }),
]
