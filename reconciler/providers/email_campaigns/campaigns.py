"""email-campaigns: the diff of a Campaign (refs, schedule, status; launched is frozen),
who it reaches, and what a binding left without a manifest becomes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reconciler.engine.actions import Action, FieldChange, SendSummary
from reconciler.engine.content import send_content
from reconciler.engine.fields import send_time_text
from reconciler.engine.proofs import NO_PROOF
from reconciler.providers.email_campaigns.live import (
    FIELDS,
    LIVE_STATUSES,
    EmailLive,
    ignored_fields,
    ref_id,
)
from reconciler.providers.email_campaigns.timezones import (
    API_TO_IANA,
    IANA_TO_API,
    from_api,
    to_api,
)
from reconciler.state.store import Binding
from reconciler.workspace import Resource


class CampaignDiff:
    """The campaign half of EmailCampaignsProvider's diff."""

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
            named = FIELDS["Campaign"]
            api_zone = IANA_TO_API[s.timezone]
            proof = self.proof_note(r)
            if r.lifecycle.require_proof and not proof:
                return [self.action("refuse", r, reason=NO_PROOF.format(name=r.name),
                                    data={"proof_required": True})]
            return [self.action(
                "create", r, reason=reason, irreversible=False,
                changes=[named.change("name", None, s.title or r.name, r),
                         *[named.change(f"{k}_id", None, f"{kind}/{name}", r)
                           for k, (kind, name) in refs.items()],
                         named.change("start_date", None, send_time_text(when, s.timezone), r,
                                      raw=(None, f"{start} {api_zone}")),
                         named.change("status", None, s.state or "active", r)],
                send=self._audience(r, live),
                content=send_content(self.ctx.workspace, r, "email"),
                data={**({"proof": proof} if proof else {}),
                      **({"proof_required": True} if r.lifecycle.require_proof else {})},
                depends_on=[f"{kind}/{name}" for kind, name in refs.values() if name])]
        obj = live.campaigns[live_id]
        live_start = from_api(obj.get("start_date", ""), obj.get("timezone", ""))
        started = obj.get("status") not in LIVE_STATUSES or live_start <= now
        ignore = ignored_fields(r)
        named = FIELDS["Campaign"]
        changes: list[FieldChange] = []
        name = s.title or r.name
        if obj.get("name") != name and "name" not in ignore:
            changes.append(named.change("name", obj.get("name"), name, r, True))
        for key, (kind, ref_name) in self._campaign_refs(r).items():
            have = ref_id(obj.get(f"{key}_id"))
            want = self._ref_live_id(kind, ref_name)
            # An id the manifest was bound to before a re-adoption is the same reference.
            if have != want and self._name_of(kind, have) != ref_name \
                    and f"{key}_id" not in ignore:
                changes.append(named.change(
                    f"{key}_id", f"{kind}/{self._name_of(kind, have)}", f"{kind}/{ref_name}",
                    r, True, raw=(have, want)))
        if live_start != when or obj.get("timezone", "") != IANA_TO_API[s.timezone]:
            if "start_date" not in ignore:
                live_zone = API_TO_IANA.get(obj.get("timezone", ""), obj.get("timezone"))
                changes.append(named.change(
                    "start_date", send_time_text(live_start, live_zone),
                    send_time_text(when, s.timezone), r, True,
                    raw=(f"{live_start:%Y-%m-%d %H:%M} {obj.get('timezone')}",
                         f"{start} {IANA_TO_API[s.timezone]}")))
        status = s.state or "active"
        # `active` asks for the send; a campaign the vendor has sent ("completed" and the
        # like) has done it, so that is no change (else every later plan would refuse).
        sent = obj.get("status") not in (*LIVE_STATUSES, "cancelled")
        if obj.get("status") != status and "status" not in ignore and not (
                status == "active" and sent):
            changes.append(named.change("status", obj.get("status"), status, r))
        if not changes:
            if work["adopt"] or work["rename"]:
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
        return [self.action("update", r, changes=changes, reason="state differs",
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

