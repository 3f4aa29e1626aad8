"""ContactGroup: the recipients, inline or from a CSV (the Contact record itself is
reconciler/contacts.py's)."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator, model_validator

from reconciler.contacts import EMAIL_SHAPE, PHONE_SHAPE, Contact, normalize_zone
from reconciler.kinds.base import Kind, Strict, Zone, one_of_fields, optional_email, optional_phone

CONTACT_ADDRESSES = ("email", "phone")  # and so does a contact


class ContactEntry(Strict):
    model_config = ConfigDict(
        json_schema_extra=lambda s: s.update(one_of_fields(CONTACT_ADDRESSES)))

    email: str | None = Field(None, json_schema_extra={"pattern": EMAIL_SHAPE})
    phone: str | None = Field(None, description="E.164, e.g. +33612345678",
                              json_schema_extra={"pattern": PHONE_SHAPE})
    first_name: str | None = None
    last_name: str | None = None
    param1: str | None = None
    param2: str | None = None
    param3: str | None = None
    param4: str | None = None
    param5: str | None = None
    timezone: Zone | None = Field(None, description="The contact's IANA time zone (send windows "
                                                   "and local-time sends); default: from the "
                                                   "phone number, else the campaign's")

    _v_email = field_validator("email")(classmethod(lambda cls, v: optional_email(v)))
    _v_phone = field_validator("phone")(classmethod(lambda cls, v: optional_phone(v)))
    _v_zone = field_validator("timezone")(classmethod(
        lambda cls, v: normalize_zone(v) if v is not None else None))

    @model_validator(mode="after")
    def _addressable(self) -> ContactEntry:
        if not any(getattr(self, f) for f in CONTACT_ADDRESSES):
            raise ValueError("a contact needs an email or a phone")
        return self

    def contact(self) -> Contact:
        return Contact(**self.model_dump())


class ContactGroupSpec(Strict):
    title: str | None = Field(None, description="The group's name at the vendor (default: the manifest name)")
    contacts: list[ContactEntry] = Field(default_factory=list, description="Inline contacts")
    file: str | None = Field(
        None, description="CSV next to the manifest: header row with email, phone, first_name, "
                          "last_name, param1..param5")


KIND = Kind("ContactGroup", ContactGroupSpec)
