"""OptOutList: addresses that must never receive a campaign that names the list."""

from __future__ import annotations

from pydantic import Field, field_validator

from reconciler.contacts import ADDRESS_SHAPE, ContactError, normalize_address
from reconciler.kinds.base import Kind, Strict


class OptOutListSpec(Strict):
    entries: list[str] = Field(default_factory=list, description="Emails or E.164 phone numbers",
                               json_schema_extra={"items": {"type": "string",
                                                            "pattern": ADDRESS_SHAPE}})
    file: str | None = Field(None, min_length=1, description="CSV next to the manifest with an email or phone column")
    opt_in: list[str] = Field(
        default_factory=list,
        description="Addresses explicitly re-subscribed: removed from the live list. Opt-outs "
                    "recorded live are otherwise never removed.",
        json_schema_extra={"items": {"type": "string", "pattern": ADDRESS_SHAPE}})

    @field_validator("entries", "opt_in")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        out = []
        for i, v in enumerate(values):
            try:
                out.append(normalize_address(str(v)))
            except ContactError as exc:
                raise ContactError(f"entry {i}: {exc.message}", exc.value) from None
        return out


KIND = Kind("OptOutList", OptOutListSpec)
