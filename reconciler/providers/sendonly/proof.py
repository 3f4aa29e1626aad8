"""A proof of a send-only campaign: its exact content (the same identity as the real send),
sent now to a proof group, one batch recorded under the campaign's proof key before the
request leaves and after its answer. A mixin of SendOnlyProvider (provider.py)."""

from __future__ import annotations

from reconciler.audience import build_audience
from reconciler.engine.proofs import MAX_PROOF_RECIPIENTS, ProofSent
from reconciler.errors import ApiError, CampaignctlError, NotSentError, OutcomeUnknown
from reconciler.providers.sendonly.live import Prepared, Receipt
from reconciler.state.ledger import NOT_SENT, REJECTED, SENT, UNKNOWN
from reconciler.workspace import Resource


class ProofSending:
    """SendOnlyProvider's `send_proof` (it provides `ledger`, `account`, the vendor hooks,
    `prepared_content` and `_opt_out_lists`)."""

    async def send_proof(self, r: Resource, group: Resource) -> ProofSent:
        channel = self.channel(r)
        cl = self.ledger.campaign(self.account.name, r.name)
        content = self.prepared_content(r, cl)
        identity = self.identity_of(content)
        in_force = set().union(*(lst.in_force for lst in self._opt_out_lists([r]).values()))
        audience = build_audience([group], in_force, channel)
        people = audience.recipients
        if not people:
            raise CampaignctlError(f"ContactGroup/{group.name} has no one to send a proof "
                                   f"to on {channel} (no address, or all opted out)")
        if len(people) > MAX_PROOF_RECIPIENTS:
            raise CampaignctlError(f"ContactGroup/{group.name} has {len(people)} recipients; "
                                   f"a proof goes to at most {MAX_PROOF_RECIPIENTS}")
        prep = Prepared(channel, content, identity, audience, people)
        batch = self.state.begin_proof(r.name, identity, len(people))
        note = f"proof to ContactGroup/{group.name}"
        sent = ProofSent(r.name, self.account.name, group.name, len(people), SENT)
        try:
            answer = await self.send_batch(r, prep, people, None)
        except NotSentError as exc:
            self.ledger.not_sent(batch, str(exc))
            sent.status, sent.note = NOT_SENT, str(exc)
            return sent
        except ApiError as exc:
            self.ledger.rejected(batch, str(exc))
            sent.status, sent.note = REJECTED, str(exc)
            return sent
        except OutcomeUnknown as exc:
            self.ledger.unknown(batch, str(exc))
            sent.status, sent.note = UNKNOWN, str(exc)
            return sent
        except BaseException:
            self.ledger.unknown(batch, "interrupted")
            raise
        ticket = answer.ticket if isinstance(answer, Receipt) else answer
        cost = ((answer.cost, answer.currency) if isinstance(answer, Receipt)
                and answer.cost is not None else None)
        self.ledger.sent(batch, ticket, note, cost)
        sent.ticket = ticket
        return sent
