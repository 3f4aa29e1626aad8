"""The timeline of a send as an inline SVG: local hours 0-24 across, one bar per recipient
zone; on each bar the hours the send windows in force allow that day (reconciler/policy:
each rule asked, per quarter hour, whether it is open there) and a mark at each wave's
local time (red when a rule is closed then). Drawn from the plan alone, with the policy
pack shipped with this version."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reconciler.engine.plan_view import parse_send_time
from reconciler.policy.pack import Rule, load_pack
from reconciler.render.html.escape import text
from reconciler.words import plural

# Each zone's name sits above its bar, so the hours take the whole width (and stay readable
# when three locales share a row).
LABEL_W, HOUR_W, ROW_H, TOP = 24, 22, 44, 24
BAR_Y, BAR_H = 18, 20  # the bar within its row
WIDTH = LABEL_W + 24 * HOUR_W + 24
SLOT = 15  # minutes
MAX_ZONES = 24


@cache
def _open_slots(name: str, zone: str, day: dt.date) -> tuple[bool, ...]:
    """Whether the pack's rule `name` is open in `zone` at each quarter hour of that local
    day (many sends share a zone and a day)."""
    rule = load_pack().rule(name)
    assert rule is not None  # only rules found in the pack are drawn
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(), tz)
    return tuple(rule.is_open(start + dt.timedelta(minutes=SLOT * i), zone)
                 for i in range(24 * 60 // SLOT))


def _spans(slots: tuple[bool, ...]) -> list[tuple[int, int]]:
    """Runs of open slots as (first, end) slot indexes."""
    out, first = [], None
    for i, is_open in enumerate((*slots, False)):
        if is_open and first is None:
            first = i
        elif not is_open and first is not None:
            out.append((first, i))
            first = None
    return out


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _count(value: Any) -> int:
    """A recipient count as a plan file holds it (0 for anything else: the file's schema
    is the saved plan reader's to enforce; the report only draws)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _waves(data: dict[str, Any], send_at: str | None, zones: dict[str, int]
           ) -> dict[str, list[tuple[dt.datetime, int]]]:
    """Per zone, each (instant, recipients) sent there: the plan's waves for a local-time
    send, else the one send time for every zone."""
    out: dict[str, list[tuple[dt.datetime, int]]] = {}
    for w in data.get("waves") or []:
        if not isinstance(w, dict):
            continue
        when = parse_send_time(w.get("send_at"))
        if when is not None:
            out.setdefault(str(w.get("zone")), []).append((when, _count(w.get("recipients"))))
    if not out:
        when = parse_send_time(send_at)
        if when is not None:
            out = {z: [(when, n)] for z, n in zones.items()}
    return out


def _x(hours: float) -> float:
    return LABEL_W + hours * HOUR_W


def axis_defs() -> str:
    """The hours axis, drawn once per report: every timeline `<use>`s it (a fragment of
    the same document, no request); its ticks run past any timeline's height, which
    clips them."""
    bottom = TOP + ROW_H * MAX_ZONES
    # presentation attributes, not classes: a `<use>`d copy is not matched by the page's CSS
    ticks = "".join(f'<line x1="{_x(h)}" y1="{TOP - 4}" x2="{_x(h)}" y2="{bottom}" '
                    f'stroke="#d1d9e0"/><text x="{_x(h)}" y="{TOP - 8}" fill="#59636e" '
                    f'text-anchor="middle">{h:02d}:00</text>' for h in range(0, 25, 3))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="defs" width="0" height="0" '
            f'aria-hidden="true"><defs><g id="hours">{ticks}</g></defs></svg>')


LEGEND = ('<p class="legend">Timelines: <span class="sw open"></span> allowed by the send '
          'windows in force <span class="sw none"></span> no window rule applies '
          '<span class="sw wave"></span> wave (local time) <span class="sw bad"></span> '
          "wave outside a window</p>")


def timeline_svg(data: dict[str, Any], send_at: str | None, address: str) -> str | None:
    """The SVG for one send, or None when its audience by zone is unknown."""
    found = data.get("zones")
    zones = {str(k): _count(v) for k, v in found.items()} if isinstance(found, dict) else {}
    waves = _waves(data, send_at, zones)
    names = list(dict.fromkeys([*zones, *waves]))
    if not names:
        return None
    pack = load_pack()
    rule_names = list((data.get("policy") or {}).get("rules") or [])
    rules = [r for r in map(pack.rule, rule_names) if r is not None]
    shown = names[:MAX_ZONES]
    height = TOP + ROW_H * len(shown) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" '
             f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">',  # CSS max-width: WIDTH
             f"<title>Send timeline of {text(address)}: local hours per zone</title>",
             '<use href="#hours"/>']
    for row, zone in enumerate(shown):
        parts.extend(_row(zone, zones.get(zone), waves.get(zone, []), rules,
                          TOP + row * ROW_H))
    parts.append("</svg>")
    notes = []
    if len(names) > len(shown):
        notes.append(f"and {plural(len(names) - len(shown), 'more zone')} not drawn")
    missing = [n for n in rule_names if pack.rule(n) is None]
    if missing:
        notes.append(f"rules not in the shipped pack {pack.version}, not drawn: "
                     + ", ".join(missing))
    planned = (data.get("policy") or {}).get("pack_version")
    if planned and planned != pack.version:
        notes.append(f"windows drawn from pack {pack.version}; the plan used {planned}")
    note = f'<p class="note">{text("; ".join(notes))}</p>' if notes else ""
    return '<figure class="chart">' + "".join(parts) + note + "</figure>"


def _row(zone: str, recipients: int | None, waves: list[tuple[dt.datetime, int]],
         rules: list[Rule], y: int) -> list[str]:
    tz = _zone(zone)
    label = f"{zone} ({recipients})" if recipients is not None else zone
    out = [f'<text class="zone" x="{_x(0)}" y="{y + BAR_Y - 4}">{text(label[:60])}</text>',
           f'<rect class="day" x="{_x(0)}" y="{y + BAR_Y}" width="{24 * HOUR_W}" '
           f'height="{BAR_H}"><title>{text(zone)}</title></rect>']
    if tz is None:
        return out  # "unknown": recipients with no known zone, no local clock to draw
    day = (waves[0][0].astimezone(tz).date() if waves else None)
    if day is not None and not rules:
        out.append(f'<rect class="none" x="{_x(0)}" y="{y + BAR_Y}" width="{24 * HOUR_W}" '
                   f'height="{BAR_H}"><title>no send-window rule applies</title></rect>')
    for i, rule in enumerate(rules if day is not None else []):
        band = BAR_H / len(rules)
        for first, end in _spans(_open_slots(rule.name, zone, day)):
            x0, x1 = _x(first * SLOT / 60), _x(end * SLOT / 60)
            out.append(f'<rect class="open" x="{x0:.1f}" y="{y + BAR_Y + i * band:.1f}" '
                       f'width="{x1 - x0:.1f}" height="{band:.1f}"><title>{text(rule.name)}: '
                       f"{text(rule.describe())}</title></rect>")
    for when, n in waves:
        local = when.astimezone(tz)
        hours = local.hour + local.minute / 60
        closed = [r.name for r in rules if not r.is_open(when, zone)]
        cls = "bad" if closed else "wave"
        why = f"; closed: {', '.join(closed)}" if closed else ""
        x = _x(hours)
        tip = f"{local:%a %Y-%m-%d %H:%M} local, {plural(n, 'recipient')}{why}"
        out.append(f'<g class="{cls}"><line x1="{x:.1f}" y1="{y + BAR_Y - 3}" x2="{x:.1f}" '
                   f'y2="{y + BAR_Y + BAR_H + 3}"/><circle cx="{x:.1f}" '
                   f'cy="{y + BAR_Y + BAR_H / 2}" r="5"/>'
                   f"<title>{text(tip)}</title></g>")
    return out
