"""The `octopush:` block of a Campaign manifest: vendor-only send options.

`simulation_mode` is not an option: plan uses it to price a send, apply never does.
`body_format` comes from the neutral Message (html or plain text body).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SMS_ONLY = ("type", "with_replies", "recipient_tracking", "auto_delete_optout_contacts",
            "auto_optimize_text")
EMAIL_ONLY = ("template_name", "emailing_service", "language")


class CampaignOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purpose: Literal["alert", "wholesale"] = Field(
        description="Why the campaign is sent: `alert` (transactional) or `wholesale` "
        "(marketing). Required: the vendor defaults to marketing, and marketing content sent "
        "as an alert breaks its terms. Marketing SMS must mention STOP.")
    type: Literal["sms_premium", "sms_low_cost"] = Field(
        "sms_premium", description="SMS only. Delivery route: `sms_premium` (custom sender, "
        "guaranteed delivery) or `sms_low_cost` (cheaper, no custom sender).")
    with_replies: bool = Field(False, description="SMS only. Collect recipients' replies.")
    recipient_tracking: bool = Field(
        False, description="SMS only. Track each recipient's delivery.")
    auto_delete_optout_contacts: bool = Field(
        False, description="SMS only. Let the vendor skip contacts on its own opt-out list.")
    auto_optimize_text: bool = Field(
        True, description="SMS only. Let the vendor rewrite the text (drop extra spaces, "
        "replace non-GSM characters) to need fewer SMS per contact.")
    list_name: str | None = Field(
        None, min_length=1,
        description="Name of a contact list the vendor creates from the recipients.")
    batch_size: int = Field(
        500, ge=200, le=500,
        description="Recipients per request. The vendor advises 200 to 500 per call.")
    template_name: str | None = Field(
        None, min_length=1,
        description="Email only. A template stored at the vendor, instead of the "
        "message body.")
    emailing_service: Literal["mailbox", "gateway"] | None = Field(
        None, description="Email only. Vendor emailing service: `mailbox` or `gateway`.")
    language: str | None = Field(
        None, min_length=2,
        description="Email only. Language of the unsubscribe mention the vendor adds, "
        "e.g. `fr` or `en`.")

    def neutral_purpose(self) -> Literal["marketing", "transactional"]:
        """`alert` is transactional, `wholesale` marketing (send windows apply to it)."""
        return "transactional" if self.purpose == "alert" else "marketing"

    def fields_not_for(self, channel: Literal["sms", "email"]) -> list[str]:
        """Options set in the manifest that the given channel's endpoint does not take."""
        other = EMAIL_ONLY if channel == "sms" else SMS_ONLY
        return [f for f in other if f in self.model_fields_set]

    def sms_fields(self) -> dict[str, Any]:
        """The SMS endpoint's fields these options fill (the engine adds text, sender,
        send_at, recipients and, when planning, simulation_mode)."""
        return {"purpose": self.purpose, "type": self.type, "with_replies": self.with_replies,
                "recipient_tracking": self.recipient_tracking,
                "auto_delete_optout_contacts": self.auto_delete_optout_contacts,
                "auto_optimize_text": self.auto_optimize_text, "list_name": self.list_name}

    def email_fields(self) -> dict[str, Any]:
        """The email endpoint's fields these options fill (the engine adds subject,
        text/body_format, name_from, email_from, send_at and recipients)."""
        return {"purpose": self.purpose, "template_name": self.template_name,
                "emailing_service": self.emailing_service, "language": self.language,
                "list_name": self.list_name}
