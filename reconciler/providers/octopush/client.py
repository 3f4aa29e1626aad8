"""HTTP client of the Octopush campaign-send API (octopush-sms-campaign.txt,
octopush-email-campaign.txt). Send-only: the API has no read, the ledger is ours.

Sends are not idempotent. A 5xx, a timeout after the request left or a dropped connection
raises OutcomeUnknown (from VendorHttp) and is never retried here; a 429 is retried by
VendorHttp because it means nothing was accepted.

Octopush silently ignores parameters it does not recognise and still sends, so a typo
such as `simulaton_mode` would turn a dry run into a real send. This client therefore
refuses any key the docs do not list before anything leaves the machine.
"""

from __future__ import annotations

from typing import Any

import httpx

from reconciler.contacts import PERSONAL_FIELDS
from reconciler.http import VendorHttp
from reconciler.secrets import Secret

VENDOR = "octopush"
SMS_PATH = "/v1/public/sms-campaign/send"
EMAIL_PATH = "/v1/public/email-campaign/send"

SMS_FIELDS = frozenset({
    "sender", "send_at", "text", "recipients", "purpose", "auto_delete_optout_contacts",
    "type", "list_name", "with_replies", "simulation_mode", "recipient_tracking",
    "auto_optimize_text",
})
# `text` is not in the email doc's table but its body_format entry refers to it.
# `simulation_mode` is deliberately absent: it is only documented for SMS, and an email
# request carrying it would be sent for real.
EMAIL_FIELDS = frozenset({
    "recipients", "subject", "template_name", "text", "name_from", "email_from",
    "purpose", "send_at", "emailing_service", "body_format", "language", "list_name",
})
# A recipient's documented keys: its address, and the personalisation fields the docs
# list, which are exactly a contact's (first_name, last_name, param1..param5).
RECIPIENT_FIELDS = frozenset({"phone_number", "email", *PERSONAL_FIELDS})


def _body(payload: dict[str, Any], allowed: frozenset[str], kind: str) -> dict[str, Any]:
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise ValueError(f"octopush {kind} send: undocumented field(s) {', '.join(unknown)}")
    for i, contact in enumerate(payload.get("recipients") or []):
        extra = sorted(set(contact) - RECIPIENT_FIELDS)
        if extra:
            raise ValueError(
                f"octopush {kind} send: recipients[{i}] has undocumented field(s) "
                f"{', '.join(extra)}")
    # Omit unset fields rather than send null: the vendor then applies its documented
    # defaults instead of "fixing" a null into something we did not ask for.
    return {k: v for k, v in payload.items() if v is not None}


class OctopushClient:
    def __init__(self, base_url: str, api_login: Secret, api_key: Secret, *,
                 transport: httpx.AsyncBaseTransport | None = None, **http_options: Any):
        self.http = VendorHttp(
            VENDOR, base_url,
            {"api-login": api_login.reveal(), "api-key": api_key.reveal()},
            transport=transport, **http_options)

    async def __aenter__(self) -> OctopushClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send_sms_campaign(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST the campaign; returns the vendor's answer (sms_ticket, costs, credit)."""
        body = _body(payload, SMS_FIELDS, "sms")
        response = await self.http.request("POST", SMS_PATH, json=body, idempotent=False)
        return self.http.answer(response, SMS_PATH, dict, idempotent=False)

    async def send_email_campaign(self, payload: dict[str, Any]) -> dict[str, Any]:
        """POST the campaign; returns the vendor's answer (ticket_number, costs, credit)."""
        body = _body(payload, EMAIL_FIELDS, "email")
        response = await self.http.request("POST", EMAIL_PATH, json=body, idempotent=False)
        return self.http.answer(response, EMAIL_PATH, dict, idempotent=False)
