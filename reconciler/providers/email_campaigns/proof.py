"""A proof of an email campaign: the documented POST /email/campaign/ with the message's
subject and body (`message.source: new`), the proof group uploaded as its contacts
(`contact_group.type: upload`) and a start of now, from the campaign's registered sender.
It is a campaign of its own at the vendor, named `NAME (proof TIME)`, recorded in the
send ledger under the campaign's proof key. A mixin of EmailCampaignsProvider."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.audience import build_audience, opt_out_addresses
from reconciler.engine.proofs import MAX_PROOF_RECIPIENTS, ProofSent, group_of, last_proof
from reconciler.errors import ApiError, CampaignctlError, OutcomeUnknown
from reconciler.providers.email_campaigns.client import oid, ref
from reconciler.providers.email_campaigns.timezones import IANA_TO_API
from reconciler.providers.sendonly.live import utc_text
from reconciler.state.ledger import REJECTED, SENT, UNKNOWN, identity_of
from reconciler.workspace import Resource


class EmailProof:
    """EmailCampaignsProvider's `send_proof` (it provides `client`, `state`, `account`,
    `ctx`, `_ref_live_id`)."""

    def proof_identity(self, r: Resource) -> str:
        """The content a campaign sends: its message, its sender, its name."""
        ws = self.ctx.workspace
        m = ws.get("Message", r.spec.message or "")
        s = ws.get("Sender", r.spec.sender or "")
        return identity_of({"subject": m.spec.subject if m else None,
                            "body": m.spec.body if m else None,
                            "sender": s.spec.email if s else None,
                            "name": r.spec.title or r.name})

    def proof_note(self, r: Resource) -> dict[str, Any] | None:
        """The last proof of the content this campaign would send, for its plan."""
        last = last_proof(self.state.ledger.proofs(self.account.name, r.name),
                          self.proof_identity(r))
        if last is None:
            return None
        return {"at": utc_text(last.updated_at), "recipients": last.recipients,
                "group": group_of(last.error)}

    async def send_proof(self, r: Resource, group: Resource) -> ProofSent:
        ws = self.ctx.workspace
        m = ws.get("Message", r.spec.message or "")
        sender_id = self._ref_live_id("Sender", r.spec.sender)
        if m is None or not m.spec.body:
            raise CampaignctlError(f"{r.address}: a proof sends the message's subject and "
                                   "body; this campaign has none to send")
        if not sender_id:
            raise CampaignctlError(f"{r.address}: Sender/{r.spec.sender} is not applied yet; "
                                   "apply it first (a proof is sent from the registered "
                                   "address)")
        lists = [o for n in r.spec.opt_out_lists if (o := ws.get("OptOutList", n))]
        audience = build_audience([group], opt_out_addresses(lists), "email")
        people = [x.contact for x in audience.recipients]
        if not people:
            raise CampaignctlError(f"ContactGroup/{group.name} has no one to send a proof "
                                   "to by email (no address, or all opted out)")
        if len(people) > MAX_PROOF_RECIPIENTS:
            raise CampaignctlError(f"ContactGroup/{group.name} has {len(people)} recipients; "
                                   f"a proof goes to at most {MAX_PROOF_RECIPIENTS}")
        now = datetime.now(UTC)
        zone = r.spec.timezone
        attributes = {
            "message": {"source": "new", "description": m.spec.subject,
                        "email_message": m.spec.body},
            "contact_group": {"type": "upload"},
            "schedule": {"name": f"{r.spec.title or r.name} (proof {now:%Y-%m-%d %H:%M:%S})",
                         "start_date": now.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"),
                         "timezone": IANA_TO_API[zone], "sender_id": ref(sender_id)},
        }
        ledger = self.state.ledger
        batch = self.state.begin_proof(r.name, self.proof_identity(r), len(people))
        sent = ProofSent(r.name, self.account.name, group.name, len(people), SENT)
        try:
            created = await self.client.create_campaign(attributes, people)
        except OutcomeUnknown as exc:
            ledger.unknown(batch, str(exc))
            sent.status, sent.note = UNKNOWN, str(exc)
            return sent
        except ApiError as exc:
            ledger.rejected(batch, str(exc))
            sent.status, sent.note = REJECTED, str(exc)
            return sent
        except BaseException:
            ledger.unknown(batch, "interrupted")
            raise
        sent.ticket = oid(created)
        ledger.sent(batch, sent.ticket, f"proof to ContactGroup/{group.name}")
        return sent
