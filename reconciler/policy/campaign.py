"""The send-window checks of one Campaign, shared by `validate`, `plan` and `apply`.

- `validate` (offline): a fixed send time, or each wave of a local-time send, must be
  inside every rule that applies to every recipient; `send_at: now` is checked by plan.
- `plan`: the same at plan time (the audience may have changed), and `now` at plan time.
- `apply`: send-only accounts check again just before their first request.
Contacts are counted by place (zones and jurisdiction); no address leaves this module.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler.kinds import LocalSendAt
from reconciler.kinds.vendor_blocks import vendor_block
from reconciler.policy.settings import Policy
from reconciler.policy.where import Place, place_of
from reconciler.policy.windows import Breach, breaches, first_allowed
from reconciler.vendors import installed
from reconciler.words import plural, word

SKIPPED_STATES = ("draft", "paused", "cancelled")  # nothing is sent in these


def campaign_channel(ws, r) -> str:
    message = ws.get("Message", r.spec.message) if r.spec.message else None
    if message is not None:
        return message.spec.channel
    account = ws.config.accounts.get(r.provider)
    vendor = installed().get(account.type) if account else None
    return (vendor.channel if vendor else None) or "email"


def vendor_purpose(r) -> str | None:
    for vtype in installed():
        block = vendor_block(r.spec, vtype)
        if block is not None and hasattr(block, "neutral_purpose"):
            return block.neutral_purpose()
    return None


def campaign_purpose(r) -> str:
    """`purpose:` in the manifest, else the vendor block's (Octopush `alert` is
    transactional), else marketing: the windows then apply, the safe side."""
    return r.spec.purpose or vendor_purpose(r) or "marketing"


def sends_in_waves(ws, r) -> bool:
    account = ws.config.accounts.get(r.provider)
    return bool(account and installed()[account.type].waves)


def recipient_place(recipient, channel: str, campaign_zone: str | None) -> Place:
    phone = recipient.address if channel != "email" else None
    return place_of(phone, recipient.contact.timezone, campaign_zone)


def count_places(recipients: Iterable, channel: str, campaign_zone: str | None
                 ) -> Counter[Place]:
    out: Counter[Place] = Counter()
    for x in recipients:
        out[recipient_place(x, channel, campaign_zone)] += 1
    return out


def zone_counts(places: Counter[Place]) -> dict[str, int]:
    out: Counter[str] = Counter()
    for place, n in places.items():
        out[place.zone_label] += n
    return dict(sorted(out.items()))


@dataclass
class Wave:
    """The recipients of one zone (or one set of zones) of a local-time send."""

    zones: tuple[str, ...]
    send_at: dt.datetime  # the instant; its offset is the (first) zone's
    recipients: int
    late: bool = False  # moved to the next allowed time (`late: send-next-window`)
    cost: float | None = None  # its share of the estimate
    places: Counter = field(default_factory=Counter, repr=False)
    deferred_by: str | None = None  # the rules closed at `at` (outside_window: defer)

    @property
    def zone(self) -> str:
        return " + ".join(self.zones)

    def to_dict(self) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        local = self.send_at.astimezone(ZoneInfo(self.zones[0]))
        return {"zone": self.zone, "local": local.strftime("%Y-%m-%d %H:%M"),
                "send_at": local.isoformat(), "utc": self.send_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ"),
                "recipients": self.recipients, "late": self.late, "estimated_cost": self.cost,
                **({"deferred_by": self.deferred_by} if self.deferred_by else {})}


def plan_waves(local: LocalSendAt, places: Counter[Place]) -> list[Wave]:
    """One wave per zone set; a number in several zones goes at the latest of its zones'
    wall times, so it is never early anywhere."""
    waves: dict[tuple[str, ...], Wave] = {}
    for place, n in places.items():
        if not place.zones:
            continue
        w = waves.get(place.zones)
        if w is None:
            when = max(local.in_zone(z) for z in place.zones)
            w = waves[place.zones] = Wave(place.zones, when, 0)
        w.recipients += n
        w.places[place] += n
    return sorted(waves.values(), key=lambda w: (w.send_at, w.zone))


@dataclass
class Gate:
    """The verdict on one campaign's send: refused (and why), or its waves and counts."""

    refusal: str | None = None
    waves: list[Wave] = field(default_factory=list)
    zones: dict[str, int] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    purpose: str = "marketing"
    uncertain: int = 0  # recipients whose place is uncertain: the strictest rule applies

    def data(self, policy: Policy) -> dict[str, Any]:
        out: dict[str, Any] = {"policy": {"pack_version": policy.version, "purpose": self.purpose,
                                          "rules": self.rules,
                                          "waived": sorted(policy.waived)},
                               "zones": self.zones}
        if self.uncertain:
            out["policy"]["uncertain_place"] = self.uncertain
        if self.waves:
            out["waves"] = [w.to_dict() for w in self.waves]
        return out


def _breach_text(what: str, found: list[Breach]) -> str:
    total = sum(b.recipients for b in found)
    return (f"{what} is outside the send window for {plural(total, 'recipient')}: "
            + "; ".join(b.describe() for b in found))


def check_send(policy: Policy, r, places: Counter[Place], channel: str,
               now: dt.datetime | None, waves: bool) -> Gate:
    """The campaign's send against the policy. `now` is None offline (validate): a
    `send_at: now` is then not checked, and no wave is late. `waves`: the account sends a
    local-time campaign in one wave per zone (else at the local time in the campaign's
    `timezone`)."""
    purpose = campaign_purpose(r)
    gate = Gate(zones=zone_counts(places), purpose=purpose,
                uncertain=sum(n for p, n in places.items() if p.doubt))
    gate.rules = sorted({x.name for p in places for x in policy.applicable(p, channel, purpose)})
    spec = r.spec
    local = spec.local_send
    if local is not None and waves:
        _check_waves(gate, policy, local, places, channel, now)
        return gate
    if spec.deferred_send is not None and waves:
        _defer_waves(gate, policy, spec.deferred_send.at, places, channel)
        return gate
    when = now if spec.send_at == "now" else spec.send_time()
    if when is None:
        return gate
    found = breaches(policy, places, channel, purpose, when)
    if found:
        what = "sending now" if spec.send_at == "now" else f"send time {when.isoformat()}"
        gate.refusal = _breach_text(what, found)
    return gate


def _check_waves(gate: Gate, policy: Policy, local: LocalSendAt, places: Counter[Place],
                 channel: str, now: dt.datetime | None) -> None:
    unknown = sum(n for p, n in places.items() if not p.zones)
    if unknown:
        gate.refusal = (f"{plural(unknown, 'recipient')} {word(unknown, 'has', 'have')} no known time zone, so their local "
                        f"{local.local} cannot be placed: add a `timezone` column or set the "
                        "campaign's `timezone`")
        return
    gate.waves = plan_waves(local, places)
    problems = []
    for w in gate.waves:
        if now is not None and w.send_at <= now:
            if local.late != "send-next-window":
                problems.append(f"wave {w.zone}: {w.send_at.isoformat()} has already passed "
                                f"({plural(w.recipients, 'recipient')}); a wave is never sent late "
                                "unless the manifest says `late: send-next-window`")
                continue
            nxt = first_allowed(policy, w.places, channel, gate.purpose, _next_minute(now))
            if nxt is None:
                problems.append(f"wave {w.zone}: passed, and no allowed time within reach")
                continue
            w.send_at, w.late = nxt, True
            continue
        found = breaches(policy, w.places, channel, gate.purpose, w.send_at)
        if found:
            problems.append(_breach_text(f"wave {w.zone} at {w.send_at.isoformat()}", found))
    if problems:
        gate.refusal = "; ".join(problems)


def _defer_waves(gate: Gate, policy: Policy, at: dt.datetime, places: Counter[Place],
                 channel: str) -> None:
    """`outside_window: defer`: recipients whose every rule is open at `at` go then; each
    other place goes at its own first allowed time, as a wave of its own (zones, time)."""
    unknown = sum(n for p, n in places.items() if not p.zones)
    if unknown:
        gate.refusal = (f"{plural(unknown, 'recipient')} {word(unknown, 'has', 'have')} no "
                        "known time zone, so their window cannot be placed: add a `timezone` "
                        "column or set the campaign's `timezone`")
        return
    waves: dict[tuple[tuple[str, ...], dt.datetime], Wave] = {}
    problems = []
    for place, n in sorted(places.items()):
        rules = policy.applicable(place, channel, gate.purpose)
        closed = sorted({x.name for x in rules for z in place.zones if not x.is_open(at, z)})
        when: dt.datetime | None = at
        if closed:
            when = first_allowed(policy, Counter({place: n}), channel, gate.purpose, at)
            if when is None:
                problems.append(f"{plural(n, 'recipient')} in {place.zone_label} "
                                f"({place.jurisdiction}): no allowed time within reach of "
                                f"{at.isoformat()} (rules {', '.join(closed)})")
                continue
        w = waves.get((place.zones, when))
        if w is None:
            w = waves[(place.zones, when)] = Wave(place.zones, when, 0)
        if closed:
            w.deferred_by = ", ".join(sorted(set((w.deferred_by or "").split(", ") + closed)
                                             - {""}))
        w.recipients += n
        w.places[place] += n
    gate.waves = sorted(waves.values(), key=lambda w: (w.send_at, w.zone))
    if problems:
        gate.refusal = "; ".join(problems)


def _next_minute(now: dt.datetime) -> dt.datetime:
    return (now + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)


def validate_campaign(ws, r) -> list:
    """Offline checks of one Campaign's send against the windows (validate)."""
    from reconciler.audience import campaign_recipients
    from reconciler.errors import Diagnostic

    if r.kind != "Campaign":
        return []
    spec = r.spec
    out = []
    own = vendor_purpose(r)
    if spec.purpose and own and spec.purpose != own:
        out.append(Diagnostic(r.locate("purpose"), f"{r.address}: purpose {spec.purpose} "
                                                   f"contradicts the vendor block's ({own})"))
    waves = sends_in_waves(ws, r)
    if spec.deferred_send is not None and not waves:
        account = ws.config.accounts.get(r.provider)
        out.append(Diagnostic(r.locate("send_at"), (
            f"{r.address}: `outside_window: defer` needs an account that sends each batch at "
            f"its own time (Octopush, Connectly); a {account.type if account else '?'} "
            "account schedules one time per campaign: give a fixed time instead")))
        return out
    if spec.local_send is not None and not waves and not spec.timezone:
        account = ws.config.accounts.get(r.provider)
        out.append(Diagnostic(r.locate("send_at"), (
            f"{r.address}: a local-time send_at on a {account.type if account else '?'} "
            "account (one send time per campaign) needs the campaign's `timezone`")))
        return out
    if spec.state in SKIPPED_STATES or spec.send_at in (None, "now"):
        return out
    # A time already past is refused by plan (or went out long ago, under the rules of
    # its day): a later pack must not make the history of a workspace invalid.
    last = (spec.local_send.in_zone("Etc/GMT+12") if spec.local_send is not None
            else spec.send_time())
    if last is not None and last <= dt.datetime.now(dt.UTC):
        return out
    channel = campaign_channel(ws, r)
    if not ws.config.send_policy.could_apply(channel, campaign_purpose(r)) and (
            spec.local_send is None or not waves):
        return out
    recipients = campaign_recipients(ws, r, channel)
    places = count_places(recipients, channel, spec.timezone)
    gate = check_send(ws.config.send_policy, r, places, channel, None, waves)
    if gate.refusal:
        out.append(Diagnostic(r.locate("send_at"), f"{r.address}: {gate.refusal}"))
    return out
