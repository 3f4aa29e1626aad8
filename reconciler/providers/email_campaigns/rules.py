"""What an email-campaigns account can express (validate time, no API calls)."""

from __future__ import annotations

from reconciler.contacts import is_phone
from reconciler.errors import Diagnostic
from reconciler.providers.email_campaigns.timezones import IANA_TO_API, LocalTimeError, to_api
from reconciler.workspace import Resource, Workspace


def check(r: Resource, ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def err(loc: tuple, msg: str) -> None:
        out.append(Diagnostic(r.locate(*loc), f"{r.address}: {msg}"))

    spec = r.spec
    if r.kind == "Sender":
        if not spec.email:
            err((), "an email-campaigns sender needs an `email` (the registered from address)")
        for f in ("sms_id", "phone"):
            if getattr(spec, f):
                err((f,), f"`{f}` does not apply to an email-campaigns sender")
        if spec.name:
            # The API's sender holds an email and a description only: a display name would
            # be dropped without a word.
            err(("name",), "email-campaigns senders have no display name (the API holds "
                           "`email` and `description`); remove `name` or put it in "
                           "`description`")
    elif r.kind == "Message":
        if spec.channel != "email":
            err(("channel",), "email-campaigns sends email only")
        elif spec.template:
            err(("template",), "email-campaigns messages have no templates; use `body`")
        if spec.body_format != "plain_text":
            err(("body_format",), f"email-campaigns sends plain text only (the API's "
                                  f"`email_message` is a string with no format); "
                                  f"body_format {spec.body_format!r} cannot be held")
    elif r.kind in ("ContactGroup", "OptOutList"):
        if r.kind == "ContactGroup":
            for i, c in enumerate(spec.contacts):
                if not c.email:
                    err(("contacts", i), "email-campaigns contacts need an email")
        else:
            for i, e in enumerate([*spec.entries, *spec.opt_in]):
                if is_phone(e):
                    err(("entries", i), "email-campaigns opt-outs are emails, not phones")
    elif r.kind == "Campaign":
        _campaign(r, ws, err)
    return out


def _campaign(r: Resource, ws: Workspace, err) -> None:
    spec = r.spec
    if spec.variables:
        err(("variables",), "email-campaigns campaigns have no personalisation variables "
                            "(the API has none); remove `variables`")
    for field in ("message", "sender"):
        if not getattr(spec, field):
            err((), f"an email-campaigns campaign needs a `{field}`")
    if len(spec.contact_groups) != 1:
        err(("contact_groups",), "an email-campaigns campaign targets exactly one contact group")
    if spec.state not in (None, "active", "paused", "cancelled"):
        err(("state",), f"state {spec.state!r} does not exist here (active, paused, cancelled)")
    if spec.timezone is None:
        err((), "an email-campaigns campaign needs a `timezone` "
                f"({', '.join(IANA_TO_API)})")
    elif spec.timezone not in IANA_TO_API:
        err(("timezone",), f"time zone {spec.timezone!r} is not accepted by email-campaigns; "
                           f"use one of {', '.join(IANA_TO_API)}")
    when = spec.send_time()
    if when is None:
        err(("send_at",) if spec.send_at else (),
            "an email-campaigns campaign needs a `send_at` time (with its UTC offset)")
    elif spec.timezone in IANA_TO_API:
        try:
            to_api(when, spec.timezone)
        except LocalTimeError as exc:
            err(("send_at",), str(exc))
