"""Frequency caps across campaigns: at most `max` messages to one recipient in any rolling
window of `per` (the pack's statutory caps, `policy: frequency:` in campaignctl.yaml).

What counts, per recipient address: every delivery the send ledger holds (sent, unknown
or in flight), at its scheduled send time where the batch had one; and the sends planned
in the same plan, campaign by campaign in the order of their addresses (so a plan and the
plan its apply makes under the lock hold back the same people). A recipient over a cap is
held back from that send only: the send's count drops by them, the plan says by which cap
and from when they are eligible, and the send-only provider leaves them out of its
batches; they are never recorded as sent. With `late: send-next-window` they stay pending
and an apply once they are eligible sends them, once, like any recipient the ledger does
not hold; otherwise the apply records them as dropped from that campaign (the ledger's
`ledger_dropped`), and no later apply sends it to them.

Vendor-scheduled campaigns (email-campaigns, scheduled-campaigns) are counted at their send
time for their workspace audience, never held back here."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from reconciler.engine.actions import Action
from reconciler.policy.campaign import (
    SKIPPED_STATES,
    campaign_channel,
    campaign_purpose,
    recipient_place,
)
from reconciler.policy.pack import Cap
from reconciler.words import plural


@dataclass
class PlannedSend:
    """One send of a plan as a provider plans it: who, when, and where the caps' verdict
    goes (`held`, shared with the provider's own record of the send)."""

    action: Action
    channel: str
    zone: str | None  # the campaign's timezone, for where each recipient is
    recipients: list[tuple[object, dt.datetime]]  # (audience.Recipient, when it reaches them)
    held: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)


class Delivery(NamedTuple):
    when: dt.datetime
    channel: str | None  # None: a campaign the manifests no longer hold (counted by every cap)
    purpose: str


def _window_ok(times: list[dt.datetime], t: dt.datetime, cap: Cap) -> bool:
    """Would one more message at `t` keep every window of `cap.per` that holds t at most
    `cap.max`? (The window starting at t, and each starting at an earlier message.)"""
    if len(times) < cap.max:  # fewer messages in all than the cap: no window is full
        return True
    per = cap.period
    starts = [t] + [e for e in times if t - per < e <= t]
    for s in starts:
        lo, hi = bisect_left(times, s), bisect_left(times, s + per)
        if hi - lo + 1 > cap.max:
            return False
    return True


def eligible_at(times: list[dt.datetime], t: dt.datetime, cap: Cap) -> dt.datetime:
    """The first instant from `t` on at which one more message fits the cap."""
    candidates = [t] + sorted(e + cap.period for e in times if e + cap.period > t)
    return next(c for c in candidates if _window_ok(times, c, cap))


def check_recipient(history: list[Delivery], caps: list[Cap], channel: str, purpose: str,
                    t: dt.datetime) -> tuple[str, dt.datetime] | None:
    """(the first cap by name that holds this send back, when every cap allows it), or
    None when every cap allows a message at `t`. `caps` in the order of their names."""
    over: list[tuple[str, dt.datetime]] = []
    for cap in caps:
        if not cap.covers(channel, purpose):
            continue
        times = sorted(d.when for d in history
                       if (d.channel is None or d.channel in cap.channels)
                       and d.purpose in cap.purposes)
        if not _window_ok(times, t, cap):
            over.append((cap.name, eligible_at(times, t, cap)))
    if not over:
        return None
    return over[0][0], max(when for _, when in over)


def ledger_history(ws, deliveries: Iterable[tuple[str, str, str, float]]
                   ) -> dict[str, list[Delivery]]:
    """Per recipient address, the deliveries the send ledger holds."""
    out: dict[str, list[Delivery]] = defaultdict(list)
    kinds: dict[tuple[str, str], tuple[str | None, str]] = {}
    times: dict[float, dt.datetime] = {}  # a batch's recipients share its time
    for account, campaign, recipient, ts in deliveries:
        if (account, campaign) not in kinds:
            r = ws.get("Campaign", campaign)
            kinds[account, campaign] = ((campaign_channel(ws, r), campaign_purpose(r))
                                        if r is not None and r.provider == account
                                        else (None, "marketing"))
        channel, purpose = kinds[account, campaign]
        if ts not in times:
            times[ts] = dt.datetime.fromtimestamp(ts, dt.UTC)
        out[recipient].append(Delivery(times[ts], channel, purpose))
    return out


def scheduled_history(ws, history: dict[str, list[Delivery]], caps: list[Cap],
                      send_only: set[str], since: dt.datetime) -> None:
    """Add the sends the vendors schedule (email-campaigns, scheduled-campaigns) where the
    workspace knows their recipients and time: each such Campaign not in draft, paused or
    cancelled, to its audience at its send time (a send-only account's campaigns are in
    its ledger and planned sends instead)."""
    from reconciler.audience import campaign_recipients

    for r in ws.ordered():
        if r.kind != "Campaign" or r.provider in send_only \
                or r.spec.state in SKIPPED_STATES:
            continue
        when = r.spec.send_time()
        channel, purpose = campaign_channel(ws, r), campaign_purpose(r)
        if when is None or when < since or not any(c.covers(channel, purpose) for c in caps):
            continue
        for x in campaign_recipients(ws, r, channel):
            history.setdefault(x.address, []).append(Delivery(when, channel, purpose))


def hold_back(actions: list[Action], ws, sends: list[PlannedSend],
              deliveries: Iterable[tuple[str, str, str, float]],
              since: dt.datetime, send_only: set[str]) -> list[Action]:
    """Every planned send held to the caps in force, in the order of campaign addresses;
    a send whose every recipient is held back records the drop, or is a warning."""
    policy = ws.config.send_policy
    caps = sorted(policy.caps, key=lambda c: c.name)
    if not caps or not sends:
        return actions
    history = ledger_history(ws, deliveries)
    scheduled_history(ws, history, caps, send_only, since)
    out = list(actions)
    for send in sorted(sends, key=lambda s: (s.action.address, s.action.account)):
        a = send.action
        r = ws.get("Campaign", a.name)
        purpose = campaign_purpose(r)
        applying = [c for c in caps if c.covers(send.channel, purpose)]
        by_place: dict = {}  # the caps of each place, looked up once per place
        send.held.clear()
        for x, when in send.recipients:
            if x.address not in history:  # a first message: no cap holds it back
                history[x.address] = [Delivery(when, send.channel, purpose)]
                continue
            place = recipient_place(x, send.channel, send.zone)
            if place not in by_place:
                by_place[place] = [c for c in applying
                                   if any(c.matches(*j) for j in place.jurisdictions)]
            mine = by_place[place]
            past = history.get(x.address, [])
            verdict = check_recipient(past, mine, send.channel, purpose, when) if mine else None
            if verdict is not None:
                send.held[x.address] = verdict
            else:
                history.setdefault(x.address, []).append(Delivery(when, send.channel, purpose))
        if send.held:
            out = _report(out, a, r, send, caps)
    return out


def late_policy(r) -> str:
    """What becomes of the recipients a cap holds back: `send-next-window` (the campaign's
    `late:`, or its local send's) or `drop`."""
    spec = r.spec
    local = getattr(spec, "local_send", None)
    if getattr(spec, "late", None) == "send-next-window" or (
            local is not None and local.late == "send-next-window"):
        return "send-next-window"
    return "drop"


def _report(out: list[Action], a: Action, r, send: PlannedSend, caps: list[Cap]
            ) -> list[Action]:
    by_cap: dict[str, list[dt.datetime]] = defaultdict(list)
    for name, when in send.held.values():
        by_cap[name].append(when)
    cited = {c.name: c for c in caps}
    late = late_policy(r)
    rows = [{"cap": name, "held_back": len(times), "rule": cited[name].describe(),
             "source": cited[name].citation,
             "eligible_from": min(times).isoformat(timespec="seconds"),
             "eligible_until": max(times).isoformat(timespec="seconds"), "late": late}
            for name, times in sorted(by_cap.items())]
    held = len(send.held)
    what = "; ".join(
        f"{plural(row['held_back'], 'recipient')} held back by {row['cap']} "
        f"({row['rule']}), eligible from {row['eligible_from']}"
        + (f" to {row['eligible_until']}" if row["eligible_until"] != row["eligible_from"]
           else "") for row in rows)
    then = ("late: send-next-window: not sent by this apply and not recorded as sent; an "
            "apply once they are eligible sends them" if late == "send-next-window" else
            "dropped from this send: they will not get this campaign (`late: "
            "send-next-window` would send them once eligible)")
    note = f"frequency caps: {what}; {then}"
    if a.send is not None and a.send.recipients <= held:
        # Nothing to send: a drop is still recorded (so no later apply sends them).
        op = "update" if late == "drop" else "warn"
        return [x for x in out if x is not a] + [Action(
            op, a.kind, a.name, a.account, f"nothing to send now: {note}",
            data={"frequency": rows})]
    _fewer(a, send)
    a.data["frequency"] = rows
    a.reason = f"{a.reason}; {note}"
    return out


def _fewer(a: Action, send: PlannedSend) -> None:
    """The send's count, its waves' and its estimate without the recipients held back."""
    when = {x.address: t for x, t in send.recipients}
    before, held = a.send.recipients, len(send.held)
    a.send.recipients -= held
    share = a.send.recipients / before if before else 0
    if a.send.estimated_cost is not None:
        a.send.estimated_cost = round(a.send.estimated_cost * share, 4)
    if a.send.estimated_messages is not None:
        a.send.estimated_messages = round(a.send.estimated_messages * share)
    waves = a.data.get("waves") or []
    for address in send.held:
        for w in waves:
            if dt.datetime.fromisoformat(w["send_at"]) == when[address]:
                w["recipients"] -= 1
                break
    for w in waves:
        if w.get("estimated_cost") is not None and a.send.estimated_cost is not None \
                and a.send.recipients:
            w["estimated_cost"] = round(a.send.estimated_cost * w["recipients"]
                                        / a.send.recipients, 4)
