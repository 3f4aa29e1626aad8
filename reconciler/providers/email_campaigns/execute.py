"""email-campaigns: apply one action (creates, adopts, updates, replaces, deletes); each
create or adopt is bound through the engine's bindings as soon as the vendor answers."""

from __future__ import annotations

from reconciler.engine.actions import Action
from reconciler.errors import ApiError, CampaignctlError, OutcomeUnknown
from reconciler.providers.base import BindingConflict
from reconciler.providers.email_campaigns.client import oid, ref
from reconciler.providers.email_campaigns.live import (
    EmailLive,
    contact_rows,
)
from reconciler.providers.email_campaigns.timezones import IANA_TO_API
from reconciler.workspace import Resource


class EmailExecute:
    """The execute half of EmailCampaignsProvider."""

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
            rows = contact_rows(self._desired_contacts(r))
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
        changed = {(c.vendor or {}).get("field", c.field) for c in action.changes}
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
                    await self.client.bulk_replace_contacts(work["id"], contact_rows(work["contacts"]),
                                                            progress)
            elif work.get("strategy") == "delta":
                if work["upsert"]:
                    with self._upload(r, len(work["upsert"])) as progress:
                        await self.client.bulk_update_contacts(work["id"], contact_rows(work["upsert"]),
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


