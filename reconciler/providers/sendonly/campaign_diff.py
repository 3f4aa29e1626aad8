"""The plan of a send-only account: for each Campaign, what to send now (or why not), and
for each OptOutList, the opt-outs to remember. A mixin of SendOnlyProvider (provider.py).

A campaign's checks, in order: its content identity (what reached people is immutable),
unknown outcomes (never guessed), a manifest renamed (the same content already sent under
the old name), the vendor's simulated send, the schedule, the send windows.
"""

from __future__ import annotations

from typing import Any

from reconciler.audience import batch_count
from reconciler.engine.actions import Action, FieldChange, SendSummary, SetChange
from reconciler.engine.content import send_content
from reconciler.engine.proofs import NO_PROOF, group_of, last_proof
from reconciler.personalize import Use, count, refusal
from reconciler.providers.sendonly.live import (
    Estimate,
    ListOptOuts,
    Prepared,
    SendLive,
    local_time,
    utc_text,
)
from reconciler.state.ledger import CampaignLedger, identity_of
from reconciler.words import plural, word
from reconciler.workspace import Resource

CHANNEL_ADDRESS = {"sms": "phone", "email": "email", "whatsapp": "phone"}


class CampaignDiff:
    """SendOnlyProvider's `diff` (it provides `action`, `ctx`, the vendor hooks,
    `_sendable`, `_stored_content` and `_window_gate`)."""

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

    def _diff_campaign(self, r: Resource, cl: CampaignLedger, prep: Prepared,
                       ledgers: dict[str, CampaignLedger]) -> list[Action]:
        out: list[Action] = []
        aud = prep.audience
        addresses = {x.address for x in aud.recipients}
        # 1. identity: what reached people can never be changed.
        if not self._sendable(cl, prep):
            changes = []
            named = self.content_fields(r)
            for old in sorted(cl.identities - {prep.identity}):
                before = self._stored_content(r.name, old) or {}
                changes += [named.change(k, before.get(k), v, r) for k, v in prep.content.items()
                            if before and before.get(k) != v]
                changes += _segment_change(before, prep.content)
            return [self.action(
                "refuse", r, changes=changes,
                reason=f"content changed after {plural(len(cl.holding), 'recipient')} "
                       f"{word(len(cl.holding), 'was', 'were')} sent or may "
                       "have been: a sent campaign's identity ("
                       + ", ".join(named.label(k) for k in prep.content)
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
                       f"{plural(len(bs), 'batch')} (last at {utc_text(last)}: {'; '.join(reasons)[:200]}); they "
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
        if cl.dropped & addresses:
            n = len(cl.dropped & addresses)
            notes.append(f"{plural(n, 'recipient')} held back by a frequency cap and dropped "
                         f"earlier {word(n, 'does', 'do')} not get this campaign")
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
        # 5. proofs of this content (`campaignctl proof`), required by the lifecycle.
        proof = self._proof(r, prep)
        if r.lifecycle.require_proof and not proof:
            return out + [self.action("refuse", r, reason=NO_PROOF.format(name=r.name),
                                      data={"proof_required": True})]
        # 6. per-recipient values: nobody gets an empty one without a default.
        uses = count(r.spec.variables, prep.pending)
        if why := refusal(uses, self.ctx.options.show_contacts):
            return out + [self.action("refuse", r, reason=why,
                                      data={"variables": _uses(uses)})]
        # 7. schedule.
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
        # 8. send windows in each recipient's own time (reconciler/policy).
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
                  **({"variables": _uses(uses)} if uses else {}),
                  **({"proof": proof} if proof else {}),
                  **({"proof_required": True} if r.lifecycle.require_proof else {}),
                  **({"resend_unknown": again} if again else {}), **gate.data(policy)}))
        return out

    def _proof(self, r: Resource, prep: Prepared) -> dict[str, Any] | None:
        """The last proof of the content this send would go out with."""
        last = last_proof(self.ledger.proofs(self.account.name, r.name), prep.identity)
        if last is None:
            return None
        return {"at": utc_text(last.updated_at), "recipients": last.recipients,
                "group": group_of(last.error)}

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


def _uses(uses: dict[str, Use]) -> dict[str, dict]:
    """Per variable taking contact values: recipients with no value, given the default."""
    return {name: use.to_dict() for name, use in uses.items()}
