"""What every kind shares: the patterns and limits (written once, used by the validators
and by the JSON Schemas for editors, reconciler/schema.py), the strict base model, the
address validators, and `Kind`, the description of one kind."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

from reconciler.contacts import normalize_email, normalize_phone
from reconciler.policy.zones import zone_names

# The rules below are written once and used twice: by the validators, and by the JSON
# Schemas for editors (reconciler/schema.py), as patterns, lengths and enums.
NAME_PATTERN = r"^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$"
SMS_SENDER_PATTERN = r"^[A-Za-z0-9]{3,11}$"
SMS_SENDER = re.compile(SMS_SENDER_PATTERN)
SMS_MAX_CHARS = 1224
#: A send time as written: ISO 8601 date and time with its UTC offset (or Z)
SEND_TIME_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
                     r"([Zz]|[+-][0-9]{2}:?[0-9]{2})$")
SEND_TIME = re.compile(SEND_TIME_PATTERN)
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MIN_TIME = datetime(1970, 1, 2, tzinfo=UTC)
MAX_TIME = datetime(9998, 12, 31, tzinfo=UTC)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


@dataclass(frozen=True)
class Kind:
    """One manifest kind: its name, its spec model and the spec fields that name other
    manifests (field -> the kind it names). Its place in reconciler/kinds/catalog.py's KINDS
    is its order: what it references comes before it, in plans, applies and listings."""

    name: str
    model: type[Strict]
    references: tuple[tuple[str, str], ...] = ()


def optional_email(v: str | None) -> str | None:
    return normalize_email(v) if v is not None else None


def optional_phone(v: str | None) -> str | None:
    return normalize_phone(v) if v is not None else None


def one_of_fields(fields: tuple[str, ...]) -> dict[str, Any]:
    """The schema of "at least one of these fields, non-empty"."""
    return {"anyOf": [{"required": [f], "properties": {f: {"type": "string", "minLength": 1}}}
                      for f in fields]}


#: one time zone name: the same list validate checks (the tzdata package's)
ZONE_SCHEMA = WithJsonSchema({"type": "string", "enum": list(zone_names()),
                              "description": "An IANA time zone, e.g. Europe/Paris"})
Zone = Annotated[str, ZONE_SCHEMA]
