"""The plan step that holds every campaign to its send windows, for the accounts that
schedule one send time per campaign (email-campaigns, scheduled-campaigns). Send-only
accounts check each wave in their own diff (reconciler/providers/sendonly/).

A campaign is checked when the plan changes it, or changes a contact group it sends to
(the audience moved). A send outside a window turns its changes into one refusal; an
audience that spans several zones is warned about: one time cannot be local to all."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from reconciler.engine.actions import Action
from reconciler.policy.campaign import (
    SKIPPED_STATES,
    campaign_channel,
    check_send,
    count_places,
    sends_in_waves,
)


def enforce_windows(actions: list[Action], ws, now: dt.datetime) -> list[Action]:
    from reconciler.audience import campaign_recipients

    policy = ws.config.send_policy
    moved = {a.name for a in actions if a.kind == "ContactGroup" and a.is_change}
    out = list(actions)
    for r in ws.ordered():
        if r.kind != "Campaign" or sends_in_waves(ws, r):
            continue
        mine = [a for a in out if a.kind == "Campaign" and a.name == r.name]
        changing = [a for a in mine if a.is_change]
        if not changing and not set(r.spec.contact_groups) & moved:
            continue
        if r.spec.state in SKIPPED_STATES or r.spec.send_at is None or (
                mine and not changing):  # refused or frozen by its provider already
            continue
        channel = campaign_channel(ws, r)
        # Where its recipients are: the same for every campaign of the same groups, lists
        # and zone, counted once per command (the groups' rows are read for it).
        key = ("places", tuple(r.spec.contact_groups), tuple(r.spec.opt_out_lists), channel,
               r.spec.timezone)
        if key not in ws.memo:
            ws.memo[key] = count_places(campaign_recipients(ws, r, channel), channel,
                                        r.spec.timezone)
        places = Counter(ws.memo[key])
        gate = check_send(policy, r, places, channel, now, waves=False)
        account = changing[0].account if changing else r.provider
        if gate.refusal:
            out = [a for a in out if a not in changing]
            out.append(Action("refuse", "Campaign", r.name, account,
                              f"send window: {gate.refusal}", data=gate.data(policy)))
            continue
        if changing:
            changing[0].data.update(gate.data(policy))
        if len(gate.zones) > 1:
            when = r.spec.send_time()
            at = f" at {when.isoformat()}" if when else ""
            out.append(Action("warn", "Campaign", r.name, account, (
                f"the audience spans {len(gate.zones)} time zones ("
                + ", ".join(f"{z}: {n}" for z, n in gate.zones.items())
                + f"); this account schedules one time for the whole campaign{at} "
                f"({r.spec.timezone or 'no timezone'}), so it is not local to everyone. "
                "Split the campaign by zone to send each at its own local time"),
                data={"zones": gate.zones}))
    return out
