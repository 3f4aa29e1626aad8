"""scheduled-campaigns: campaigns with a state machine and no list endpoint.

Identity: the API cannot list campaigns, so we only ever know the ids the state store bound
when we created (or imported) them. read() GETs each bound id in parallel; a bound id that
answers 404 was deleted outside campaignctl: that is drift, shown as such, and recreated
only when a manifest still wants it.

Creates POST in DRAFT and then move the campaign along the state path with one PUT per
edge: if the POST's answer is lost we cannot find the campaign again (no list endpoint),
and a lost DRAFT never sends anyone anything. The binding is written as soon as the POST
answers, before the first edge (execute.py).

State changes are a `transition` action whose path (e.g. DRAFT > SCHEDULED > READY) is
executed edge by edge, stopping at the first failing edge. Field changes ride on the
first edge when moving towards READY (fields are right before the campaign is armed) and on
the last edge when moving away from it (the campaign is disarmed before it is edited).
SENDING, DONE and ERROR are frozen: any change is refused with its reason, never sent.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from reconciler.engine.actions import Action
from reconciler.engine.fields import Field, FieldMap, send_time_text
from reconciler.errors import CampaignctlError
from reconciler.providers.base import ImportedResource, Provider
from reconciler.providers.scheduled_campaigns import states
from reconciler.providers.scheduled_campaigns.client import (
    CampaignGone,
    ScheduledCampaignsClient,
    forces_replace,
)
from reconciler.providers.scheduled_campaigns.execute import KIND, UNKNOWN_ID, ScheduledExecute
from reconciler.providers.scheduled_campaigns.halt import ScheduledHalt
from reconciler.providers.scheduled_campaigns.live import ScheduledLive
from reconciler.providers.scheduled_campaigns.when import to_datetime, to_iso, to_timestamp
from reconciler.state.store import Binding
from reconciler.status.model import CampaignStatus, phase
from reconciler.workspace import Resource


def _when_shown(timestamp: Any, r: Resource | None) -> Any:
    """A `when` as the manifest's send_at reads: in the campaign's zone, then UTC."""
    if not isinstance(timestamp, int):
        return timestamp  # a live value we could not read: shown as the vendor gave it
    zone = r.spec.timezone if r is not None else None
    if zone is None and r is not None and r.spec.send_time() is not None:
        zone = r.spec.send_time().tzinfo  # the offset the manifest wrote
    return send_time_text(to_datetime(timestamp), zone)


def _block(name: str) -> Field:
    return Field(f"scheduled-campaigns.{name}", name,
                 lambda r: getattr(r.spec.scheduled_campaigns, name), ignore=(name,))


# The vendor's fields, each from its manifest field: the POST and PUT bodies (`_desired`)
# and the plan's names for them (engine/fields.py). `ignore_changes` may name either.
FIELD_MAP = FieldMap(
    Field("title", "name", lambda r: r.spec.title or r.name),
    _block("domain"), _block("list"),
    Field("scheduled-campaigns.segments", "segments",
          lambda r: sorted(set(r.spec.scheduled_campaigns.segments)), ignore=("segments",)),
    Field("send_at", "when", lambda r: to_timestamp(r.spec.send_time() or r.spec.send_at),
          show=_when_shown),
    Field("scheduled-campaigns.event_callback", "event_callback",
          lambda r: r.spec.scheduled_campaigns.event_callback or None,
          ignore=("event_callback",)),
    # the manifest's `state: draft` is the vendor's DRAFT
    Field("state", "state", show=lambda v, r=None: v.lower() if isinstance(v, str) else v))
FIELDS = tuple(f.vendor for f in FIELD_MAP if f.value is not None)
ORDER = (states.DRAFT, states.SCHEDULED, states.READY)


def _live_fields(obj: dict) -> dict[str, Any]:
    try:
        when = to_timestamp(obj.get("when"))
    except ValueError:
        when = obj.get("when")  # shown as is; it will differ from any manifest
    return {"name": obj.get("name"), "domain": obj.get("domain"), "list": obj.get("list"),
            "segments": sorted(set(obj.get("segments") or [])), "when": when,
            "event_callback": obj.get("event_callback") or None}


def _ignored(r: Resource, name: str) -> bool:
    return name in FIELD_MAP.ignored(r)


class ScheduledCampaignsProvider(ScheduledExecute, ScheduledHalt, Provider):
    #: `campaignctl proof`: the API sends a campaign to a contact list of the vendor's own
    proof_unsupported = ("a campaign goes to a contact list held by the vendor (`list` id, "
                         "its `segments[]`); the API cannot send it to a group of ours")
    vendor = "scheduled-campaigns"

    def __init__(self, account, ctx):
        super().__init__(account, ctx)
        self.client = ScheduledCampaignsClient(self.base_url, account.credentials["api_key"],
                                               **self.http_options())

    def clients(self):
        return [self.client.http]

    # read -------------------------------------------------------------------------------
    def _bindings(self) -> list[Binding]:
        return self.bindings.of_kind(KIND)

    async def read(self, resources: list[Resource]) -> ScheduledLive:
        live = ScheduledLive()

        async def one(b: Binding) -> None:
            live.ids[b.name] = b.remote_id
            if b.remote_id == UNKNOWN_ID:
                return
            try:
                live.campaigns[b.name] = await self.client.get(_as_id(b.remote_id, b.name))
            except CampaignGone:
                live.campaigns[b.name] = None

        # One GET per bound campaign, in parallel (the client bounds concurrency and rate).
        await asyncio.gather(*(one(b) for b in self._bindings()))
        return live

    def fingerprint(self, live: ScheduledLive) -> Any:
        return [[name, *self.live_item(live, "Campaign", name)] for name in sorted(live.ids)]

    def live_item(self, live: ScheduledLive, kind: str, name: str) -> Any:
        if kind != "Campaign" or name not in live.ids:
            return None
        obj = live.campaigns.get(name)
        return [live.ids[name]] + ([obj.get("state"), obj.get("updated"), _live_fields(obj)]
                                   if obj else [None])

    # desired ------------------------------------------------------------------------------
    def _desired(self, r: Resource) -> dict[str, Any]:
        return FIELD_MAP.desired(r)

    @staticmethod
    def _want_state(r: Resource) -> str:
        return (r.spec.state or "draft").upper()

    def _post_fields(self, desired: dict[str, Any]) -> dict[str, Any]:
        post = {k: desired[k] for k in ("name", "domain", "list", "when")}
        if desired["segments"]:
            post["segments"] = desired["segments"]
        if desired["event_callback"]:
            post["event_callback"] = desired["event_callback"]
        post["state"] = states.DRAFT  # see the module docstring: never armed by a POST
        return post

    # diff -----------------------------------------------------------------------------------
    def diff(self, resources: list[Resource], live: ScheduledLive,
             matches: dict | None = None) -> list[Action]:
        actions: list[Action] = []
        for r in resources:
            if r.kind == KIND:
                actions += self._diff_one(r, live)
        present = {r.name for r in resources if r.kind == KIND}
        for b in self._bindings():
            if b.name not in present:
                actions += self._diff_orphan(b, live)
        return actions

    def _past(self, r: Resource) -> str | None:
        """Why arming this campaign now would send it at once, or None."""
        when = r.spec.send_time()
        if when is not None and when <= self.ctx.options.now:
            return (f"send time {to_iso(when)} has already passed: a READY campaign would "
                    "start sending at once; set a future send_at (or state draft/scheduled)")
        return None

    def _diff_one(self, r: Resource, live: ScheduledLive) -> list[Action]:
        desired = self._desired(r)
        want = self._want_state(r)
        remote_id = live.ids.get(r.name)
        if remote_id == UNKNOWN_ID:
            return [self.action("refuse", r, reason=(
                "an earlier create's outcome is unknown (the vendor's answer was lost) and "
                "this API cannot list campaigns: check the vendor dashboard; if the "
                f"campaign exists, `campaignctl import {self.account.name} --id ID` binds it "
                f"to this manifest, otherwise `campaignctl state rm {r.address}` lets the "
                "next apply create it"))]
        obj = live.campaigns.get(r.name) if remote_id else None
        if obj is None:
            gone = remote_id is not None
            return [self._create_action(r, desired, want, gone_id=remote_id if gone else None)]

        have = _live_fields(obj)
        differ = [k for k in FIELDS if have[k] != desired[k] and not _ignored(r, k)]
        changes = [FIELD_MAP.change(k, have[k], desired[k], r,
                                    forces_replace(k, desired[k]) and k in ("list", "segments"))
                   for k in differ]
        live_state = obj.get("state")
        if _ignored(r, "state"):
            want = live_state if live_state in ORDER else want
        if live_state in states.FROZEN:
            # A send that went READY -> SENDING -> DONE did what `ready` asked for.
            state_ok = want == states.READY or _ignored(r, "state")
            if state_ok and not changes:
                return []
            if not state_ok:
                changes.append(FIELD_MAP.change("state", live_state, want, r))
            return [self.action("refuse", r, changes=changes, reason=(
                f"campaign {remote_id} is {live_state}: a launched campaign is frozen, so "
                "it is not edited, replaced or deleted; make a new campaign instead"))]
        if live_state not in ORDER:
            return [self.action("refuse", r, reason=f"campaign {remote_id} is in an unknown "
                                                    f"state {live_state!r}; not touching it")]
        steps = states.path(live_state, want)
        if not changes and not steps:
            return []
        if want == states.READY and (why := self._past(r)):
            return [self.action("refuse", r, changes=changes, reason=why,
                                path=[live_state, *steps] if steps else [])]
        if any(c.forces_replace for c in changes):
            if r.lifecycle.prevent_destroy:
                return [self.action("refuse", r, changes=changes, reason=(
                    "needs a replace (DELETE + POST) but lifecycle.prevent_destroy is set"))]
            forced = ", ".join(c.field for c in changes if c.forces_replace)
            create = self._create_action(r, desired, want, gone_id=None)
            return [self.action(
                "replace", r, changes=changes, path=create.path, irreversible=True,
                reason=f"{forced} cannot be changed with a PUT: DELETE campaign {remote_id} "
                       f"({live_state}) and POST a new one",
                data={**create.data, "id": int(remote_id)})]
        put = {k: desired[k] for k in differ if k != "segments"}
        # Every PUT carries the full segments (see client.py): the manifest's, or the live
        # ones when the manifest ignores them.
        segments = have["segments"] if _ignored(r, "segments") else desired["segments"]
        data = {"id": int(remote_id), "put": put, "segments": segments}
        if not steps:
            return [self.action("update", r, changes=changes, data=data,
                                reason=f"differs from the manifest (PUT campaign {remote_id})")]
        up = ORDER.index(want) > ORDER.index(live_state)
        edges = f"{len(steps)} PUT{'s' if len(steps) > 1 else ''}, one per edge"
        reason = f"state {live_state.lower()} -> {want.lower()} ({edges})"
        if changes:
            reason += (" with the field changes sent " +
                       ("on the first edge" if up else "on the last edge, once disarmed"))
        return [self.action("transition", r, changes=changes, path=[live_state, *steps],
                            reason=reason, data={**data, "fields_on": "first" if up else "last"})]

    def _create_action(self, r: Resource, desired: dict, want: str,
                       gone_id: str | None) -> Action:
        if want == states.READY and (why := self._past(r)):
            return self.action("refuse", r, reason=why)
        steps = states.path(states.DRAFT, want)
        if gone_id is not None:
            reason = (f"bound campaign {gone_id} was deleted outside campaignctl (the API "
                      "answers 404): drift; recreating it because the manifest still wants it")
        else:
            reason = "not in the account"
        if steps:
            reason += f" (POST in DRAFT, then {len(steps)} PUT{'s' if len(steps) > 1 else ''})"
        changes = FIELD_MAP.created(desired, r)
        return self.action("create", r, reason=reason, changes=changes,
                           path=[states.DRAFT, *steps] if steps else [],
                           data={"post": self._post_fields(desired), "steps": steps,
                                 "gone": gone_id})

    def _diff_orphan(self, b: Binding, live: ScheduledLive) -> list[Action]:
        if b.remote_id == UNKNOWN_ID:
            return [self.action("delete", KIND, b.name, data={"forget": True}, reason=(
                "no longer in the manifests; its create's outcome was unknown: forgetting it "
                "(check the vendor dashboard for a stray DRAFT campaign)"))]
        obj = live.campaigns.get(b.name)
        if obj is None:
            return [self.action("delete", KIND, b.name, data={"forget": True}, reason=(
                f"no longer in the manifests, and campaign {b.remote_id} was already deleted "
                "outside campaignctl: forgetting the binding"))]
        if obj.get("state") in states.FROZEN:
            return [self.action("refuse", KIND, b.name, reason=(
                f"removed from the manifests but campaign {b.remote_id} is {obj['state']}: "
                "a launched campaign is frozen and never deleted; to stop tracking it run "
                f"`campaignctl state rm {KIND}/{b.name}`"))]
        scheduled = obj.get("state") in (states.SCHEDULED, states.READY)
        return [self.action("delete", KIND, b.name, data={"id": int(b.remote_id)},
                            irreversible=True, cancels_send=scheduled,
                            reason=f"no longer in the manifests (DELETE campaign "
                                   f"{b.remote_id}, {obj.get('state')}"
                                   + (", scheduled to send" if scheduled else "") + ")")]

    # status -----------------------------------------------------------------------------------
    async def campaign_status(self, campaigns: list[Resource], details: bool = False,
                              show_contacts: bool = False) -> list[CampaignStatus]:
        """State and send time from `GET /campaign/<id>`; results from the events the
        vendor called back with (`campaignctl callbacks serve` stores them): distinct
        recipients per event. The audience is the vendor's list, so `planned` is unknown."""
        live = await self.read(campaigns)
        events = self.state.events
        out = []
        for r in campaigns:
            obj = live.campaigns.get(r.name)
            remote_id = live.ids.get(r.name)
            st = CampaignStatus(self.account.name, self.vendor, r.name, "not created",
                                remote_id=remote_id)
            if remote_id == UNKNOWN_ID:
                st.state = "unknown (create's answer was lost)"
            elif remote_id and obj is None:
                st.state = "gone (404)"
            elif obj is not None:
                st.state = obj.get("state") or "?"
                st.send_at = to_iso(to_timestamp(obj.get("when")))
            if r.spec.send_time() and st.send_at is None:
                st.send_at = to_iso(r.spec.send_time())
            st.results = events.counts(self.account.name, r.name)
            st.delivered = st.results.get("delivered") if st.results else None
            if obj is not None:  # a DRAFT is not handed over; the others send at `when`
                handed = obj.get("state") in ("SCHEDULED", "READY", "SENDING", "DONE")
                st.delivery = phase(int(handed), _when_of(obj), st.delivered,
                                    r.spec.timezone, self.ctx.options.now)
            if st.results:
                st.sent = st.results.get("submitted", st.results.get("delivered", 0)
                                         + st.results.get("bounced", 0))
                st.rejected = st.results.get("bounced", 0)
            elif obj is not None and not (obj.get("event_callback")):
                st.note = "no event_callback: the vendor reports no events"
            if details or show_contacts:
                found = events.of(self.account.name, r.name)
                st.details = [{"event": e.event, "at": to_iso(int(e.at)),
                               "recipients": len(e.addresses)} for e in found]
                if show_contacts:
                    st.contacts = [{"address": a, "outcome": e.event, "at": to_iso(int(e.at))}
                                   for e in found for a in e.addresses]
            out.append(st)
        return out

    # import -----------------------------------------------------------------------------------
    async def import_resources(self, ids: list[str]) -> list[ImportedResource]:
        if not ids:
            raise CampaignctlError(f"{self.vendor} has no list endpoint: name the campaigns "
                                   "to adopt with --id ID (repeatable)")
        numbers = [_as_id(i, f"--id {i}") for i in ids]

        async def one(n: int) -> dict:
            try:
                return await self.client.get(n)
            except CampaignGone:
                raise CampaignctlError(f"{self.vendor}: campaign {n} does not exist "
                                       f"(404 on account {self.account.name!r})") from None

        found = await asyncio.gather(*(one(n) for n in numbers))
        return [_imported(obj) for obj in found]


def _imported(obj: dict) -> ImportedResource:
    live = _live_fields(obj)
    state = obj.get("state")
    note = ""
    if state in states.FROZEN:
        note = f"{state}: launched and frozen; written as `state: ready`, never edited"
        desired_state = "ready"
    else:
        desired_state = (state or "DRAFT").lower()
    block: dict[str, Any] = {"list": live["list"], "domain": live["domain"]}
    if live["segments"]:
        block["segments"] = live["segments"]
    if live["event_callback"]:
        block["event_callback"] = live["event_callback"]
    spec = {"title": live["name"], "send_at": to_iso(live["when"]), "state": desired_state,
            "scheduled-campaigns": block}
    return ImportedResource(KIND, str(obj["id"]), live["name"] or f"campaign-{obj['id']}",
                            spec, note)


def _as_id(value: str, what: str) -> int:
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) <= 0:
        raise CampaignctlError(f"scheduled-campaigns: {what}: campaign id {value!r} is not a "
                               "positive integer")
    return int(text)


def _when_of(obj: dict) -> datetime | None:
    """The vendor's send time of a campaign, None when it gives none we can read."""
    try:
        return to_datetime(obj["when"]) if obj.get("when") else None
    except ValueError:
        return None
