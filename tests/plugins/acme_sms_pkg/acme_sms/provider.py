"""Acme SMS: POST /acme/v1/messages {sender, text, send_at, to: [phone...]}, header
X-Acme-Key; answers {"batch": ID}. Send-only: the live state is campaignctl's ledger."""

from reconciler.http import VendorHttp
from reconciler.providers.sendonly.provider import Estimate, SendOnlyProvider


class AcmeSmsProvider(SendOnlyProvider):
    vendor = "acme-sms"

    def __init__(self, account, ctx):
        super().__init__(account, ctx)
        self.http = VendorHttp("acme-sms", self.base_url,
                               {"X-Acme-Key": account.credentials["api_key"].reveal()},
                               **self.http_options())

    def clients(self):
        return [self.http]

    def channel(self, r):
        return "sms"

    def content(self, r):
        message = self.ctx.workspace.get("Message", r.spec.message or "")
        sender = self.ctx.workspace.get("Sender", r.spec.sender or "")
        return {"text": message.spec.text if message else None,
                "sender": sender.spec.sms_id if sender else None}

    def batch_size(self, r):
        return 2

    async def estimate(self, r, prep):
        return Estimate(messages=len(prep.pending))

    async def send_batch(self, r, prep, batch, send_at):
        body = {"sender": prep.content["sender"], "text": prep.content["text"],
                "send_at": send_at, "to": [x.address for x in batch]}
        response = await self.http.request("POST", "/acme/v1/messages", json=body,
                                           idempotent=False)
        return str(response.json()["batch"])
