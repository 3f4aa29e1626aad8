"""Sender: who a message comes from (an email address, an SMS sender id or a phone)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from reconciler.contacts import EMAIL_SHAPE, PHONE_SHAPE
from reconciler.kinds.base import (
    SMS_SENDER,
    SMS_SENDER_PATTERN,
    Kind,
    Strict,
    one_of_fields,
    optional_email,
    optional_phone,
)

ADDRESSES = ("email", "sms_id", "phone")  # a sender has at least one


class SenderSpec(Strict):
    description: str | None = Field(None, description="A friendly name for the sender")
    email: str | None = Field(None, description="From address for email",
                              json_schema_extra={"pattern": EMAIL_SHAPE})
    name: str | None = Field(None, description="Display name shown with the from address")
    sms_id: str | None = Field(None, description="Alphanumeric SMS sender, 3-11 letters/digits",
                               json_schema_extra={"pattern": SMS_SENDER_PATTERN})
    phone: str | None = Field(None, description="Sender phone number in E.164 (WhatsApp/SMS)",
                              json_schema_extra={"pattern": PHONE_SHAPE})
    model_config = ConfigDict(json_schema_extra=lambda s: s.update(one_of_fields(ADDRESSES)))

    _v_email = field_validator("email")(classmethod(lambda cls, v: optional_email(v)))
    _v_phone = field_validator("phone")(classmethod(lambda cls, v: optional_phone(v)))

    @field_validator("sms_id")
    @classmethod
    def _sms_id(cls, v: str | None) -> str | None:
        if v is not None and not SMS_SENDER.fullmatch(v):
            raise ValueError(f"SMS sender {v!r} must be 3 to 11 letters or digits (a-z, A-Z, 0-9)")
        return v

    @model_validator(mode="after")
    def _one_address(self) -> SenderSpec:
        if not any(getattr(self, f) for f in ADDRESSES):
            raise ValueError("a sender needs an email, an sms_id or a phone")
        return self


KIND = Kind("Sender", SenderSpec)
