"""A vendor's fields in the manifest's words: each provider declares, per kind, which manifest
field (its path under `spec:` as written in the YAML: `subject`, `scheduled-campaigns.list`)
fills which vendor field, and how to read the manifest's value. The same table builds what
is sent to the vendor (`FieldMap.desired`) and names every field change of a plan
(`FieldMap.change`): the plan speaks the manifest's language, and keeps the vendor's name
and values beside it (`FieldChange.vendor`) for `--debug` and machine readers.

Values are shown as a manifest writes them: references as `Kind/name`, states in the
manifest's spelling, send times in the campaign's zone with its offset, then UTC
(`send_time_text`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.engine.actions import FieldChange


def differs(before: Any, after: Any) -> bool:
    """Whether two vendor values differ, types included: 1 and 1.0, or True and 1, differ
    (a vendor that turns a number into a string, or a count into a flag, has changed the
    field), in nested dicts and lists too; key order does not count, list order does."""
    if before is after:
        return False
    if type(before) is not type(after):
        return True
    if isinstance(before, dict):
        return before.keys() != after.keys() or any(differs(v, after[k])
                                                     for k, v in before.items())
    if isinstance(before, list | tuple):
        return len(before) != len(after) or any(differs(a, b)
                                                for a, b in zip(before, after, strict=True))
    return bool(before != after)


def _same(value: Any, resource: Any = None) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    """One planned field: `manifest` (the path under `spec:`) fills the vendor's `vendor`.

    `value(resource)`: the vendor's value from the manifest (what a payload carries);
    `show(vendor_value, resource)`: that value as the manifest writes it (what the plan
    prints); `ignore`: the names `lifecycle.ignore_changes` may give it besides `manifest`
    and `vendor`."""

    manifest: str
    vendor: str
    value: Callable[[Any], Any] | None = None
    show: Callable[[Any, Any], Any] = _same
    ignore: tuple[str, ...] = ()


class FieldMap:
    """The fields one kind plans on one vendor, in plan order."""

    def __init__(self, *fields: Field):
        self.fields = fields
        self._by_vendor = {f.vendor: f for f in fields}

    def __iter__(self):
        return iter(self.fields)

    def __getitem__(self, vendor: str) -> Field:
        return self._by_vendor[vendor]

    def label(self, vendor: str) -> str:
        """The plan's name of the vendor field `vendor`: the manifest's."""
        f = self._by_vendor.get(vendor)
        return f.manifest if f is not None else vendor

    def desired(self, resource: Any) -> dict[str, Any]:
        """The vendor's fields as the manifest sets them (keyed by the vendor's names)."""
        return {f.vendor: f.value(resource) for f in self.fields if f.value is not None}

    def ignored(self, resource: Any) -> set[str]:
        """The vendor fields whose changes `lifecycle.ignore_changes` leaves alone."""
        names = set(resource.lifecycle.ignore_changes)
        return {f.vendor for f in self.fields
                if names & {f.manifest, f.vendor, *f.ignore}}

    def vendor_names(self) -> tuple[str, ...]:
        """The vendor's names that differ from the manifest's (`ignore_changes` takes them
        too, as plans before the manifest's names did)."""
        return tuple(f.vendor for f in self.fields if f.vendor != f.manifest)

    def change(self, vendor: str, before: Any, after: Any, resource: Any = None,
               forces_replace: bool = False, *, raw: tuple[Any, Any] | None = None
               ) -> FieldChange:
        """A FieldChange named and valued as the manifest writes it. `before`/`after` are
        the vendor's values (shown through the field's `show`), unless `raw` gives those
        and `before`/`after` are already the manifest's."""
        f = self._by_vendor.get(vendor) or Field(vendor, vendor)
        if raw is None:
            raw = (before, after)
            before = None if before is None else f.show(before, resource)
            after = None if after is None else f.show(after, resource)
        return FieldChange(f.manifest, before, after, forces_replace,
                           vendor={"field": vendor, "before": raw[0], "after": raw[1]})

    def changes(self, live: Mapping[str, Any], desired: Mapping[str, Any], resource: Any,
                forces_replace: Iterable[str] = (), ignore: Iterable[str] = ()
                ) -> list[FieldChange]:
        """One change per desired field whose value differs from the live one, in the
        map's order (fields it does not list after, by name)."""
        forces, skip = set(forces_replace), set(ignore)
        order = [f.vendor for f in self.fields] + sorted(set(desired) - set(self._by_vendor))
        out = []
        for key in order:
            if key in skip or key not in desired:
                continue
            before, after = live.get(key), desired.get(key)
            if differs(before, after):
                out.append(self.change(key, before, after, resource, key in forces))
        return out

    def created(self, desired: Mapping[str, Any], resource: Any) -> list[FieldChange]:
        """The changes of a create: every field the manifest sets, from nothing."""
        return [self.change(k, None, v, resource) for k, v in desired.items()
                if v not in (None, [])]


def send_time_text(when: datetime, zone: str | tzinfo | None) -> str:
    """A send time as a reviewer reads it: in the campaign's zone with its offset, then
    UTC (`2027-03-20 09:00 Europe/Paris (+01:00), 08:00 UTC`); a campaign without a zone
    name reads it at the offset its manifest wrote (`zone` a tzinfo: `2030-01-15 09:00
    (+01:00), 08:00 UTC`), or in UTC alone. Seconds only when there are some; the UTC
    part gives its date only when it differs."""
    utc = when.astimezone(UTC)
    fmt = "%Y-%m-%d %H:%M:%S" if utc.second else "%Y-%m-%d %H:%M"
    if zone is None or zone == "UTC" or (not isinstance(zone, str)
                                         and zone.utcoffset(when) == timedelta(0)):
        return f"{utc.strftime(fmt)} UTC"
    local = when.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}"
    name = f" {zone}" if isinstance(zone, str) else ""
    clock = "%H:%M:%S" if utc.second else "%H:%M"
    utc_part = utc.strftime(clock if local.date() == utc.date() else fmt)
    return f"{local.strftime(fmt)}{name} ({offset}), {utc_part} UTC"
