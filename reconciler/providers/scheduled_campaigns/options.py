"""Vendor options a Campaign manifest carries under `scheduled-campaigns:`.

```yaml
spec:
  scheduled-campaigns:
    list: 12
    segments: [3, 7]
    domain: 4
    event_callback: https://hooks.example.com/events?team=crm
```

`segments` are normalised (sorted, duplicates dropped) because the vendor treats them as a
set: a reordered list in the manifest must not plan a change.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

VendorId = Annotated[int, Field(strict=True, gt=0)]  # strict: `true` or "12" is a mistake
# The model has a field named `list`, which shadows the builtin inside the class body.
VendorIds = list[VendorId]
#: an absolute http(s) URL with a host and no whitespace (the schema for editors holds it too)
CALLBACK_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+([/?#][^\s]*)?$"


def check_callback_url(value: str) -> str:
    """Return `value` unchanged if it is an absolute http(s) URL, else raise ValueError.

    Never re-encodes: the vendor forwards the query string to the callback as given, so
    normalising it (as pydantic's HttpUrl does) would change what the receiver sees."""
    if not value or value != value.strip() or any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError("event_callback must be a URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises on a non-numeric or out-of-range port
    except ValueError as exc:
        raise ValueError(f"event_callback is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("event_callback must be an http:// or https:// URL")
    if not parts.hostname:
        raise ValueError("event_callback must name a host, e.g. https://hooks.example.com/cb")
    if not re.fullmatch(CALLBACK_URL_PATTERN, value):
        raise ValueError("event_callback must be an http:// or https:// URL")
    return value


class CampaignOptions(BaseModel):
    """Options specific to the scheduled-campaigns vendor."""

    model_config = ConfigDict(extra="forbid", title="scheduled-campaigns campaign options")

    list: VendorId = Field(
        description="ID of the vendor contact list the campaign targets. Cannot be changed "
                    "on an existing campaign: a new list replaces the campaign.")
    segments: VendorIds = Field(
        default=[],  # pydantic copies defaults; `list` is the field name here
        description="IDs of segments within the list to target. Empty (the default) "
                    "sends to every contact of the list.")
    domain: VendorId = Field(
        description="ID of the bounce domain (a vendor Domain enabled as bouncing domain).")
    event_callback: str | None = Field(
        default=None,
        description="Optional http(s) URL the vendor POSTs message events to (submitted, "
                    "delivered, bounced, opened, clicked). Its query string is forwarded "
                    "unchanged.",
        json_schema_extra={"pattern": CALLBACK_URL_PATTERN})

    @field_validator("segments")
    @classmethod
    def _as_set(cls, value: VendorIds) -> VendorIds:
        return sorted(set(value))

    @field_validator("event_callback")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else check_callback_url(value)
