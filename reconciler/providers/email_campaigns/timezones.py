"""The email-campaigns API accepts four POSIX-style zones only. Manifests use IANA names;
these are the ones that map (and back, when reading)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

IANA_TO_API = {
    "America/New_York": "EST5EDT",
    "America/Chicago": "CST6CDT",
    "America/Denver": "MST7MDT",
    "America/Los_Angeles": "PST8PDT",
}
API_TO_IANA = {v: k for k, v in IANA_TO_API.items()}
START_FORMAT = "%Y-%m-%d %H:%M"


class LocalTimeError(ValueError):
    pass


def to_api(when: datetime, iana: str) -> str:
    """`yyyy-MM-dd HH:mm` local to the zone; refuses times the API cannot express exactly."""
    zone = ZoneInfo(iana)
    local = when.astimezone(zone)
    if local.second or local.microsecond:
        raise LocalTimeError(f"{when.isoformat()} has seconds; this API schedules to the minute")
    naive = local.replace(tzinfo=None)
    if is_ambiguous(naive, zone):
        raise LocalTimeError(
            f"{naive:%Y-%m-%d %H:%M} happens twice in {iana} (daylight saving time ends); "
            f"the API could send at either time. Pick another minute.")
    return local.strftime(START_FORMAT)


def is_ambiguous(naive: datetime, zone: ZoneInfo) -> bool:
    return naive.replace(tzinfo=zone, fold=0).utcoffset() != naive.replace(
        tzinfo=zone, fold=1).utcoffset()


def is_missing(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone)
    roundtrip = aware.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    return roundtrip != naive


def from_api(start_date: str, api_zone: str) -> datetime:
    """The API's start_date (`2016-09-08 09:00`, or ISO with seconds) as an aware time."""
    zone = ZoneInfo(API_TO_IANA.get(api_zone, api_zone))
    naive = datetime.fromisoformat(start_date.strip().replace(" ", "T"))
    if is_missing(naive, zone):
        # Only a vendor-side edit could produce it; read it as the later offset.
        naive += timedelta(hours=1)
    return naive.replace(tzinfo=zone)
