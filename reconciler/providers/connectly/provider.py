"""connectly: WhatsApp campaign sendouts (send-only; the live state is our send ledger).

Identity of a campaign's content: campaignName + campaignVersion + sender. One entry per
recipient; `batch_size` entries per request (default 100). Requests go out with bounded
concurrency under the client's rate limiter (190 requests/s, the API allows 200); a 429
means nothing was accepted and is retried after Retry-After by the HTTP layer. Each
request is written to the ledger before and after (reconciler/providers/sendonly/), and
only once its rate-limit slot has come: a batch waiting for the limiter is not in flight,
so what a crash can leave unknown is what was on the wire (about rate x latency batches,
at most `max_concurrency`), not every queued batch.
Variables: the campaign's `variables`, then the `connectly.variables`, then the contact's
own fields (first_name, last_name, param1..param5), then the campaign's variables that take
each recipient's value (`${contact.X}`, reconciler/personalize.py) win.
"""

from __future__ import annotations

from typing import Any

from reconciler.audience import Channel, Recipient
from reconciler.engine.fields import Field, FieldMap
from reconciler.escaping import printable
from reconciler.kinds.vendor_blocks import vendor_block
from reconciler.personalize import templates, values
from reconciler.providers.connectly.client import ConnectlyClient
from reconciler.providers.sendonly.provider import Estimate, Prepared, SendOnlyProvider
from reconciler.workspace import Resource

DEFAULT_CONCURRENCY = 16


class ConnectlyProvider(SendOnlyProvider):
    vendor = "connectly"

    def __init__(self, account, ctx):
        super().__init__(account, ctx)
        creds = account.credentials
        opts = self.http_options()
        opts.setdefault("max_concurrency", DEFAULT_CONCURRENCY)
        self.concurrency = int(opts["max_concurrency"])
        self.client = ConnectlyClient(self.base_url, creds["business_id"].reveal(),
                                      creds["api_key"], **opts)

    def clients(self):
        return [self.client.http]

    def _options(self, r: Resource):
        return vendor_block(r.spec, "connectly")

    def channel(self, r: Resource) -> Channel:
        return "whatsapp"

    def content(self, r: Resource) -> dict[str, Any]:
        o = self._options(r)
        s = self.ctx.workspace.get("Sender", r.spec.sender or "") if r.spec.sender else None
        return {"campaignName": o.name_for(r.name) if o else r.name,
                "campaignVersion": o.campaign_version if o else None,
                "sender": s.spec.phone if s is not None else None}

    def content_fields(self, r: Resource) -> FieldMap:
        o = self._options(r)
        # Without `connectly.campaign_name`, the campaign's name is the manifest's.
        name = "connectly.campaign_name" if o is not None and o.campaign_name else "name"
        sender = f"Sender/{r.spec.sender}.phone" if r.spec.sender else "sender"
        return FieldMap(Field(name, "campaignName"),
                        Field("connectly.campaign_version", "campaignVersion"),
                        Field(sender, "sender"))

    def named_after(self, r: Resource, name: str) -> dict[str, Any]:
        o = self._options(r)
        return {} if o is not None and o.campaign_name else {"campaignName": name}

    def content_extra(self, r: Resource) -> dict[str, Any]:
        o = self._options(r)
        c = self.content(r)
        return {"template": f"{c['campaignName']} version {c['campaignVersion']}",
                "variables": {**r.spec.variables, **(o.variables if o else {})}}

    def batch_size(self, r: Resource) -> int:
        o = self._options(r)
        return o.batch_size if o else 100

    async def estimate(self, r: Resource, prep: Prepared) -> Estimate:
        return Estimate(messages=len(prep.pending))

    def entries(self, r: Resource, prep: Prepared, batch: list[Recipient],
                scheduled: str | None) -> list[dict]:
        c, o = prep.content, self._options(r)
        own = templates(r.spec.variables)
        common = {**{k: v for k, v in r.spec.variables.items() if k not in own},
                  **(o.variables if o else {})}
        return [{"sender": c["sender"], "client": x.address, "campaignName": c["campaignName"],
                 "campaignVersion": c["campaignVersion"], "scheduledAt": scheduled,
                 "variables": {**common, **x.fields(), **values(own, x.contact)}}
                for x in batch]

    async def before_batch(self) -> None:
        await self.client.http.pace()

    def send_rate(self) -> float | None:
        limiter = self.client.http.limiter
        return 1.0 / limiter.interval if limiter else None

    async def send_batch(self, r: Resource, prep: Prepared, batch: list[Recipient],
                         send_at: str | None) -> str | None:
        answer = await self.client.send_campaigns(self.entries(r, prep, batch, send_at),
                                                  paced=True)
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(data, list) and data:
            first = data[0].get("id") if isinstance(data[0], dict) else None
            # The ledger keeps the vendor's id as text, one short line: never another shape.
            if isinstance(first, str | int) and not isinstance(first, bool) and first != "":
                return printable(f"{first}"[:100]) + f" (+{len(data) - 1})"
        return None
