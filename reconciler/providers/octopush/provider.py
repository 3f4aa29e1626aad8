"""octopush: SMS and email campaign sends (send-only; the live state is our send ledger).

Identity of a campaign's content: SMS text, sender, purpose and type; email subject,
body/template, body format, from address and name, purpose. A send is split in frames of
`batch_size` (default 500) recipients, FRAMES_IN_FLIGHT at a time (a named setting; the
doc allows several at once), each written to the ledger before and after its request
(reconciler/providers/sendonly/).

Estimates (plan): made locally by default (estimate.py: segments x recipients x the
account's `sms_prices`), with no request. Opt-in (`plan --vendor-estimate`, or
`vendor_estimate: true` on the account): for an SMS campaign with recipients left to send,
read() makes ONE `simulation_mode` request with a sample frame (the first frame to send). The vendor
validates the request as it would a real one (STOP mention, sender, type) without
sending, and prices it: cost per SMS and SMS per contact, which we scale to the whole
send. The answer is cached in the state store per content identity for an hour, so the
plan an apply makes right after a reviewed plan does not simulate again (and the apply's
requests are exactly the send frames). If the simulation cannot be made (network), the
count falls back to reconciler.sms segments, without a cost. Email has no simulation mode
(and a request carrying it would be sent for real): one message per recipient, no cost.
"""

from __future__ import annotations

import math
import time
from typing import Any

from reconciler.audience import Channel, Recipient
from reconciler.engine.fields import Field, FieldMap
from reconciler.errors import ApiError, NotSentError, OutcomeUnknown, RequestNotBuilt
from reconciler.escaping import printable
from reconciler.kinds.vendor_blocks import vendor_block
from reconciler.personalize import values
from reconciler.providers.octopush.client import OctopushClient
from reconciler.providers.octopush.estimate import CURRENCY, email_estimate, local_estimate
from reconciler.providers.sendonly.provider import (
    Estimate,
    Prepared,
    Receipt,
    SendOnlyProvider,
    local_time,
)
from reconciler.sms import segments
from reconciler.workspace import Resource

SIMULATION_TTL = 3600.0
# Frames sent at once. The doc allows "several frames ... at a time", but against the
# sandbox 4 at once measured no faster than 1 (benchmarks/octopush_frames.py), and a lost
# response then leaves its siblings sent: kept at 1 until a real account shows the gain.
FRAMES_IN_FLIGHT = 1


class OctopushProvider(SendOnlyProvider):
    vendor = "octopush"
    concurrency = FRAMES_IN_FLIGHT

    def __init__(self, account, ctx):
        super().__init__(account, ctx)
        creds = account.credentials
        self.client = OctopushClient(self.base_url, creds["api_login"], creds["api_key"],
                                     **self.http_options())

    def clients(self):
        return [self.client.http]

    # what is sent -------------------------------------------------------------------------
    def _options(self, r: Resource):
        return vendor_block(r.spec, "octopush")

    def _message(self, r: Resource):
        m = self.ctx.workspace.get("Message", r.spec.message or "")
        return m.spec if m is not None else None

    def _sender(self, r: Resource):
        s = self.ctx.workspace.get("Sender", r.spec.sender or "") if r.spec.sender else None
        return s.spec if s is not None else None

    def channel(self, r: Resource) -> Channel:
        m = self._message(r)
        return "email" if m is not None and m.channel == "email" else "sms"

    def content(self, r: Resource) -> dict[str, Any]:
        m, s, o = self._message(r), self._sender(r), self._options(r)
        purpose = o.purpose if o else None
        if self.channel(r) == "sms":
            return {"channel": "sms", "text": m.text if m else None,
                    "sender": s.sms_id if s else None, "purpose": purpose,
                    "type": o.type if o else "sms_premium"}
        return {"channel": "email", "subject": m.subject, "body": m.body,
                "body_format": m.body_format,
                "template": m.template or (o.template_name if o else None),
                "email_from": s.email if s else None,
                "name_from": (s.name or s.description) if s else None, "purpose": purpose}

    def content_fields(self, r: Resource) -> FieldMap:
        m = f"Message/{r.spec.message}" if r.spec.message else "message"
        s = f"Sender/{r.spec.sender}" if r.spec.sender else "sender"
        sender = self._sender(r)
        return FieldMap(
            Field(f"{m}.channel", "channel"), Field(f"{m}.text", "text"),
            Field(f"{m}.subject", "subject"), Field(f"{m}.body", "body"),
            Field(f"{m}.body_format", "body_format"),
            # a Message's template, else the campaign's octopush.template_name
            Field(f"{m}.template", "template"),
            Field(f"{s}.email", "email_from"),
            # the sender's name, else its description (content() reads them so)
            Field(f"{s}.name" if sender is None or sender.name else f"{s}.description",
                  "name_from"),
            Field(f"{s}.sms_id", "sender"),
            Field("octopush.purpose", "purpose"), Field("octopush.type", "type"))

    def batch_size(self, r: Resource) -> int:
        o = self._options(r)
        return o.batch_size if o else 500

    def payload(self, r: Resource, prep: Prepared, batch: list[Recipient],
                send_at: str | None) -> dict[str, Any]:
        c, o = prep.content, self._options(r)
        own = r.spec.variables  # first_name, last_name, param1..5 (rules.py)
        if prep.channel == "sms":
            recipients = [{"phone_number": x.address, **x.fields(), **values(own, x.contact)}
                          for x in batch]
            return {"text": c["text"], "sender": c["sender"], "send_at": send_at,
                    "recipients": recipients, **o.sms_fields()}
        recipients = [{"email": x.address, **x.fields(), **values(own, x.contact)}
                      for x in batch]
        return {"subject": c["subject"], "send_at": send_at, "recipients": recipients,
                "template_name": c["template"],
                "text": None if c["template"] else c["body"],
                "body_format": None if c["template"] else c["body_format"],
                "email_from": c["email_from"], "name_from": c["name_from"],
                **{k: v for k, v in o.email_fields().items() if k != "template_name"}}

    # plan estimate --------------------------------------------------------------------------
    async def estimate(self, r: Resource, prep: Prepared) -> Estimate:
        n = len(prep.pending)
        if prep.channel == "email":
            return email_estimate(n, self.account.options.get("email_price"))
        opts = self.account.options
        if not (self.ctx.options.vendor_estimate or opts.get("vendor_estimate")):
            return local_estimate(prep.content["text"] or "", prep.pending,
                                  opts.get("sms_prices"),
                                  prep.content.get("type") or "sms_premium")
        sim = self.state.cached_estimate(prep.identity)
        if sim:
            if time.time() - sim["at"] < SIMULATION_TTL:
                return self._scaled(sim, n)
        sample = prep.pending[:self.batch_size(r)]
        when = r.spec.send_time() if r.spec.local_send is None else None
        at = local_time(when, r.spec.timezone) if when else None
        body = self.payload(r, prep, sample, at) | {"simulation_mode": True}
        try:
            answer = await self.client.send_sms_campaign(body)
        except ApiError as exc:
            if exc.status == 401 or exc.status == 403:
                raise
            return Estimate(refused=exc.detail)
        except RequestNotBuilt:
            raise  # a broken setting, not an unavailable simulation
        except (OutcomeUnknown, NotSentError) as exc:
            local = segments(prep.content["text"] or "").segments
            return Estimate(messages=local * n,
                            note=f"simulation unavailable ({exc}); SMS count from segments, "
                                 "no cost")
        # The vendor's numbers, as far as they are numbers (an odd answer is no crash).
        contacts = max(int(_cost(answer.get("number_of_contacts")) or len(sample)), 1)
        needed = max(int(_cost(answer.get("number_of_sms_needed")) or contacts), 1)
        sim = {"at": time.time(), "sms_per_contact": needed / contacts,
               "cost_per_sms": (_cost(answer.get("total_cost")) or 0) / needed}
        self.state.cache_estimate(prep.identity, sim)
        return self._scaled(sim, n)

    @staticmethod
    def _scaled(sim: dict[str, Any], n: int) -> Estimate:
        messages = round(sim["sms_per_contact"] * n)
        return Estimate(messages=messages, cost=round(messages * sim["cost_per_sms"], 4),
                        currency=CURRENCY, basis="the vendor's simulation_mode price of one "
                                                 "frame, scaled (--vendor-estimate)")

    # send ---------------------------------------------------------------------------------
    async def send_batch(self, r: Resource, prep: Prepared, batch: list[Recipient],
                         send_at: str | None) -> Receipt:
        body = self.payload(r, prep, batch, send_at)
        if prep.channel == "sms":
            answer = await self.client.send_sms_campaign(body)
            ticket = answer.get("sms_ticket")
        else:
            answer = await self.client.send_email_campaign(body)
            ticket = answer.get("ticket_number")
        # Accepted (2xx): sent, whatever else the answer holds; a ticket that is not text
        # is not kept (the ledger stores what the vendor said, never a guess).
        return Receipt(printable(ticket)[:200] if isinstance(ticket, str) else None,
                       _cost(answer.get("total_cost")), CURRENCY)


def _cost(value: Any) -> float | None:
    """A number of the answer (`total_cost`, a count): a finite one >= 0, or a numeric
    string; else None."""
    try:
        number = float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and math.isfinite(number) and number >= 0 else None
