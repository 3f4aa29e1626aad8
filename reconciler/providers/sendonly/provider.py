"""What Octopush and Connectly share: APIs that can send but cannot be read.

The live state is our own send ledger (reconciler/state/ledger.py). For each Campaign:

  audience (groups, deduplicated, minus opt-outs)  -  recipients the ledger holds
  (sent, in flight, or unknown)                     =  the recipients to send now.

- content (identity) changed after anyone may have received it -> refuse (immutable);
- unknown / interrupted batches -> a `warn` with the count and time, never resent unless
  `apply --resend-unknown`;
- a send time already past -> refuse, unless the manifest says `send_at: now`;
- recipients removed from the audience after they were sent -> reported: already sent,
  cannot be recalled.

Sender, Message and ContactGroup on these accounts are local: no actions. An OptOutList's
opt-outs are remembered in the state store (reconciler/state/optouts.py): the vendor keeps
none for us, so an address that drops out of a manifest or CSV stays suppressed; an
`~ update` records new ones, and only an explicit `opt_in:` forgets one (irreversible).

A vendor module fills: `channel(r)`, `content(r)` (what identifies the content sent),
`batch_size(r)`, `estimate(...)` and `send_batch(...)` (one request; returns a ticket).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from reconciler.audience import Channel, Recipient, campaign_audience, opt_out_addresses
from reconciler.engine.actions import Action
from reconciler.engine.fields import FieldMap
from reconciler.errors import CampaignctlError
from reconciler.personalize import templates
from reconciler.policy.campaign import Gate, check_send, count_places, recipient_place
from reconciler.providers.base import Provider
from reconciler.providers.sendonly.batches import BatchSending
from reconciler.providers.sendonly.campaign_diff import CampaignDiff
from reconciler.providers.sendonly.halt import SendOnlyHalt
from reconciler.providers.sendonly.live import (
    Estimate,
    ListOptOuts,
    Prepared,
    Receipt,
    SendFailed,
    SendLive,
    local_time,
    utc_text,
)
from reconciler.providers.sendonly.proof import ProofSending
from reconciler.state.ledger import CampaignLedger, identity_of
from reconciler.status.model import CampaignStatus, phase
from reconciler.workspace import Resource

# What vendors and plug-ins import from here (defined beside it, in live.py).
__all__ = ["Estimate", "ListOptOuts", "Prepared", "Receipt", "SendFailed", "SendLive",
           "SendOnlyProvider", "local_time"]


class SendOnlyProvider(CampaignDiff, BatchSending, SendOnlyHalt, ProofSending, Provider):
    concurrency: int = 1  # batches in flight at once within one campaign

    def __init__(self, account, ctx):
        super().__init__(account, ctx)
        self.ledger = self.state.ledger
        self.optouts = self.state.optouts

    # vendor hooks -----------------------------------------------------------------------
    def channel(self, r: Resource) -> Channel:
        raise NotImplementedError

    def content(self, r: Resource) -> dict[str, Any]:
        raise NotImplementedError

    def named_after(self, r: Resource, name: str) -> dict[str, Any]:
        """The content fields this vendor derives from the manifest's name, as they would
        be under `name` (Connectly's campaignName when `campaign_name` is left out): a
        rename that changes only these keeps its content."""
        return {}

    def batch_size(self, r: Resource) -> int:
        raise NotImplementedError

    async def estimate(self, r: Resource, prep: Prepared) -> Estimate | None:
        return None

    def content_fields(self, r: Resource) -> FieldMap:
        """Where each key of `content(r)` is written in the manifests (`Message/x.text`,
        `octopush.purpose`): how the plan names a content change. Keys it does not map
        keep their own name."""
        return FieldMap()

    def content_extra(self, r: Resource) -> dict[str, Any]:
        """What only this vendor knows about the content shown in the plan (a template)."""
        return {}

    async def send_batch(self, r: Resource, prep: Prepared, batch: list[Recipient],
                         send_at: str | None) -> str | Receipt | None:
        """Send one batch; returns its ticket (or a Receipt with the ticket and cost).
        `send_at` is the vendor's send time for this batch (ISO 8601 with the recipients'
        offset), or None to send at once."""
        raise NotImplementedError

    async def campaign_status(self, campaigns: list[Resource], details: bool = False,
                              show_contacts: bool = False) -> list[CampaignStatus]:
        """From the send ledger alone (the API has no read): planned = the audience the
        manifests give now; sent / unknown = recipients the ledger holds so; rejected =
        recipients of batches the vendor refused; cost = the priced batches sent."""
        out = []
        in_force = {n: lst.in_force for n, lst in self._opt_out_lists(campaigns).items()}
        for r in campaigns:
            cl = self.ledger.campaign(self.account.name, r.name)
            audience = {x.address for x in campaign_audience(
                self.ctx.workspace, r, self.channel(r), in_force).recipients}
            when = r.spec.send_time()
            st = CampaignStatus(
                self.account.name, self.vendor, r.name, "not sent",
                send_at=local_time(when, r.spec.timezone) if when else r.spec.send_at,
                planned=len(audience), sent=len(cl.sent), unknown=len(cl.unknown),
                rejected=sum(b.recipients for b in cl.rejected_batches))
            if cl.holding:
                whole = audience <= cl.holding and not cl.unknown
                later = when is not None and when > self.ctx.options.now
                st.state = (("scheduled" if later else "handed over") if whole
                            else "partly handed over")
            # The API cannot be read: no delivery report, only what was handed over when.
            st.delivery = phase(len(cl.sent), when, None, r.spec.timezone,
                                self.ctx.options.now)
            cost = self.ledger.costs(self.account.name, r.name)
            if cost:
                st.cost, st.currency = cost
            if details or show_contacts:
                costs = self.ledger.batch_costs(self.account.name, r.name)
                st.details = [{"batch": b.id, "status": b.status, "recipients": b.recipients,
                               "ticket": b.ticket, "requested_at": utc_text(b.created_at),
                               "updated_at": utc_text(b.updated_at), "note": b.error,
                               "cost": costs.get(b.id)} for b in cl.batches]
            if show_contacts:
                st.contacts = [{"address": a, "outcome": b.status, "batch": b.id}
                               for b in cl.batches for a in self.ledger.recipients(b.id)]
            out.append(st)
        return out

    async def import_resources(self, ids: list[str]) -> list:
        raise CampaignctlError(
            f"{self.vendor} is send-only: its API cannot be read, so there is nothing to "
            "import; record sends made before campaignctl with `campaignctl state ledger "
            "import Campaign/NAME FILE.csv`")

    async def before_batch(self) -> None:
        """Wait until the next batch's request may leave (the vendor's rate limit), before
        it is recorded as in flight: a crash then leaves unknown only what was sent."""

    def send_rate(self) -> float | None:
        """Requests per second the vendor allows, if it has a limit (sizes the window)."""
        return None

    # read ---------------------------------------------------------------------------------
    async def read(self, resources: list[Resource]) -> SendLive:
        await self.ctx.checks_done()  # the audiences below are built from the CSV rows
        live = SendLive(campaigns=self.ledger.account(self.account.name))
        ws = self.ctx.workspace
        live.optouts = self._opt_out_lists(resources)
        in_force = {name: lst.in_force for name, lst in live.optouts.items()}
        for r in resources:
            if r.kind != "Campaign":
                continue
            channel = self.channel(r)
            cl = live.ledger(r.name)
            content = self.prepared_content(r, cl)
            audience = campaign_audience(ws, r, channel, in_force)
            skip = cl.sent if self.ctx.options.resend_unknown else cl.holding
            skip = skip | cl.dropped  # dropped by a frequency cap: never this campaign
            prep = Prepared(channel, content, identity_of(content), audience,
                            [x for x in audience.recipients if x.address not in skip])
            live.prepared[r.name] = prep
        todo = [(r, p) for r in resources if r.kind == "Campaign"
                and (p := live.prepared.get(r.name)) and p.pending
                and self._sendable(live.ledger(r.name), p)]
        estimates = await asyncio.gather(*(self.estimate(r, p) for r, p in todo))
        for (_, p), e in zip(todo, estimates, strict=True):
            p.estimate = e
        return live

    def prepared_content(self, r: Resource, cl: CampaignLedger) -> dict[str, Any]:
        """What identifies the campaign's content: the real send's and its proofs'."""
        content = self._as_sent(r, self.content(r), cl)
        if per_recipient := templates(r.spec.variables):
            # Which variables are the contacts' is content; their values are not.
            content = {**content, "per_recipient": per_recipient}
        return content

    identity_of = staticmethod(identity_of)

    def _opt_out_lists(self, resources: list[Resource]) -> dict[str, ListOptOuts]:
        """The OptOutLists among `resources` and those their campaigns use: listed and
        remembered opt-outs."""
        ws = self.ctx.workspace
        lists = {r.name: r for r in resources if r.kind == "OptOutList"}
        for r in resources:
            if r.kind == "Campaign":
                lists.update((n, o) for n in r.spec.opt_out_lists
                             if (o := ws.get("OptOutList", n)) is not None
                             and o.provider == self.account.name)
        return {name: ListOptOuts(opt_out_addresses([o]),
                                  self.optouts.recorded(self.account.name, name),
                                  set(o.spec.opt_in)) for name, o in lists.items()}

    @staticmethod
    def _sendable(cl: CampaignLedger, prep: Prepared) -> bool:
        return not cl.identities or cl.identities == {prep.identity}

    def fingerprint(self, live: SendLive) -> Any:
        out: dict[str, Any] = {name: self.live_item(live, "Campaign", name)
                               for name in sorted(live.campaigns)}
        if live.optouts:  # remembered opt-outs decide who is suppressed
            out["OptOutList/"] = {name: self.live_item(live, "OptOutList", name)
                                  for name in sorted(live.optouts)}
        return out

    def live_item(self, live: SendLive, kind: str, name: str) -> Any:
        """A campaign's ledger (what went out, in flight, with which content), or the
        opt-outs an OptOutList recorded: our own ledger is this vendor's live state."""
        if kind == "Campaign" and name in live.campaigns:
            cl = live.campaigns[name]
            return [len(cl.sent), len(cl.unknown), max((b.id for b in cl.batches), default=0),
                    sorted(cl.identities)]
        if kind == "OptOutList" and name in live.optouts:
            return identity_of({"recorded": sorted(live.optouts[name].recorded)})
        return None


    def _stored_content(self, campaign: str, identity: str) -> dict[str, Any] | None:
        return self.state.sent_content(campaign, identity)

    def _as_sent(self, r: Resource, content: dict[str, Any], cl: CampaignLedger,
                 ) -> dict[str, Any]:
        """The content a renamed campaign (its state moved by `state mv`) was sent with,
        when it differs only in what the vendor derives from the manifest's name: the
        campaign keeps going out as it did (never a second send under a new name)."""
        derived = self.named_after(r, r.name)
        if not derived or not cl.identities:
            return content
        for identity in sorted(cl.identities):
            sent = self._stored_content(r.name, identity)
            if sent and {**content, **{k: sent.get(k) for k in derived}} == sent:
                return sent
        return content

    def planned_sends(self, actions: list[Action], live: SendLive) -> list:
        """Each send of this plan, recipient by recipient with the time it reaches them
        (its wave's, the campaign's, or now), for the frequency caps (policy/frequency.py),
        which fill in whom it holds back (`Prepared.held`, read again by execute)."""
        from reconciler.policy.frequency import PlannedSend

        out = []
        now = self.ctx.options.now
        for a in actions:
            r = self.ctx.workspace.get(a.kind, a.name)
            prep = live.prepared.get(a.name)
            if a.op != "send" or r is None or prep is None:
                continue
            when = r.spec.send_time() or now
            times = {}
            if a.data.get("waves"):  # a local-time or deferred send: each wave's own time
                gate = self._window_gate(r, prep.channel, prep.pending, now)
                for w in gate.waves:
                    at = datetime.fromisoformat(w.to_dict()["send_at"])
                    times.update({place: at for place in w.places})
            zone = r.spec.timezone
            out.append(PlannedSend(a, prep.channel, zone, [
                (x, times.get(recipient_place(x, prep.channel, zone), when) if times else when)
                for x in prep.pending], prep.held))
        return out

    def _window_gate(self, r: Resource, channel: Channel, recipients: list[Recipient],
                     now: datetime) -> Gate:
        places = count_places(recipients, channel, r.spec.timezone)
        return check_send(self.ctx.workspace.config.send_policy, r, places, channel, now,
                          waves=True)
