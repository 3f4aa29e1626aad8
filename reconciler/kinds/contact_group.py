"""ContactGroup: the recipients, inline or from a CSV (the Contact record itself is
reconciler/contacts.py's)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, create_model, field_validator, model_validator

from reconciler.contacts import (
    ADDRESS_FIELDS,
    EMAIL_SHAPE,
    FIELDS,
    PHONE_SHAPE,
    Contact,
    normalize_zone,
)
from reconciler.kinds.base import Kind, Strict, Zone, one_of_fields, optional_email, optional_phone


class _ContactRules(Strict):  # ContactEntry's checks; create_model adds its fields
    model_config = ConfigDict(
        json_schema_extra=lambda s: s.update(one_of_fields(ADDRESS_FIELDS)))

    _v_email = field_validator("email", check_fields=False)(
        classmethod(lambda cls, v: optional_email(v)))
    _v_phone = field_validator("phone", check_fields=False)(
        classmethod(lambda cls, v: optional_phone(v)))
    _v_zone = field_validator("timezone", check_fields=False)(classmethod(
        lambda cls, v: normalize_zone(v) if v is not None else None))

    @model_validator(mode="after")
    def _addressable(self) -> Any:
        if not any(getattr(self, f) for f in ADDRESS_FIELDS):
            raise ValueError("a contact needs an email or a phone")
        return self

    def contact(self) -> Contact:
        return Contact(**self.model_dump())


#: The contact fields whose manifest form is more than an optional string.
_CONTACT_FIELD_TYPES: dict[str, tuple[Any, Any]] = {
    "email": (str | None, Field(None, json_schema_extra={"pattern": EMAIL_SHAPE})),
    "phone": (str | None, Field(None, description="E.164, e.g. +33612345678",
                                json_schema_extra={"pattern": PHONE_SHAPE})),
    "timezone": (Zone | None, Field(None, description=(
        "The contact's IANA time zone (send windows and local-time sends); default: from the "
        "phone number, else the campaign's"))),
}
#: An inline contact of a ContactGroup: one field per contact field (contacts.FIELDS), in
#: that order, so the manifest, the CSV columns and the Contact tuple never drift apart.
ContactEntry = create_model(
    "ContactEntry", __base__=_ContactRules, __module__=__name__,
    **{f: _CONTACT_FIELD_TYPES.get(f, (str | None, None)) for f in FIELDS})


class ContactGroupSpec(Strict):
    title: str | None = Field(None, description="The group's name at the vendor (default: the manifest name)")
    contacts: list[ContactEntry] = Field(default_factory=list, description="Inline contacts")
    file: str | None = Field(
        None, min_length=1, description="CSV next to the manifest: header row with email, phone, first_name, "
                          "last_name, param1..param5")


KIND = Kind("ContactGroup", ContactGroupSpec)
