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
from typing import Any

from reconciler.engine.actions import Action, SetChange
from reconciler.engine.diff import keyed_diff
from reconciler.engine.identity import LiveObject, Match, resolve
from reconciler.errors import CampaignctlError
from reconciler.providers.base import ImportedResource, Provider
from reconciler.providers.email_campaigns import importing
from reconciler.providers.email_campaigns.campaigns import CampaignDiff
from reconciler.providers.email_campaigns.client import Early, EmailCampaignsClient, oid
from reconciler.providers.email_campaigns.execute import EmailExecute
from reconciler.providers.email_campaigns.halt import EmailHalt
from reconciler.providers.email_campaigns.live import (
    FIELDS,
    KEY_LABELS,
    LIST_KINDS,
    LIVE_STATUSES,
    EmailLive,
    ExpectedContacts,
    by_id,
    compact_group,
    ignored_fields,
    settle_group,
    summarize_group,
)
from reconciler.providers.email_campaigns.proof import EmailProof
from reconciler.providers.email_campaigns.status import EmailStatus
from reconciler.words import plural, word
from reconciler.workspace import Resource


def _stamp(remote_id: str, obj: dict) -> list:
    """What tells one live object's revision: id, modified_on, status, contact count."""
    return [remote_id, obj.get("modified_on"), obj.get("status"),
            obj["contact_summary"][0] if "contact_summary" in obj else 0]


class EmailCampaignsProvider(CampaignDiff, EmailExecute, EmailStatus, EmailHalt, EmailProof,
                             Provider):
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
        async def expected() -> ExpectedContacts:
            # The manifests' contact summaries: some CSVs may be checked while the listing
            # is in flight (the groups that arrive meanwhile are summarised at once).
            await self.ctx.checks_done()
            return self._expected_contacts(resources)

        senders, optouts, groups, messages, campaigns = await asyncio.gather(
            self.client.list_senders(), self.client.list_optouts(),
            self.client.list_groups_each(expected, compact_group,
                                         Early(summarize_group, settle_group)),
            self.client.list_messages(), self.client.list_campaigns())
        live.senders, live.groups = by_id(senders), by_id(groups)
        live.messages, live.campaigns = by_id(messages), by_id(campaigns)
        live.optouts = {o["email"].lower(): oid(o) for o in optouts if o.get("email")}
        live.read = True
        return live

    def evidence(self, live: EmailLive) -> str | None:
        """Campaigns the account holds (launched or not): a state that knows none of them
        may have lost the history that made them."""
        if not live.campaigns:
            return None
        launched = sum(1 for c in live.campaigns.values()
                       if c.get("status") not in (*LIVE_STATUSES, "cancelled"))
        return (f"{plural(len(live.campaigns), 'campaign')} live at the vendor "
                f"({launched} sending or sent)")

    def fingerprint(self, live: EmailLive) -> Any:
        def stamp(items: dict[str, dict]) -> list:
            return sorted(_stamp(i, o) for i, o in items.items())
        return {k: stamp(live.of(k)) for k in LIST_KINDS} | {"optouts": sorted(live.optouts)}

    def live_item(self, live: EmailLive, kind: str, name: str) -> Any:
        # The bound object only: the account's opt-outs grow every day (additive, counted).
        bound = self.bindings.get(kind, name) if kind in LIST_KINDS else None
        obj = live.of(kind).get(bound.remote_id) if bound else None
        return _stamp(bound.remote_id, obj) if obj is not None else None

    def _expected_contacts(self, resources: list[Resource]) -> ExpectedContacts:
        """The desired contact summary of each group, by the live id it is bound to and by
        the tag an unbound one would be adopted by: a live group whose contacts match needs
        only its summary kept."""
        summaries: dict[tuple[str, Any], tuple[int, int] | None] = {}
        bound = {b.name: b.remote_id for b in self.bindings.of_kind("ContactGroup")}
        for r in resources:
            if r.kind != "ContactGroup" or "contacts" in r.lifecycle.ignore_changes:
                continue
            summary = r.scan().emails
            if r.name in bound:
                summaries[("id", bound[r.name])] = summary
            else:
                tag = ("tag", self._desired(r)["tag"])
                # Two with one tag: None, which no summary equals (every entry kept).
                summaries[tag] = summary if tag not in summaries else None
        return ExpectedContacts(summaries, frozenset(bound.values()))

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
        # A sent campaign is never adopted unbound, but a renamed manifest finds it.
        return [LiveObject(kind, i, obj.get("name") if kind == "Campaign"
                           else self._natural_key(kind, obj),
                           retired=kind == "Campaign" and obj.get("status") == "cancelled",
                           adoptable=self._natural_key(kind, obj) is not None)
                for kind in LIST_KINDS for i, obj in live.of(kind).items()]

    # desired ------------------------------------------------------------------------------
    def _desired(self, r: Resource) -> dict[str, Any]:
        if r.kind == "Campaign":
            return FIELDS["Campaign"].desired(r)  # name and status; campaigns.py the rest
        return FIELDS[r.kind].desired(r)

    def _live_fields(self, kind: str, obj: dict) -> dict[str, Any]:
        out = {f.vendor: obj.get(f.vendor) for f in FIELDS[kind] if f.value is not None}
        if kind == "Sender":
            out["email"] = (obj.get("email") or "").lower()
        return out

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
        renamed = {(kind, m.previous) for (kind, _), m in matches.items() if m.how == "rename"}
        for b in self.bindings:
            if (b.kind, b.name) not in present and (b.kind, b.name) not in renamed:
                actions += self._diff_orphan(b, live)
        return actions

    def _diff_one(self, r: Resource, live: EmailLive) -> list[Action]:
        desired = self._desired(r)
        match = self._matches[(r.kind, r.name)]
        live_id, how = match.remote_id, match.how
        bound = self.bindings.get(r.kind, r.name)
        self._bound_at_plan[r.address] = bound.remote_id if bound else None
        work: dict[str, Any] = {"id": live_id, "adopt": how == "adopt",
                                "replaces": match.previous if how == "adopt" else None,
                                "rename": match.previous if how == "rename" else None}
        work["reason"] = match.reason(KEY_LABELS[r.kind], r.kind, r.name)
        actions = self._diff_matched(r, live, live_id, how, work, desired)
        if work["rename"]:
            for a in actions:  # the engine moves the state first (engine/executor.py)
                a.data["moved_from"] = work["rename"]
        return actions

    def _diff_matched(self, r: Resource, live: EmailLive, live_id: str | None, how: str,
                      work: dict[str, Any], desired: dict[str, Any]) -> list[Action]:
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
                                changes=FIELDS[r.kind].created(desired, r))]
        obj = live.of(r.kind)[live_id]
        changes = FIELDS[r.kind].changes(self._live_fields(r.kind, obj), desired, r,
                                         ignore=ignored_fields(r))
        sets = []
        if r.kind == "ContactGroup" and "contacts" not in r.lifecycle.ignore_changes:
            sets = self._diff_contacts(r, obj, work)
        work["changes"] = [c.vendor["field"] for c in changes]
        if changes or sets:
            return [self.action("update", r, reason="differs from the manifest",
                                changes=changes, sets=sets, data={"adopt": work["adopt"]})]
        if work["adopt"] or work["rename"]:
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
        live = EmailLive(senders=by_id(senders), groups=by_id(groups),
                         messages=by_id(messages), campaigns=by_id(campaigns))
        manifests = [r for r in self.ctx.workspace.for_account(self.account.name)
                     if r.kind in LIST_KINDS]
        matches = resolve([(r.kind, r.name, self.natural_key(r)) for r in manifests],
                          self.live_objects(live), self.bindings)
        adopting = {(kind, m.remote_id): f"{kind}/{name}"
                    for (kind, name), m in matches.items() if m.how in ("adopt", "rename")}
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


