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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.engine.actions import Action, FieldChange, SendSummary, SetChange
from reconciler.engine.content import send_content
from reconciler.errors import ApiError, CampaignctlError, NotSentError, OutcomeUnknown
from reconciler.policy.campaign import Gate, check_send, count_places, recipient_place
from reconciler.providers.base import Provider
from reconciler.sending.recipients import (
    Audience,
    Channel,
    Recipient,
    batch_count,
    batches,
    campaign_audience,
    opt_out_addresses,
)
from reconciler.sending.window import InFlightWindow, clock
from reconciler.state.ledger import (
    NOT_SENT,
    REJECTED,
    SENT,
    UNKNOWN,
    CampaignLedger,
    LedgerError,
    SendLedger,
    identity_of,
)
from reconciler.status.model import CampaignStatus
from reconciler.words import plural, word
from reconciler.workspace import Resource

CHANNEL_ADDRESS = {"sms": "phone", "email": "email", "whatsapp": "phone"}


@dataclass
class Estimate:
    messages: int | None = None
    cost: float | None = None
    currency: str | None = None
    note: str = ""
    refused: str | None = None  # the vendor rejected a simulated send
    basis: str | None = None  # how it was made (shown with the estimate)


@dataclass
class Prepared:
    """One campaign, computed in read(): everything diff() and execute() need."""

    channel: Channel
    content: dict[str, Any]
    identity: str
    audience: Audience
    pending: list[Recipient] = field(default_factory=list)
    estimate: Estimate | None = None


@dataclass
class ListOptOuts:
    """One OptOutList of a send-only account: what its manifest lists and what the state
    store remembers from earlier applies."""

    listed: set[str]
    recorded: set[str]
    opt_in: set[str]

    @property
    def add(self) -> set[str]:
        return self.listed - self.recorded

    @property
    def remove(self) -> set[str]:
        """Explicit opt-ins of remembered opt-outs (an address still listed stays)."""
        return (self.opt_in & self.recorded) - self.listed

    @property
    def in_force(self) -> set[str]:
        return self.listed | (self.recorded - self.remove)

    @property
    def kept(self) -> int:
        """Remembered opt-outs the manifest no longer lists: they stay in force."""
        return len(self.recorded - self.listed - self.remove)


@dataclass
class SendLive:
    campaigns: dict[str, CampaignLedger] = field(default_factory=dict)
    prepared: dict[str, Prepared] = field(default_factory=dict)
    optouts: dict[str, ListOptOuts] = field(default_factory=dict)

    def ledger(self, name: str) -> CampaignLedger:
        return self.campaigns.get(name) or CampaignLedger(name)


def local_time(when: datetime, tz: str | None) -> str:
    return (when.astimezone(ZoneInfo(tz)) if tz else when).isoformat()


def _ago(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


class SendFailed(CampaignctlError):
    pass


@dataclass
class Receipt:
    """What a vendor answered to an accepted batch: its ticket and, if priced, its cost."""

    ticket: str | None
    cost: float | None = None
    currency: str | None = None


class GroupWriter:
    """Group commit for concurrent batches: every ledger write submitted while the previous
    commit runs (or during one turn of the event loop) is committed in one transaction (one
    fsync), and each caller resumes only after that commit. A batch's request therefore
    still leaves only after its in-flight record is on disk, but 16 concurrent batches cost
    one fsync, not 16. On SQLite the commit runs in a worker thread on its own connection,
    so requests in flight are answered while it waits for the disk."""

    def __init__(self, ledger: SendLedger):
        self.ledger = ledger
        writer = getattr(ledger.store, "thread_writer", None)
        self.threaded = SendLedger(writer()) if writer is not None else None
        self.pending: list[tuple[tuple, asyncio.Future]] = []
        self._drain: asyncio.Task | None = None

    async def submit(self, op: tuple) -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.pending.append((op, future))
        if self._drain is None:
            self._drain = loop.create_task(self._commit_all())
        result = await future
        if isinstance(result, LedgerError):
            raise result
        return result

    async def _commit_all(self) -> None:
        try:
            while self.pending:
                work, self.pending = self.pending, []
                ops = [op for op, _ in work]
                try:
                    if self.threaded is not None:
                        results = await asyncio.to_thread(self.threaded.group, ops)
                    else:
                        results = self.ledger.group(ops)
                except BaseException as exc:  # the whole transaction rolled back
                    for _, future in work:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), result in zip(work, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._drain = None

    async def aclose(self) -> None:
        """After the last batch: wait for a commit still running, then close its connection."""
        if self._drain is not None:
            await asyncio.shield(self._drain)
        if self.threaded is not None:
            self.threaded.store.db.close()


class SendOnlyProvider(Provider):
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
                st.state = "sent" if audience <= cl.holding and not cl.unknown else "partly sent"
            cost = self.ledger.costs(self.account.name, r.name)
            if cost:
                st.cost, st.currency = cost
            if details or show_contacts:
                costs = self.ledger.batch_costs(self.account.name, r.name)
                st.details = [{"batch": b.id, "status": b.status, "recipients": b.recipients,
                               "ticket": b.ticket, "requested_at": _ago(b.created_at),
                               "updated_at": _ago(b.updated_at), "note": b.error,
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
            content = self._as_sent(r, self.content(r), cl)
            audience = campaign_audience(ws, r, channel, in_force)
            skip = cl.sent if self.ctx.options.resend_unknown else cl.holding
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
        out: dict[str, Any] = {
            name: [len(cl.sent), len(cl.unknown), max((b.id for b in cl.batches), default=0),
                   sorted(cl.identities)]
            for name, cl in sorted(live.campaigns.items())}
        if live.optouts:  # remembered opt-outs decide who is suppressed
            out["OptOutList/"] = {name: identity_of({"recorded": sorted(lst.recorded)})
                              for name, lst in sorted(live.optouts.items())}
        return out

    # diff ---------------------------------------------------------------------------------
    def diff(self, resources: list[Resource], live: SendLive,
             matches: dict | None = None) -> list[Action]:
        actions: list[Action] = []
        for r in resources:
            if r.kind == "OptOutList" and r.name in live.optouts:
                actions += self._diff_optouts(r, live.optouts[r.name])
            if r.kind == "Campaign" and r.name in live.prepared:
                actions += self._diff_campaign(r, live.ledger(r.name), live.prepared[r.name],
                                              live.campaigns)
        return actions

    def _diff_optouts(self, r: Resource, lst: ListOptOuts) -> list[Action]:
        add, remove, kept = lst.add, lst.remove, lst.kept
        if not add and not remove:
            return []
        note = (f"{plural(kept, 'opt-out')} recorded earlier {word(kept, 'is', 'are')} no "
                f"longer in the manifest and {word(kept, 'stays', 'stay')} in force"
                if kept else "")
        sets = [SetChange("opt-outs", add=len(add), remove=len(remove), kept_live=kept,
                          total_after=len(lst.in_force), irreversible=bool(remove), note=note)]
        reason = ("opt-outs to remember in the state store (this vendor keeps none: "
                  "campaigns of this account are filtered by them before sending)")
        if remove:
            reason += "; explicit opt-ins: those people can be sent to again"
        return [self.action("update", r, reason=reason, sets=sets, irreversible=bool(remove),
                            data={"add": len(add), "remove": len(remove)})]

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

    def _diff_campaign(self, r: Resource, cl: CampaignLedger, prep: Prepared,
                       ledgers: dict[str, CampaignLedger]) -> list[Action]:
        out: list[Action] = []
        aud = prep.audience
        addresses = {x.address for x in aud.recipients}
        # 1. identity: what reached people can never be changed.
        if not self._sendable(cl, prep):
            changes = []
            for old in sorted(cl.identities - {prep.identity}):
                before = self._stored_content(r.name, old) or {}
                changes += [FieldChange(k, before.get(k), v) for k, v in prep.content.items()
                            if before and before.get(k) != v]
                changes += _segment_change(before, prep.content)
            return [self.action(
                "refuse", r, changes=changes,
                reason=f"content changed after {plural(len(cl.holding), 'recipient')} "
                       f"{word(len(cl.holding), 'was', 'were')} sent or may "
                       "have been: a sent campaign's identity (" + ", ".join(prep.content)
                       + ") is immutable. Revert the change, or make a new Campaign (a new "
                       "name) for the new content")]
        # 2. unknown outcomes: never guessed.
        unknown_here = cl.unknown & addresses
        if cl.unknown and not self.ctx.options.resend_unknown:
            bs = cl.unknown_batches
            last = max((b.updated_at for b in bs), default=0)
            reasons = sorted({b.error or "in flight (interrupted, or an apply is running)"
                              for b in bs})
            out.append(self.action(
                "warn", r,
                reason=f"outcome unknown for {plural(len(cl.unknown), 'recipient')} in "
                       f"{plural(len(bs), 'batch')} (last at {_ago(last)}: {'; '.join(reasons)[:200]}); they "
                       "are NOT resent. Check with the vendor, then record its answer "
                       "(`campaignctl state ledger settle`), or send them again with "
                       "`apply --resend-unknown=COUNT` (the plan's count to resend)",
                data={"unknown_recipients": len(cl.unknown), "unknown_batches": len(bs),
                      # those still in the audience: what --resend-unknown would send
                      "resend_recipients": len(unknown_here)}))
        removed = len(cl.holding - addresses)
        notes = []
        if removed:
            notes.append(f"{plural(removed, 'recipient')} no longer in the audience "
                         f"{word(removed, 'was', 'were')} already sent: "
                         "cannot be recalled")
        if aud.kept:
            notes.append(f"{aud.kept} of the suppressed only by opt-outs no longer in the "
                         "manifests, kept from the state store (`opt_in:` removes one)")
        if aud.no_address:
            notes.append(f"{plural(aud.no_address, 'contact')} without a "
                         f"{CHANNEL_ADDRESS[prep.channel]} skipped")
        if not prep.pending:
            if removed:
                out.append(self.action("warn", r, reason="; ".join(notes)))
            return out
        # 3. a manifest renamed: the same content already went to these people under a
        # name the manifests no longer hold.
        if not r.lifecycle.new_send and (why := self._sent_under_old_name(r, prep, ledgers)):
            return out + [self.action("refuse", r, reason=why)]
        # 4. the vendor refused a simulated send.
        if prep.estimate and prep.estimate.refused:
            return out + [self.action(
                "refuse", r, reason=f"the vendor rejected a simulated send: "
                                    f"{prep.estimate.refused}")]
        # 5. schedule.
        spec = r.spec
        when = spec.send_time() if spec.local_send is None else None  # local: one per wave
        if spec.send_at is None:
            return out + [self.action("refuse", r, reason="no send_at: set a time (with its "
                                                          "UTC offset) or `now`")]
        if when is not None and when <= self.ctx.options.now:
            return out + [self.action(
                "refuse", r,
                reason=f"send time {when.isoformat()} has already passed with "
                       f"{plural(len(prep.pending), 'recipient')} not sent; set `send_at: now` (or a "
                       "future time) to send them")]
        # 5. send windows in each recipient's own time (reconciler/policy).
        gate = self._window_gate(r, prep.channel, prep.pending, self.ctx.options.now)
        policy = self.ctx.workspace.config.send_policy
        if gate.refusal:
            return out + [self.action("refuse", r, reason=f"send window: {gate.refusal}",
                                      data=gate.data(policy))]
        size = self.batch_size(r)
        est = prep.estimate or Estimate()
        again = 0
        if unknown_here and self.ctx.options.resend_unknown:
            again = len(unknown_here & {x.address for x in prep.pending})
            notes.insert(0, f"--resend-unknown: {plural(again, 'recipient')} whose outcome was "
                            "unknown are sent AGAIN")
        if cl.batches and cl.batches[-1].status == "rejected":
            notes.append(f"the last attempt was rejected: {cl.batches[-1].error}")
        if est.note:
            notes.append(est.note)
        first = not cl.holding
        reason = ("not sent yet" if first else
                  f"{plural(len(prep.pending), 'new recipient')} since the last send") + (
                      f" ({'; '.join(notes)})" if notes else "")
        send_at = local_time(when, spec.timezone) if when else None
        batch_total = batch_count(len(prep.pending), size)
        if gate.waves:
            first = gate.waves[0]
            send_at = first.to_dict()["send_at"]
            batch_total = sum(batch_count(w.recipients, size) for w in gate.waves)
            for w in gate.waves:
                if est.cost is not None and prep.pending:
                    w.cost = round(est.cost * w.recipients / len(prep.pending), 4)
        if self.ctx.options.show_contacts:
            self.recipients_of[r.address] = [x.address for x in prep.pending]
        summary = SendSummary(
            recipients=len(prep.pending), batches=batch_total,
            send_at=send_at, timezone=spec.timezone if not gate.waves else "each recipient's own",
            suppressed=aud.suppressed, already_sent=len(cl.sent & addresses),
            unknown=0 if self.ctx.options.resend_unknown else len(unknown_here),
            estimated_messages=est.messages, estimated_cost=est.cost, currency=est.currency,
            estimate_basis=est.basis)
        out.append(self.action(
            "send", r, reason=reason, send=summary, irreversible=True,
            content=send_content(self.ctx.workspace, r, prep.channel, self.content_extra(r)),
            depends_on=[f"{k}/{n}" for k, n in self._refs(r)],
            data={"identity": prep.identity, "channel": prep.channel, "batch_size": size,
                  "no_address": aud.no_address, "duplicates": aud.duplicates,
                  "removed_after_send": removed,
                  **({"resend_unknown": again} if again else {}), **gate.data(policy)}))
        return out

    def _window_gate(self, r: Resource, channel: Channel, recipients: list[Recipient],
                     now: datetime) -> Gate:
        places = count_places(recipients, channel, r.spec.timezone)
        return check_send(self.ctx.workspace.config.send_policy, r, places, channel, now,
                          waves=True)

    def _timed_chunks(self, r: Resource, channel: Channel, todo: list[Recipient], gate: Gate,
                      size: int) -> list[tuple[str | None, list[Recipient]]]:
        """(vendor send time, batch) for every batch: one send time for a fixed send, the
        wave's for a local-time one."""
        if not gate.waves:
            when = r.spec.send_time()
            at = local_time(when, r.spec.timezone) if when else None
            return [(at, chunk) for chunk in batches(todo, size)]
        by_zones: dict[tuple[str, ...], list[Recipient]] = {}
        for x in todo:
            by_zones.setdefault(recipient_place(x, channel, r.spec.timezone).zones, []).append(x)
        out = []
        for w in gate.waves:
            at = w.to_dict()["send_at"]
            out += [(at, chunk) for chunk in batches(by_zones.get(w.zones, []), size)]
        return out

    def _sent_under_old_name(self, r: Resource, prep: Prepared,
                             ledgers: dict[str, CampaignLedger]) -> str | None:
        present = {c.name for c in self.ctx.workspace.of_kind("Campaign")}
        pending = {x.address for x in prep.pending}
        for name, cl in sorted(ledgers.items()):
            # Also the same content sent under the old name, where the vendor names the
            # content after the manifest (Connectly's default campaignName).
            same = {prep.identity, identity_of({**prep.content, **self.named_after(r, name)})}
            if name in present or not same & cl.identities:
                continue
            overlap = len(cl.holding & pending)
            if overlap:
                return (f"Campaign/{name}, no longer in the manifests, already sent this same "
                        f"content to {overlap} of the {plural(len(pending), 'recipient')} this plan "
                        f"would send to. If {r.address} is that campaign renamed, run "
                        f"`campaignctl state mv Campaign/{name} {r.address}` (its send ledger "
                        "moves with it, and only new recipients are sent). If it really is a "
                        "new send to the same people, set `lifecycle: {new_send: true}`")
        return None

    @staticmethod
    def _refs(r: Resource) -> list[tuple[str, str]]:
        s = r.spec
        refs = [("Message", s.message), ("Sender", s.sender)]
        refs += [("ContactGroup", g) for g in s.contact_groups]
        refs += [("OptOutList", o) for o in s.opt_out_lists]
        return [(k, n) for k, n in refs if n]

    # execute ----------------------------------------------------------------------------------
    async def execute(self, action: Action, live: SendLive) -> None:
        if action.kind == "OptOutList" and action.op == "update":
            lst = live.optouts[action.name]
            if (len(lst.add), len(lst.remove)) != (action.data.get("add"),
                                                   action.data.get("remove")):
                raise SendFailed(f"{action.address}: the opt-outs changed since the plan; "
                                 "plan again")
            self.optouts.apply(self.account.name, action.name, sorted(lst.add),
                               sorted(lst.remove))
            return
        if action.op != "send":
            return
        r = self.ctx.workspace.get(action.kind, action.name)
        prep = live.prepared.get(action.name)
        if r is None or prep is None or prep.identity != action.data.get("identity"):
            raise SendFailed(f"{action.address}: the manifest changed since the plan; plan again")
        when = r.spec.send_time()
        if when is not None and when <= datetime.now(UTC):
            raise SendFailed(f"{action.address}: send time {when.isoformat()} has passed since "
                             "the plan; nothing was sent. Set `send_at: now` or a future time")
        account = self.account.name
        # Under the apply lock: batches a dead run left in flight are unknown from now on.
        self.ledger.expire_in_flight(account, r.name)
        cl = self.ledger.campaign(account, r.name)
        if not self._sendable(cl, prep):
            raise SendFailed(f"{action.address}: content differs from what was sent; plan again")
        resend = self.ctx.options.resend_unknown
        skip = cl.sent if resend else cl.holding
        todo = [x for x in prep.pending if x.address not in skip]
        if len(todo) != action.send.recipients:
            raise SendFailed(f"{action.address}: the ledger changed since the plan "
                             f"({len(todo)} to send, the plan said {action.send.recipients}); "
                             "plan again")
        self.state.record_sent_content(r.name, prep.identity, prep.content)
        # Checked again now: a `now` send, or a wave, whose window closed since the plan.
        gate = self._window_gate(r, prep.channel, todo, self.ctx.options.clock())
        if gate.refusal:
            raise SendFailed(f"{action.address}: send window, checked at apply: {gate.refusal}. "
                             "Nothing was sent")
        size = action.data.get("batch_size") or self.batch_size(r)
        chunks = self._timed_chunks(r, prep.channel, todo, gate, size)
        await self._send_all(r, prep, chunks, resend)

    async def _send_all(self, r: Resource, prep: Prepared,
                        chunks: list[tuple[str | None, list[Recipient]]], resend: bool) -> None:
        failures: list[str] = []
        writer = GroupWriter(self.ledger)
        window = InFlightWindow(self.concurrency, self.send_rate())
        queue = list(reversed(chunks))
        sent = [0, 0]  # batches, recipients
        progress = self.ctx.reporter.task(f"send {r.address}",
                                          total=sum(len(c) for _, c in chunks),
                                          unit="recipients")

        async def worker() -> None:
            while queue and not failures:
                send_at, chunk = queue.pop()
                async with window.slot():
                    error = await self._one_batch(r, prep, chunk, resend, writer, send_at,
                                                  window)
                if error:
                    failures.append(error)
                else:
                    sent[0] += 1
                    sent[1] += len(chunk)
                    progress.advance(len(chunk))

        try:
            await asyncio.gather(*(worker() for _ in range(min(self.concurrency,
                                                                len(chunks)))))
        finally:
            progress.close(failed=bool(failures) or bool(queue))
            await writer.aclose()
        if failures:
            left = len(queue)
            raise SendFailed(
                f"{r.address}: {failures[0]}"
                + (f" (+{len(failures) - 1} more failed {word(len(failures) - 1, 'batch')})" if len(failures) > 1 else "")
                + f". Sent {plural(sent[0], 'batch')} ({sent[1]} recipients) before stopping; "
                f"{plural(left, 'batch')} not attempted. The send ledger is up to date: run "
                "`campaignctl plan` to see what is left")

    async def _one_batch(self, r: Resource, prep: Prepared, chunk: list[Recipient],
                         resend: bool, writer: GroupWriter, send_at: str | None,
                         window: InFlightWindow | None = None) -> str | None:
        """Send one batch around the ledger. Returns an error message, or None if sent."""
        await self.before_batch()
        # What a slot holds (Little's law): the in-flight record's commit, the request and
        # the outcome's commit, not the wait for a rate-limit slot before them.
        started = clock()
        try:
            batch_id = await writer.submit(("begin", self.account.name, r.name, prep.identity,
                                            [x.address for x in chunk], resend))
        except LedgerError as exc:
            return str(exc)

        async def finish(status: str, ticket: str | None, error: str | None,
                         cost: tuple[float, str | None] | None = None) -> None:
            await writer.submit(("finish", batch_id, status, ticket, error, cost))

        try:
            answer = await self.send_batch(r, prep, chunk, send_at)
        except NotSentError as exc:
            await finish(NOT_SENT, None, str(exc))
            return f"{exc} (batch {batch_id}; its recipients stay unsent)"
        except ApiError as exc:
            # A 4xx (or 429 after retries): the vendor accepted nothing of this batch.
            await finish(REJECTED, None, str(exc))
            return f"rejected by the vendor: {exc} (batch {batch_id}: nothing was sent)"
        except OutcomeUnknown as exc:
            await finish(UNKNOWN, None, exc.reason)
            return (f"{exc} (batch {batch_id}, {len(chunk)} recipients: outcome UNKNOWN; "
                    "not resent; `apply --resend-unknown` only after checking with the vendor)")
        except BaseException as exc:
            # Anything else (cancelled, interrupted, a bug): we cannot know; never guess.
            self.ledger.unknown(batch_id, f"interrupted: {type(exc).__name__}")
            raise
        if isinstance(answer, Receipt):
            cost = (answer.cost, answer.currency) if answer.cost is not None else None
            await finish(SENT, answer.ticket, None, cost)
        else:
            await finish(SENT, answer, None)
        if window is not None:
            window.round_trip(clock() - started)
        return None


def _segment_change(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """An SMS edit that changes how many segments each recipient costs is called out."""
    old, new = before.get("text"), after.get("text")
    if not isinstance(old, str) or not isinstance(new, str) or old == new:
        return []
    from reconciler.sms import segments
    was, now = segments(old), segments(new)
    if was.segments == now.segments:
        return []
    return [FieldChange("sms segments", f"{was.segments} ({was.encoding})",
                        f"{now.segments} ({now.encoding})")]
