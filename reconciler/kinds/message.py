"""Message: what is sent, an email (subject and body, a body file or a vendor template)
or an SMS text."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from reconciler.kinds.base import SMS_MAX_CHARS, Kind, Strict, one_of_fields

#: the fields each channel's content takes (the other channel's are refused)
CHANNEL_FIELDS = {"email": ("subject", "body", "body_file", "template"), "sms": ("text",)}
EMAIL_BODY = ("body", "body_file", "template")  # an email has one of these...
EMAIL_BODY_EXCLUSIVE = ("body", "body_file")  # ...and not both of these


def _channel_schema(schema: dict[str, Any]) -> None:
    """MessageSpec._channel_fields as JSON Schema conditions, from the same tables."""
    rules = []
    for channel, own in CHANNEL_FIELDS.items():
        others = [f for c, fs in CHANNEL_FIELDS.items() if c != channel for f in fs]
        then: dict[str, Any] = {"properties": {f: {"type": "null"} for f in others}}
        if channel == "email":
            then["required"] = ["subject"]
            then["properties"]["subject"] = {"type": "string", "minLength": 1}
            then["anyOf"] = one_of_fields(EMAIL_BODY)["anyOf"]
            then["not"] = {"required": list(EMAIL_BODY_EXCLUSIVE)}
        else:
            then["required"] = list(own)
            then["properties"]["text"] = {"type": "string", "minLength": 1}
        rules.append({"if": {"properties": {"channel": {"const": channel}},
                             "required": ["channel"]}, "then": then})
    schema["allOf"] = rules


class MessageSpec(Strict):
    model_config = ConfigDict(json_schema_extra=_channel_schema)

    channel: Literal["email", "sms"]
    subject: str | None = Field(None, description="Email subject")
    body: str | None = Field(None, description="Email body")
    body_file: str | None = Field(
        None, min_length=1, description="Email body from a file, relative to the manifest (inside the "
                          "workspace), e.g. messages/spring-fr.html")
    body_format: Literal["plain_text", "html"] = "plain_text"
    template: str | None = Field(None, description="A vendor-side template name (email)")
    text: str | None = Field(None, description=f"SMS text, 1 to {SMS_MAX_CHARS} characters",
                             json_schema_extra={"maxLength": SMS_MAX_CHARS})

    @model_validator(mode="after")
    def _channel_fields(self) -> MessageSpec:
        if self.channel == "email":
            if any(getattr(self, f) is not None for f in CHANNEL_FIELDS["sms"]):
                raise ValueError("`text` is for SMS; an email message has subject and body")
            if not self.subject:
                raise ValueError("an email message needs a subject")
            if all(getattr(self, f) is not None for f in EMAIL_BODY_EXCLUSIVE):
                raise ValueError("`body` and `body_file` both give the body: keep one")
            if not any(getattr(self, f) for f in EMAIL_BODY):
                raise ValueError("an email message needs a body, a body_file or a template")
        else:
            if any(getattr(self, f) is not None for f in CHANNEL_FIELDS["email"]):
                raise ValueError("an SMS message has `text` only (no subject, body or template)")
            if not self.text:
                raise ValueError("an SMS message needs text")
        return self

    @field_validator("text")
    @classmethod
    def _text_length(cls, v: str | None) -> str | None:
        # A field check, so the error points at `text:` rather than at `spec:`.
        if v is not None and len(v) > SMS_MAX_CHARS:
            raise ValueError(f"SMS text is {len(v)} characters; the limit is {SMS_MAX_CHARS}")
        return v


KIND = Kind("Message", MessageSpec)
