"""The vendor-neutral manifest kinds (pydantic v2). Vendor-only options sit under a key
named after the vendor type (`octopush:`, `connectly:`, `scheduled-campaigns:`...); their
models live in the vendor's folder and are attached here from the catalog."""

from __future__ import annotations

import datetime as _dt
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    create_model,
    field_validator,
    model_validator,
)

from reconciler.contacts import (
    ADDRESS_FIELDS,
    ADDRESS_SHAPE,
    EMAIL_SHAPE,
    FIELDS,
    PHONE_SHAPE,
    Contact,
    ContactError,
    normalize_address,
    normalize_email,
    normalize_phone,
    normalize_zone,
)
from reconciler.policy.zones import known_zone, zone_names
from reconciler.vendors import installed, vendor_options

# The rules below are written once and used twice: by the validators, and by the JSON
# Schemas for editors (reconciler/schema.py), as patterns, lengths and enums.
NAME_PATTERN = r"^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$"
SMS_SENDER_PATTERN = r"^[A-Za-z0-9]{3,11}$"
SMS_SENDER = re.compile(SMS_SENDER_PATTERN)
SMS_MAX_CHARS = 1224
#: A send time as written: ISO 8601 date and time with its UTC offset (or Z)
SEND_TIME_PATTERN = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
                     r"([Zz]|[+-][0-9]{2}:?[0-9]{2})$")
SEND_TIME = re.compile(SEND_TIME_PATTERN)
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MIN_TIME = datetime(1970, 1, 2, tzinfo=UTC)
MAX_TIME = datetime(9998, 12, 31, tzinfo=UTC)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Lifecycle(Strict):
    prevent_destroy: bool = Field(False, description="Refuse any plan that deletes or replaces this resource")
    ignore_changes: list[str] = Field(
        default_factory=list,
        description="Spec fields (dotted paths) whose live drift is not planned as an update")
    new_send: bool = Field(
        False, description="This Campaign really is a new send, although a campaign no longer "
                           "in the manifests already sent the same content to some of the same "
                           "people (without it the plan refuses: was it a rename? see "
                           "`campaignctl state mv`)")


#: The envelope's keys in the order manifests are written (`import`) and formatted (`fmt`).
ENVELOPE_ORDER = ("kind", "name", "provider", "for_each", "lifecycle", "spec")


class Envelope(Strict):
    """One YAML document: kind, name, provider account and the kind's spec."""

    kind: Literal["Sender", "OptOutList", "ContactGroup", "Message", "Campaign"]
    name: str = Field(pattern=NAME_PATTERN, description="Unique per kind in the workspace")
    provider: str = Field(description="An account named in campaignctl.yaml")
    spec: dict[str, Any] = Field(default_factory=dict)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)


def _email(v: str | None) -> str | None:
    return normalize_email(v) if v is not None else None


def _phone(v: str | None) -> str | None:
    return normalize_phone(v) if v is not None else None


def one_of_fields(fields: tuple[str, ...]) -> dict[str, Any]:
    """The schema of "at least one of these fields, non-empty"."""
    return {"anyOf": [{"required": [f], "properties": {f: {"type": "string", "minLength": 1}}}
                      for f in fields]}


#: one time zone name: the same list validate checks (the tzdata package's)
ZONE_SCHEMA = WithJsonSchema({"type": "string", "enum": list(zone_names()),
                              "description": "An IANA time zone, e.g. Europe/Paris"})
Zone = Annotated[str, ZONE_SCHEMA]
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

    _v_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _v_phone = field_validator("phone")(classmethod(lambda cls, v: _phone(v)))

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


class _ContactRules(Strict):  # ContactEntry's checks; create_model adds its fields
    model_config = ConfigDict(
        json_schema_extra=lambda s: s.update(one_of_fields(ADDRESS_FIELDS)))

    _v_email = field_validator("email", check_fields=False)(classmethod(lambda cls, v: _email(v)))
    _v_phone = field_validator("phone", check_fields=False)(classmethod(lambda cls, v: _phone(v)))
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
        None, description="CSV next to the manifest: header row with email, phone, first_name, "
                          "last_name, param1..param5")


class OptOutListSpec(Strict):
    entries: list[str] = Field(default_factory=list, description="Emails or E.164 phone numbers",
                               json_schema_extra={"items": {"type": "string",
                                                            "pattern": ADDRESS_SHAPE}})
    file: str | None = Field(None, description="CSV next to the manifest with an email or phone column")
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
        None, description="Email body from a file, relative to the manifest (inside the "
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


class LocalSendAt(Strict):
    """Send each recipient at this wall-clock time in their own zone (`send_at: {local:
    "10:30", date: 2027-03-20}`). Send-only accounts send one wave per zone; accounts that
    schedule one time per campaign use the campaign's `timezone`."""

    local: str = Field(pattern=LOCAL_TIME_PATTERN,
                       description="Wall-clock time HH:MM in each recipient's zone")
    date: Annotated[_dt.date, WithJsonSchema({"type": "string", "pattern": DATE_PATTERN})] = Field(
        description="The calendar day, YYYY-MM-DD, in each recipient's zone")
    late: Literal["refuse", "send-next-window"] = Field(
        "refuse", description="A wave whose time has passed at apply: `refuse` (default) or "
                              "`send-next-window` (at the next time the send window allows)")

    @field_validator("date", mode="before")
    @classmethod
    def _written_as_a_date(cls, v: Any) -> Any:
        # pydantic would take a number as a Unix time and a datetime string as its day
        if isinstance(v, _dt.date) or (isinstance(v, str) and re.fullmatch(DATE_PATTERN, v)):
            return v
        raise ValueError(f"{v!r} is not a date: write YYYY-MM-DD")

    @field_validator("date")
    @classmethod
    def _in_range(cls, v: _dt.date) -> _dt.date:
        if not MIN_TIME.date() < v < MAX_TIME.date():
            raise ValueError(f"{v} is out of range: between {MIN_TIME:%Y-%m-%d} and "
                             f"{MAX_TIME:%Y-%m-%d}")
        return v

    def in_zone(self, zone: str) -> datetime:
        """This wall time in `zone`; a time skipped by a clock change moves forward with it,
        a repeated one takes its first occurrence."""
        hours, minutes = map(int, self.local.split(":"))
        tz = ZoneInfo(zone)
        naive = datetime(self.date.year, self.date.month, self.date.day, hours, minutes)
        aware = naive.replace(tzinfo=tz)
        back = aware.astimezone(ZoneInfo("UTC")).astimezone(tz).replace(tzinfo=None)
        if back != naive:  # in a spring-forward gap
            aware = (naive + timedelta(hours=1)).replace(tzinfo=tz)
        return aware

    def describe(self) -> str:
        return f"{self.date.isoformat()} {self.local} local time"


def _send_at(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One clear message instead of pydantic's one-per-union-member."""
    if isinstance(value, dict):
        try:
            return LocalSendAt.model_validate(value)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'send_at'}: {e['msg']}"
                                 for e in exc.errors())
            raise ValueError(f"local send time: {problems} (write e.g. "
                             '{local: "10:30", date: 2027-03-20})') from None
    # Only what the schema accepts reaches pydantic: SEND_TIME_PATTERN, or a Unix time as a
    # whole number (not a float, a bool or a string of digits, which pydantic would take).
    if value is None or value == "now" or isinstance(value, datetime) or (
            isinstance(value, str) and SEND_TIME.fullmatch(value)) or (
            isinstance(value, int) and not isinstance(value, bool)):
        try:
            parsed = handler(value)
        except ValidationError:
            pass
        else:
            if isinstance(parsed, datetime):
                check_time_range(parsed)
            return parsed
    try:
        parsed = datetime.fromisoformat(str(value).replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write ISO 8601 with a UTC offset, e.g. "
                         "2027-03-20T09:00:00-04:00, `now`, or a local time "
                         '{local: "10:30", date: 2027-03-20}') from None
    if parsed.tzinfo is None:
        raise ValueError(f"{value} has no UTC offset, so it is ambiguous: add one, e.g. "
                         f"{parsed.isoformat()}-04:00 (or Z for UTC)")
    raise ValueError(f"{value!r} is not a valid time")


def check_time_range(when: datetime) -> None:
    """Every vendor and time zone can express it: 9999-12-31T23:59:59-14:00 is year 10000
    in UTC, which no datetime holds."""
    try:
        utc = when.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not MIN_TIME <= utc <= MAX_TIME:
        raise ValueError(f"{when.isoformat()} is out of range: a send time must be between "
                         f"{MIN_TIME:%Y-%m-%d} and {MAX_TIME:%Y-%m-%d} (UTC)")


SendTime = Annotated[AwareDatetime, WithJsonSchema({"anyOf": [
    {"type": "string", "pattern": SEND_TIME_PATTERN,
     "description": "ISO 8601 with a UTC offset, e.g. 2027-03-20T09:00:00-04:00"},
    {"type": "integer", "minimum": int(MIN_TIME.timestamp()),
     "maximum": int(MAX_TIME.timestamp()), "description": "A Unix time (seconds)"}]})]
SendAt = Annotated[SendTime | Literal["now"] | LocalSendAt | None, WrapValidator(_send_at)]


class CampaignSpec(Strict):
    title: str | None = Field(None, description="The campaign's name at the vendor (default: the manifest name)")
    message: str | None = Field(None, description="Name of a Message manifest")
    sender: str | None = Field(None, description="Name of a Sender manifest")
    contact_groups: list[str] = Field(default_factory=list, description="Names of ContactGroup manifests")
    opt_out_lists: list[str] = Field(default_factory=list, description="Names of OptOutList manifests")
    send_at: SendAt = Field(
        None, description="When to send: a time with its UTC offset, `now`, or a local time in "
                          'each recipient\'s zone: {local: "10:30", date: 2027-03-20}')
    purpose: Literal["marketing", "transactional"] | None = Field(
        None, description="What the campaign is for: send windows apply to `marketing` "
                          "(the default). Octopush takes it from its own `purpose`.")
    timezone: Zone | None = Field(None, description="IANA time zone of the recipients, e.g. Europe/Paris")
    state: Literal["draft", "scheduled", "ready", "active", "paused", "cancelled"] | None = Field(
        None, description="Desired state (which ones apply depends on the provider)")
    variables: dict[str, str] = Field(default_factory=dict, description="Personalisation variables")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not known_zone(v):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name such as Europe/Paris)")
        try:
            ZoneInfo(v)
        except ZoneInfoNotFoundError:
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    def send_time(self) -> datetime | None:
        """The one instant of a fixed send (a local-time send in the campaign's zone)."""
        if isinstance(self.send_at, LocalSendAt):
            return self.send_at.in_zone(self.timezone) if self.timezone else None
        return self.send_at if isinstance(self.send_at, datetime) else None

    @property
    def local_send(self) -> LocalSendAt | None:
        return self.send_at if isinstance(self.send_at, LocalSendAt) else None


BASE_SPECS: dict[str, type[Strict]] = {
    "Sender": SenderSpec,
    "OptOutList": OptOutListSpec,
    "ContactGroup": ContactGroupSpec,
    "Message": MessageSpec,
    "Campaign": CampaignSpec,
}


@cache
def spec_model(kind: str) -> type[Strict]:
    """The kind's spec model with every vendor block attached under its vendor-type key."""
    base = BASE_SPECS[kind]
    fields: dict[str, Any] = {}
    for vtype, model in vendor_options(kind).items():
        key = installed()[vtype].options_key
        fields[key] = (model | None, Field(None, alias=vtype,
                                            description=f"Options for `{vtype}` accounts"))
    if not fields:
        return base
    return create_model(base.__name__, __base__=base, __module__=__name__, **fields)


def ignorable_fields(kind: str, vendor_type: str | None = None) -> list[str]:
    """What `lifecycle.ignore_changes` may name on a `kind` held by `vendor_type` (any vendor
    when None, as the schema for editors cannot know the account): the spec's fields, the
    vendor block's as `vendor.field`, and the vendor's own name for a planned field."""
    names = list(BASE_SPECS[kind].model_fields)
    for vtype, model in vendor_options(kind).items():
        if vendor_type in (None, vtype):
            names += [vtype, *(f"{vtype}.{f}" for f in model.model_fields)]
    for vtype, vendor in installed().items():
        if vendor_type in (None, vtype):
            names += vendor.plan_fields.get(kind, ())
    return sorted(set(names))


def vendor_block(spec: BaseModel, vendor_type: str) -> Any:
    return getattr(spec, installed()[vendor_type].options_key, None)
