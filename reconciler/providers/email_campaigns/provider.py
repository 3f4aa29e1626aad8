"""email-campaigns: map the API's objects to the neutral kinds, diff, and apply.

Identity is the engine's (engine/identity.py): this module declares the natural keys
(sender email, group tag, message subject+body, campaign name while it can still send) and
the engine matches manifests to live objects. An unbound live object with a manifest's key
is adopted instead of created again, which is also how an apply killed between a POST and
its binding converges without duplicates, and how an object deleted and re-created in the
dashboard stays one object.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.campaign_status import CampaignStatus
from reconciler.contacts import summarize
from reconciler.engine.actions import Action, FieldChange, SendSummary, SetChange
from reconciler.engine.content import send_content
from reconciler.engine.diff import field_changes, keyed_diff
from reconciler.engine.identity import LiveObject, Match, resolve
from reconciler.errors import ApiError, CampaignctlError, OutcomeUnknown
from reconciler.providers.base import BindingConflict, ImportedResource, Provider
from reconciler.providers.email_campaigns import importing
from reconciler.providers.email_campaigns.client import EmailCampaignsClient, oid, ref
from reconciler.providers.email_campaigns.timezones import IANA_TO_API, from_api, to_api
from reconciler.state.store import Binding
from reconciler.words import plural, word
from reconciler.workspace import Resource

LIVE_STATUSES = ("active", "paused")  # anything else has started, ended or was cancelled
LIST_KINDS = ("Sender", "ContactGroup", "Message", "Campaign")
KEY_LABELS = {"Sender": "email address", "ContactGroup": "title",
              "Message": "subject and body", "Campaign": "name", "OptOutList": "entries"}


@dataclass
class EmailLive:
    senders: dict[str, dict] = field(default_factory=dict)
    optouts: dict[str, str] = field(default_factory=dict)  # email -> id
    groups: dict[str, dict] = field(default_factory=dict)
    messages: dict[str, dict] = field(default_factory=dict)
    campaigns: dict[str, dict] = field(default_factory=dict)
    read: bool = False

    def of(self, kind: str) -> dict[str, dict]:
        return {"Sender": self.senders, "ContactGroup": self.groups,
                "Message": self.messages, "Campaign": self.campaigns}[kind]


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {oid(i): i for i in items}


def _ref_id(value: Any) -> str | None:
    return value.get("$oid") if isinstance(value, dict) else None


# manifest field -> the plan field it fills, where the names differ: `ignore_changes` may
# name either (the catalog's plan_fields lists the plan's names)
PLAN_FIELD = {"ContactGroup": {"title": "tag"},
              "Message": {"subject": "description", "body": "email_message",
                          "body_file": "email_message"},
              "Campaign": {"contact_groups": "contact_group"}}


def _ignored(r: Resource) -> set[str]:
    names = set(r.lifecycle.ignore_changes)
    renames = PLAN_FIELD.get(r.kind, {})
    return names | {renames[n] for n in names if n in renames}


class EmailCampaignsProvider(Provider):
    vendor = "email-campaigns"

    def __init__(self, account, ctx):
        super().__init__(account, ctx)
        self.client = EmailCampaignsClient(self.base_url, account.credentials["token"],
                                           **self.http_options())
        self._ids: dict[tuple[str, str], str] = {}  # (kind, name) -> live id, found by diff
        self._work: dict[str, dict[str, Any]] = {}  # address -> what execute needs
        self._bound_at_plan: dict[str, str | None] = {}  # address -> remote id bound then
        self._matches: dict[tuple[str, str], Match] = {}  # the engine's, for this diff
        self._suppressed: dict[tuple, int] = {}  # (group, opt-out lists) -> opted-out contacts

    def clients(self):
        return [self.client.http]

    # read -------------------------------------------------------------------------------
    async def read(self, resources: list[Resource]) -> EmailLive:
        live = EmailLive()
        if not resources and not self.bindings:
            return live  # nothing managed here: no calls
        async def compactor():
            # The manifests' contact summaries: some CSVs may be checked while the listing
            # is in flight.
            await self.ctx.checks_done()
            expected = self._expected_contacts(resources)
            return lambda g: _compact_group(g, expected)

        senders, optouts, groups, messages, campaigns = await asyncio.gather(
            self.client.list_senders(), self.client.list_optouts(),
            self.client.list_groups_each(compactor),
            self.client.list_messages(), self.client.list_campaigns())
        live.senders, live.groups = _by_id(senders), _by_id(groups)
        live.messages, live.campaigns = _by_id(messages), _by_id(campaigns)
        live.optouts = {o["email"].lower(): oid(o) for o in optouts if o.get("email")}
        live.read = True
        return live

    def fingerprint(self, live: EmailLive) -> Any:
        def stamp(items: dict[str, dict]) -> list:
            return sorted([i, o.get("modified_on"), o.get("status"),
                           o["contact_summary"][0] if "contact_summary" in o else 0]
                          for i, o in items.items())
        return {k: stamp(live.of(k)) for k in LIST_KINDS} | {"optouts": sorted(live.optouts)}

    def _expected_contacts(self, resources: list[Resource]) -> dict[tuple[str, Any], Any]:
        """The desired contact summary of each group, by the live id it is bound to and by
        the tag an unbound one would be adopted by: a live group whose contacts match needs
        only its summary kept."""
        out: dict[tuple[str, Any], Any] = {}
        bound = {b.name: b.remote_id for b in self.bindings.of_kind("ContactGroup")}
        for r in resources:
            if r.kind != "ContactGroup" or "contacts" in r.lifecycle.ignore_changes:
                continue
            summary = r.scan().emails
            if r.name in bound:
                out[("id", bound[r.name])] = summary
            else:
                tag = ("tag", self._desired(r)["tag"])
                out[tag] = summary if tag not in out else ()  # two with one tag: keep all
        out[("bound", None)] = set(bound.values())
        return out

    # identity -----------------------------------------------------------------------------
    def _natural_key(self, kind: str, obj: dict) -> Any:
        if kind == "Sender":
            return (obj.get("email") or "").lower()
        if kind == "ContactGroup":
            return obj.get("tag")
        if kind == "Message":
            return (obj.get("description"), obj.get("email_message"))
        if obj.get("status") not in LIVE_STATUSES:
            return None  # a cancelled/finished campaign is never adopted
        return obj.get("name")

    def natural_key(self, r: Resource) -> Any:
        return self._natural_key(r.kind, self._desired(r)) if r.kind in LIST_KINDS else None

    def live_objects(self, live: EmailLive) -> list[LiveObject]:
        # A cancelled campaign is this API's form of deleted (campaigns have no DELETE).
        return [LiveObject(kind, i, self._natural_key(kind, obj),
                           retired=kind == "Campaign" and obj.get("status") == "cancelled")
                for kind in LIST_KINDS for i, obj in live.of(kind).items()]

    # desired ------------------------------------------------------------------------------
    def _desired(self, r: Resource) -> dict[str, Any]:
        s = r.spec
        if r.kind == "Sender":
            return {"description": s.description or r.name, "email": s.email}
        if r.kind == "ContactGroup":
            return {"tag": s.title or r.name}
        if r.kind == "Message":
            return {"description": s.subject, "email_message": s.body}
        return {"name": s.title or r.name, "status": s.state or "active"}

    def _live_fields(self, kind: str, obj: dict) -> dict[str, Any]:
        if kind == "Sender":
            return {"description": obj.get("description"), "email": (obj.get("email") or "").lower()}
        if kind == "ContactGroup":
            return {"tag": obj.get("tag")}
        if kind == "Message":
            return {"description": obj.get("description"), "email_message": obj.get("email_message")}
        return {"name": obj.get("name"), "status": obj.get("status")}

    # diff -----------------------------------------------------------------------------------
    def diff(self, resources: list[Resource], live: EmailLive,
             matches: dict[tuple[str, str], Match]) -> list[Action]:
        self._matches = matches
        actions: list[Action] = []
        optout_resources = [r for r in resources if r.kind == "OptOutList"]
        for r in resources:
            if r.kind == "OptOutList":
                continue
            actions += self._diff_one(r, live)
        actions += self._diff_optouts(optout_resources, live)
        present = {(r.kind, r.name) for r in resources}
        for b in self.bindings:
            if (b.kind, b.name) not in present:
                actions += self._diff_orphan(b, live)
        return actions

    def _diff_one(self, r: Resource, live: EmailLive) -> list[Action]:
        desired = self._desired(r)
        match = self._matches[(r.kind, r.name)]
        live_id, how = match.remote_id, match.how
        bound = self.bindings.get(r.kind, r.name)
        self._bound_at_plan[r.address] = bound.remote_id if bound else None
        work: dict[str, Any] = {"id": live_id, "adopt": how == "adopt",
                                "replaces": match.previous if how == "adopt" else None}
        work["reason"] = match.reason(KEY_LABELS[r.kind])
        self._work[r.address] = work
        if live_id is not None:
            self._ids[(r.kind, r.name)] = live_id
        if r.kind == "Campaign":
            return self._diff_campaign(r, live, live_id, how, work)
        if live_id is None:
            reason = work["reason"]
            sets = []
            if r.kind == "ContactGroup":
                # Counted from the validation pass; the rows are read again only to upload.
                count = r.scan().emails[0]
                work["contacts"] = bool(count)
                sets = [SetChange("contacts", add=count, total_after=count)]
            return [self.action("create", r, reason=reason, sets=sets,
                                changes=[FieldChange(k, None, v) for k, v in desired.items()])]
        obj = live.of(r.kind)[live_id]
        changes = field_changes(self._live_fields(r.kind, obj), desired, ignore=_ignored(r))
        sets = []
        if r.kind == "ContactGroup" and "contacts" not in r.lifecycle.ignore_changes:
            sets = self._diff_contacts(r, obj, work)
        work["changes"] = [c.field for c in changes]
        if changes or sets:
            return [self.action("update", r, reason="differs from the manifest",
                                changes=changes, sets=sets, data={"adopt": work["adopt"]})]
        if work["adopt"]:
            return [self.action("adopt", r, reason=work["reason"])]
        return []

    # contacts ------------------------------------------------------------------------------
    def _desired_contacts(self, r: Resource) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in r.iter_contacts():
            if c.email and c.email not in out:
                out[c.email] = c.name
        return out

    def _diff_contacts(self, r: Resource, obj: dict, work: dict) -> list[SetChange]:
        if obj.get("contact_summary") == r.scan().emails:
            return []  # the same email->name set (the summaries are of the same entries)
        desired = self._desired_contacts(r)
        current = obj.get("contact_names")
        if current is None:
            # Only the summary was kept (it matched another group's manifest): upload all.
            work.update(strategy="replace", contacts=desired)
            return [SetChange("contacts", total_after=len(desired), note="bulk replace")]
        d = keyed_diff(current, desired)
        if d.empty:
            return []
        # Bulk update + bulk delete move the changed rows; replace moves every row.
        delta_rows = len(d.add) + len(d.update) + len(d.remove)
        strategy = "replace" if len(desired) < delta_rows else "delta"
        work.update(strategy=strategy, contacts=desired,
                    upsert={**d.add, **d.update}, remove=list(d.remove))
        note = "bulk replace" if strategy == "replace" else "bulk update + bulk delete"
        return [SetChange("contacts", add=len(d.add), remove=len(d.remove), update=len(d.update),
                          total_after=len(desired), note=note)]

    # opt-outs -----------------------------------------------------------------------------
    def _diff_optouts(self, resources: list[Resource], live: EmailLive) -> list[Action]:
        actions = []
        listed: set[str] = set()
        for r in resources:
            listed.update(r.iter_addresses())
        for r in resources:
            wanted = {a for a in r.iter_addresses() if "@" in a}
            add = sorted(wanted - set(live.optouts))
            remove = sorted(a for a in r.spec.opt_in if a in live.optouts and a not in wanted)
            # What stays: live opt-outs the manifests do not list, less those opted in now.
            kept = len(set(live.optouts) - listed - set(remove))
            self._work[r.address] = {"add": add, "remove": remove}
            if not add and not remove:
                continue
            sets = [SetChange("opt-outs", add=len(add), remove=len(remove), kept_live=kept,
                              total_after=len(set(live.optouts) | set(add)) - len(remove),
                              irreversible=bool(remove),
                              note=(f"{plural(kept, 'opt-out')} recorded live "
                                    f"{word(kept, 'is', 'are')} not in the manifest and "
                                    f"{word(kept, 'stays', 'stay')}") if kept else "")]
            actions.append(self.action(
                "update", r, reason="opt-outs to record" + (" and explicit opt-ins" if remove else ""),
                sets=sets, irreversible=bool(remove)))
        return actions

    # campaigns -----------------------------------------------------------------------------
    def _campaign_refs(self, r: Resource) -> dict[str, tuple[str, str | None]]:
        s = r.spec
        refs = {"sender": ("Sender", s.sender), "message": ("Message", s.message),
                "contact_group": ("ContactGroup", s.contact_groups[0] if s.contact_groups else None)}
        return {k: (kind, name) for k, (kind, name) in refs.items()}

    def _ref_live_id(self, kind: str, name: str | None) -> str | None:
        if name is None:
            return None
        if (kind, name) in self._ids:
            return self._ids[(kind, name)]
        b = self.bindings.get(kind, name)
        return b.remote_id if b else None

    def _name_of(self, kind: str, live_id: str | None) -> str:
        for (k, n), i in self._ids.items():
            if k == kind and i == live_id:
                return n
        owner = self.bindings.owner(kind, live_id)  # also an id it was bound to before
        if owner is not None:
            return owner
        return f"id {live_id}" if live_id else "none"

    def _diff_campaign(self, r: Resource, live: EmailLive, live_id: str | None, how: str,
                       work: dict) -> list[Action]:
        s = r.spec
        when = s.send_time()
        start = to_api(when, s.timezone)
        work["start"] = start
        now = self.ctx.options.now
        if live_id is None:
            if when <= now:
                return [self.action("refuse", r, reason=f"send time {when.isoformat()} has "
                                    "already passed; set a future send_at")]
            reason = work["reason"]
            refs = self._campaign_refs(r)
            return [self.action(
                "create", r, reason=reason, irreversible=False,
                changes=[FieldChange("name", None, s.title or r.name),
                         *[FieldChange(k, None, f"{kind}/{name}") for k, (kind, name) in refs.items()],
                         FieldChange("start", None, f"{start} {s.timezone}"),
                         FieldChange("status", None, s.state or "active")],
                send=self._audience(r, live),
                content=send_content(self.ctx.workspace, r, "email"),
                depends_on=[f"{kind}/{name}" for kind, name in refs.values() if name])]
        obj = live.campaigns[live_id]
        live_start = from_api(obj.get("start_date", ""), obj.get("timezone", ""))
        started = obj.get("status") not in LIVE_STATUSES or live_start <= now
        ignore = _ignored(r)
        changes: list[FieldChange] = []
        name = s.title or r.name
        if obj.get("name") != name and "title" not in ignore:
            changes.append(FieldChange("name", obj.get("name"), name, True))
        for key, (kind, ref_name) in self._campaign_refs(r).items():
            have = _ref_id(obj.get(f"{key}_id"))
            want = self._ref_live_id(kind, ref_name)
            # An id the manifest was bound to before a re-adoption is the same reference.
            if have != want and self._name_of(kind, have) != ref_name and key not in ignore:
                changes.append(FieldChange(key, f"{kind}/{self._name_of(kind, have)}",
                                           f"{kind}/{ref_name}", True))
        if live_start != when or obj.get("timezone", "") != IANA_TO_API[s.timezone]:
            if "send_at" not in ignore and "timezone" not in ignore:
                changes.append(FieldChange(
                    "start", f"{live_start:%Y-%m-%d %H:%M} {obj.get('timezone')}",
                    f"{start} {IANA_TO_API[s.timezone]}", True))
        status = s.state or "active"
        # `active` asks for the send; a campaign the vendor has sent ("completed" and the
        # like) has done it, so that is no change (else every later plan would refuse).
        sent = obj.get("status") not in (*LIVE_STATUSES, "cancelled")
        if obj.get("status") != status and "state" not in ignore and not (
                status == "active" and sent):
            changes.append(FieldChange("status", obj.get("status"), status))
        if not changes:
            if work["adopt"]:
                return [self.action("adopt", r, reason=work["reason"])]
            return []
        if started:
            why = (f"campaign is {obj.get('status')}" if obj.get("status") not in LIVE_STATUSES
                   else f"campaign started at {live_start.isoformat()}")
            return [self.action("refuse", r, reason=f"{why}: a launched campaign is frozen; "
                                "make a new campaign instead", changes=changes)]
        if any(c.forces_replace for c in changes):
            if when <= now:
                return [self.action("refuse", r, changes=changes,
                                    reason="replacing needs a future send_at")]
            forced = ", ".join(c.field for c in changes if c.forces_replace)
            return [self.action("replace", r, changes=changes, send=self._audience(r, live),
                                content=send_content(self.ctx.workspace, r, "email"),
                                irreversible=True,
                                reason=f"{forced} cannot be changed in place (cancel + create; "
                                       "the cancel is final)")]
        return [self.action("update", r, changes=changes, reason="status differs",
                            path=[obj.get("status"), status])]

    def _audience(self, r: Resource, live: EmailLive) -> SendSummary:
        """Who the campaign will reach: its group minus every opt-out the vendor will apply
        (live and in the manifests), at its send time in the recipients' zone."""
        ws = self.ctx.workspace
        group = ws.get("ContactGroup", r.spec.contact_groups[0])
        optouts = set(live.optouts)
        for name in r.spec.opt_out_lists:
            lst = ws.get("OptOutList", name)
            if lst is not None and lst.provider == self.account.name:
                optouts.update(lst.iter_addresses())
        # The account's opt-outs are one list at the vendor: an opt-in in any of this
        # account's OptOutLists removes it (unless a list still names it).
        listed = {a for o in ws.for_account(self.account.name) if o.kind == "OptOutList"
                  for a in o.iter_addresses()}
        optouts -= {a for o in ws.for_account(self.account.name) if o.kind == "OptOutList"
                    for a in o.spec.opt_in if a not in listed}
        total = group.scan().emails[0] if group else 0
        suppressed = 0
        if optouts and group is not None:
            # The rows are read again only to intersect, once per group and opt-out lists.
            key = (group.name, tuple(r.spec.opt_out_lists))
            if key not in self._suppressed:
                self._suppressed[key] = sum(1 for e in self._desired_contacts(group)
                                            if e in optouts)
            suppressed = self._suppressed[key]
        if self.ctx.options.show_contacts and group is not None:
            self.recipients_of[r.address] = [e for e in self._desired_contacts(group)
                                             if e not in optouts]
        when = r.spec.send_time().astimezone(ZoneInfo(r.spec.timezone))
        return SendSummary(recipients=total - suppressed, batches=1,
                           send_at=when.isoformat(), timezone=r.spec.timezone,
                           suppressed=suppressed, estimated_messages=total - suppressed)

    def _diff_orphan(self, b: Binding, live: EmailLive) -> list[Action]:
        if b.kind == "Campaign":
            obj = live.campaigns.get(b.remote_id)
            if obj is None or obj.get("status") == "cancelled":
                self._work[f"Campaign/{b.name}"] = {"id": b.remote_id, "forget": True}
                return [self.action("delete", "Campaign", b.name,
                                    reason="no longer in the manifests (already cancelled or gone; "
                                           "forgetting it)", data={"forget": True})]
            if obj.get("status") not in LIVE_STATUSES:
                return [self.action("refuse", "Campaign", b.name,
                                    reason=f"removed from the manifests but it is "
                                           f"{obj.get('status')}: a launched campaign is frozen")]
            self._work[f"Campaign/{b.name}"] = {"id": b.remote_id}
            scheduled = obj.get("status") == "active"
            return [self.action("delete", "Campaign", b.name, irreversible=True,
                                cancels_send=scheduled,
                                reason="no longer in the manifests; campaigns cannot be deleted, "
                                       "so it is cancelled, for good"
                                       + (" (it is scheduled to send)" if scheduled else ""))]
        gone = b.remote_id not in live.of(b.kind)
        self._work[f"{b.kind}/{b.name}"] = {"id": b.remote_id, "forget": gone}
        return [self.action("delete", b.kind, b.name,
                            reason="no longer in the manifests" + (" (already gone)" if gone else ""),
                            data={"forget": gone})]

    # status ----------------------------------------------------------------------------------
    async def campaign_status(self, campaigns: list[Resource], details: bool = False,
                              show_contacts: bool = False) -> list[CampaignStatus]:
        """The campaign's status and its results (`GET /email/result/filter/` over the
        campaign's window: the day before its start to the day after its last change or
        today), counted by disposition as the API gives them."""
        if not campaigns:
            return []
        listed, optouts = await asyncio.gather(self.client.list_campaigns(),
                                               self.client.list_optouts())
        live = EmailLive(campaigns=_by_id(listed),
                         optouts={o["email"].lower(): oid(o) for o in optouts if o.get("email")})
        return list(await asyncio.gather(*(self._status(r, live, details, show_contacts)
                                           for r in campaigns)))

    async def _status(self, r: Resource, live: EmailLive, details: bool,
                      show_contacts: bool) -> CampaignStatus:
        b = self.bindings.get(r.kind, r.name)
        obj = live.campaigns.get(b.remote_id) if b else None
        planned = self._audience(r, live).recipients
        out = CampaignStatus(self.account.name, self.vendor, r.name, "not created",
                             planned=planned, remote_id=b.remote_id if b else None)
        if r.spec.send_time():
            out.send_at = r.spec.send_time().isoformat()
        if obj is None:
            out.state = "gone (deleted outside campaignctl)" if b else "not created"
            return out
        start = from_api(obj.get("start_date", ""), obj.get("timezone", ""))
        out.state, out.send_at = obj.get("status") or "?", start.isoformat()
        first = start.astimezone(UTC).date() - timedelta(days=1)
        changed = obj.get("modified_on") or ""
        last = max(datetime.now(UTC).date(), _day_of(changed) or first,
                   start.astimezone(UTC).date()) + timedelta(days=1)
        rows = await self.client.results(first, last, b.remote_id)
        counts = Counter(str(row.get("disposition") or "unknown") for row in rows)
        out.results = dict(sorted(counts.items()))
        out.sent = len(rows) - counts.get("opted_out", 0)
        out.rejected = sum(counts.get(k, 0) for k in REJECTED_DISPOSITIONS)
        out.unknown = 0
        if details:
            out.details = [{"window": f"{first} .. {last}", "results": len(rows),
                            **{f"disposition {k}": v for k, v in out.results.items()}}]
        if show_contacts:
            out.contacts = [{"address": row.get("email_to"), "outcome": row.get("disposition"),
                             "at": row.get("start_date")} for row in rows]
        return out

    # import ----------------------------------------------------------------------------------
    async def import_resources(self, ids: list[str]) -> list[ImportedResource]:
        """Every live object (or those with the given ids), dependencies before users."""
        senders, optouts, groups, messages, campaigns = await asyncio.gather(
            self.client.list_senders(), self.client.list_optouts(), self.client.list_groups(),
            self.client.list_messages(), self.client.list_campaigns())
        found: list[ImportedResource | None] = [
            *map(importing.sender, senders), importing.optouts(optouts, self.account.name),
            *map(importing.group, groups), *map(importing.message, messages),
            *map(importing.campaign, campaigns)]
        items = [i for i in found if i is not None]
        objects = {oid(o): (kind, o) for kind, listed in (
            ("Sender", senders), ("ContactGroup", groups), ("Message", messages),
            ("Campaign", campaigns)) for o in listed}
        # The manifests the next plan adopts these for: the engine's rule, as plan applies it.
        live = EmailLive(senders=_by_id(senders), groups=_by_id(groups),
                         messages=_by_id(messages), campaigns=_by_id(campaigns))
        manifests = [r for r in self.ctx.workspace.for_account(self.account.name)
                     if r.kind in LIST_KINDS]
        matches = resolve([(r.kind, r.name, self.natural_key(r)) for r in manifests],
                          self.live_objects(live), self.bindings)
        adopting = {(kind, m.remote_id): f"{kind}/{name}"
                    for (kind, name), m in matches.items() if m.how == "adopt"}
        for item in items:
            kind, _ = objects.get(item.remote_id, (None, None))
            item.held_by = adopting.get((kind, item.remote_id))
        if ids:
            known = {i.remote_id for i in items}
            missing = [i for i in ids if i not in known]
            if missing:
                raise CampaignctlError(f"{self.vendor}: no live object with id "
                                       f"{', '.join(missing)} on account {self.account.name!r}")
            items = [i for i in items if i.remote_id in ids]
        return items

    # execute ---------------------------------------------------------------------------------
    async def execute(self, action: Action, live: EmailLive) -> None:
        r = self.ctx.workspace.get(action.kind, action.name)
        work = self._work.get(action.address, {})
        handler = getattr(self, f"_exec_{action.op}")
        await handler(action, r, work, live)

    def _bind(self, r: Resource, live_id: str) -> None:
        """Bind a created or adopted object; a binding written since the plan is kept."""
        work = self._work.get(r.address, {})
        self.bindings.bind(r.kind, r.name, live_id, self._bound_at_plan.get(r.address),
                           replaces=work.get("replaces") if live_id == work.get("id") else None)
        self._ids[(r.kind, r.name)] = live_id

    def _upload(self, r: Resource, rows: int, unit: str = "contacts", verb: str = "upload"):
        """A progress task for one bulk CSV upload of `rows` rows."""
        return self.ctx.reporter.task(f"{verb} {r.address}", total=rows, unit=unit)

    async def _exec_adopt(self, action, r, work, live) -> None:
        self._bind(r, work["id"])

    async def _exec_create(self, action, r, work, live) -> None:
        desired = self._desired(r)
        self.bindings.check_unbound(r.kind, r.name, self._bound_at_plan.get(r.address))
        try:
            if r.kind == "Sender":
                obj = await self.client.create_sender(desired["description"], desired["email"])
            elif r.kind == "ContactGroup":
                obj = await self.client.create_group(desired["tag"])
            elif r.kind == "Message":
                obj = await self.client.create_message(desired["description"],
                                                       desired["email_message"])
            else:
                obj = await self._create_campaign(r, work)
        except OutcomeUnknown as exc:
            obj = await self._read_back(r, desired, exc)
        try:
            self._bind(r, oid(obj))
        except BindingConflict as exc:
            if r.kind != "Campaign":
                raise
            # A second live copy would send to everyone again: it is ours and unbound.
            await self.client.set_status(oid(obj), "cancelled")
            raise BindingConflict(f"{exc} It was a second copy of a live campaign, so "
                                  f"campaignctl cancelled {oid(obj)}: nobody gets it "
                                  "twice.") from None
        if r.kind == "ContactGroup" and work.get("contacts"):
            rows = _rows(self._desired_contacts(r))
            with self._upload(r, len(rows)) as progress:
                await self.client.bulk_replace_contacts(oid(obj), rows, progress)
        if r.kind == "Campaign" and desired["status"] != "active":
            await self.client.set_status(oid(obj), desired["status"])

    async def _read_back(self, r: Resource, desired: dict, exc: OutcomeUnknown) -> dict:
        """A create whose response was lost: look before doing anything else."""
        lists = {"Sender": self.client.list_senders, "ContactGroup": self.client.list_groups,
                 "Message": self.client.list_messages, "Campaign": self.client.list_campaigns}
        bound = self.bindings.ids()
        want = self._natural_key(r.kind, desired | ({"status": "active"} if r.kind == "Campaign" else {}))
        for obj in await lists[r.kind]():
            if oid(obj) not in bound and self._natural_key(r.kind, obj) == want:
                return obj
        raise CampaignctlError(f"{exc}; reading back found no {r.address}, so it was not "
                               "created. Run plan again.") from None

    async def _create_campaign(self, r: Resource, work: dict) -> dict:
        s = r.spec
        ids = {k: self._ref_live_id(kind, name) for k, (kind, name) in self._campaign_refs(r).items()}
        missing = [k for k, v in ids.items() if not v]
        if missing:
            raise CampaignctlError(f"{r.address}: {', '.join(missing)} not created yet")
        attributes = {
            "message": {"source": "reuse", "_id": ref(ids["message"])},
            "contact_group": {"type": "reuse", "_id": ref(ids["contact_group"])},
            "schedule": {"name": s.title or r.name, "start_date": work["start"],
                         "timezone": IANA_TO_API[s.timezone], "sender_id": ref(ids["sender"])},
        }
        return await self.client.create_campaign(attributes)

    async def _exec_update(self, action, r, work, live) -> None:
        if work.get("adopt"):
            self._bind(r, work["id"])
        if r.kind == "OptOutList":
            if work["add"]:
                with self._upload(r, len(work["add"]), "opt-outs") as progress:
                    await self.client.bulk_add_optouts(work["add"], progress)
            if work["remove"]:
                with self._upload(r, len(work["remove"]), "opt-outs", "remove") as progress:
                    await self.client.bulk_delete_optouts(work["remove"], progress)
            return
        changed = {c.field for c in action.changes}
        desired = self._desired(r)
        if r.kind == "Sender":
            await self.client.update_sender(work["id"], desired["description"], desired["email"])
        elif r.kind == "Message":
            await self.client.update_message(work["id"], desired["description"],
                                             desired["email_message"])
        elif r.kind == "Campaign":
            await self.client.set_status(work["id"], desired["status"])
        elif r.kind == "ContactGroup":
            if "tag" in changed:
                await self.client.update_group_tag(work["id"], desired["tag"])
            if work.get("strategy") == "replace":
                with self._upload(r, len(work["contacts"])) as progress:
                    await self.client.bulk_replace_contacts(work["id"], _rows(work["contacts"]),
                                                            progress)
            elif work.get("strategy") == "delta":
                if work["upsert"]:
                    with self._upload(r, len(work["upsert"])) as progress:
                        await self.client.bulk_update_contacts(work["id"], _rows(work["upsert"]),
                                                               progress)
                if work["remove"]:
                    with self._upload(r, len(work["remove"]), verb="delete") as progress:
                        await self.client.bulk_delete_contacts(work["id"], work["remove"],
                                                               progress)

    async def _exec_replace(self, action, r, work, live) -> None:
        self.bindings.check_unbound(r.kind, r.name, work["id"])
        await self.client.set_status(work["id"], "cancelled")
        self.bindings.unbind(r.kind, r.name)
        self._bound_at_plan[r.address] = None
        await self._exec_create(action, r, work, live)

    async def _exec_delete(self, action, r, work, live) -> None:
        live_id = work["id"]
        if not work.get("forget"):
            try:
                if action.kind == "Campaign":
                    await self.client.set_status(live_id, "cancelled")
                elif action.kind == "Sender":
                    await self.client.delete_sender(live_id)
                elif action.kind == "ContactGroup":
                    await self.client.delete_group(live_id)
                elif action.kind == "Message":
                    await self.client.delete_message(live_id)
            except ApiError as exc:
                if exc.status != 404:
                    raise
        self.bindings.unbind(action.kind, action.name)


REJECTED_DISPOSITIONS = ("bounced", "rejected", "failed", "invalid", "dropped")


def _day_of(stamp: str) -> date | None:
    try:
        return datetime.fromisoformat(stamp).date()
    except ValueError:
        return None


def _compact_group(group: dict, expected: dict[tuple[str, Any], Any]) -> dict:
    """A live group without its contact list: their summary, and the email->name map only
    when it differs from what the manifests want (the diff then needs every entry)."""
    contacts = group.get("contacts") or []
    try:
        # The usual shape in one comprehension; walked backwards so that the first entry
        # of an email is the one kept, as the vendor keeps it.
        names = {c["email"].lower(): c.get("name") or "" for c in reversed(contacts)}
        names.pop("", None)
    except (KeyError, TypeError, AttributeError):
        names = _group_names(contacts)
    out = {k: v for k, v in group.items() if k != "contacts"}
    out["contact_summary"] = summary = summarize(names)
    try:
        gid = oid(group)
    except ValueError:
        gid = None
    want = expected.get(("id", gid))
    if want is None and gid not in expected[("bound", None)]:
        want = expected.get(("tag", group.get("tag")))
    # The diff walks the differing map in the vendor's order.
    out["contact_names"] = None if want == summary else _group_names(contacts)
    return out


def _group_names(contacts: list) -> dict[str, str]:
    """A live group's email->name map in the vendor's order (first entry of an email kept),
    whatever shape its entries have."""
    names: dict[str, str] = {}
    for c in contacts:
        email = c.get("email") if isinstance(c, dict) else None
        if email:
            names.setdefault(email.lower(), c.get("name") or "")
    return names


def _rows(contacts: dict[str, str]) -> list[dict[str, str]]:
    return [{"email": e, "name": n} for e, n in contacts.items()]


PROVIDER = EmailCampaignsProvider
