"""Sandbox emulator of the Octopush SMS and email campaign-send endpoints.

Faithful to octopush-sms-campaign.txt / octopush-email-campaign.txt: header auth, the
documented error shape {"code": N, "message": "..."} (HTTP 400; 401 without credentials),
the STOP rule (code 121) for marketing SMS, and the documented success bodies. Where the
real API "fixes" bad input silently, the emulator rejects it instead, so client bugs show
up in tests rather than as a surprising real send. Error codes other than 121 are ours.

Accounts: the `api-login` header names the account and `api-key` must be one of its keys
(reconciler/sandbox/accounts.py); a missing header or a wrong key is a 401 Unauthorized
with the documented error shape. Each login has its own credit. Written from the doc and
3GPP TS 23.038 alone (its own SMS segment count), sharing no code with the client.

Every delivered recipient is committed to sqlite (data_dir/octopush/deliveries.db) before
the response goes out, and GET /_sandbox/octopush/deliveries summarises them so tests can
prove "never sent twice". simulation_mode (SMS only, as documented) validates and prices
but records and charges nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.accounts import Accounts
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.deliveries import DeliveryLog

VENDOR = "octopush"
CREDENTIALS = ("api_login", "api_key")

# Prices (EUR) and the credit every sandbox account starts with. Our choice: the docs
# give none. The credit covers a 100,000-contact premium campaign several times.
SMS_PRICE = {"sms_premium": 0.055, "sms_low_cost": 0.035}
EMAIL_PRICE = 0.002
START_CREDIT = 50_000.0

MAX_RECIPIENTS = 100_001  # documented hard limit; 200-500 per request is the advice
MAX_TEXT = 1224

# Error codes. 121 is documented; the others are ours.
E_BODY, E_AUTH, E_CREDIT, E_SENDER, E_TEXT = 100, 101, 104, 106, 107
E_RECIPIENTS, E_SEND_AT, E_TYPE, E_PURPOSE, E_FIELD, E_STOP = 110, 111, 112, 113, 114, 121
E_SUBJECT, E_FROM, E_CONTENT = 130, 131, 132

SENDER_RE = re.compile(r"[a-zA-Z0-9]{3,11}")
PHONE_RE = re.compile(r"\+[0-9]{8,15}")


# 3GPP TS 23.038: the GSM 7-bit default alphabet (one septet each; ESC 0x1B left out) and
# its extension table (ESC + code: two septets each). Anything else makes the whole text
# UCS-2, counted in UTF-16 code units.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("\f^{}\\[~]|€")


def sms_needed(text: str) -> int:
    """SMS billed for one recipient: 160 septets (70 UCS-2 units) fit one; a longer text
    goes in parts of 153 (67), never splitting an escape pair or a surrogate pair."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        sizes, single, part = [2 if c in GSM_EXTENDED else 1 for c in text], 160, 153
    else:
        sizes, single, part = [2 if ord(c) > 0xFFFF else 1 for c in text], 70, 67
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


class Invalid(Exception):
    def __init__(self, code: int, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message}, self.status)


def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Invalid(E_FIELD, f"{name} must be a boolean.")
    return value


def _choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], default: str | None,
            code: int) -> str | None:
    value = body.get(name)
    if value is None:
        return default
    if value not in allowed:
        raise Invalid(code, f"{name} must be one of {', '.join(allowed)}.")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise Invalid(E_FIELD, f"{name} must be a non-empty string.")
    return value


def _send_at(body: dict[str, Any]) -> str | None:
    value = body.get("send_at")
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.utcoffset() is None:
        raise Invalid(E_SEND_AT, "send_at must be an ISO 8601 date-time with a UTC offset "
                      "(e.g. 2018-10-03T07:42:39-07:00).")
    return value


def _recipients(body: dict[str, Any], key: str, check) -> list[str]:
    recipients = body.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise Invalid(E_RECIPIENTS, "recipients must be a non-empty list of contacts.")
    if len(recipients) > MAX_RECIPIENTS:
        raise Invalid(E_RECIPIENTS, f"Too many recipients (at most {MAX_RECIPIENTS}).")
    out = []
    for i, contact in enumerate(recipients):
        value = contact.get(key) if isinstance(contact, dict) else None
        if not isinstance(value, str) or not check(value):
            raise Invalid(E_RECIPIENTS, f"recipients[{i}].{key} is missing or invalid.")
        out.append(value)
    return out


def _valid_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def validate_sms(body: dict[str, Any]) -> dict[str, Any]:
    sender = body.get("sender")
    if sender is not None and not (isinstance(sender, str) and SENDER_RE.fullmatch(sender)):
        raise Invalid(E_SENDER, "sender must be 3 to 11 characters from a-z, A-Z, 0-9.")
    text = body.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
        raise Invalid(E_TEXT, f"text must be 1 to {MAX_TEXT} characters.")
    phones = _recipients(body, "phone_number", PHONE_RE.fullmatch)
    purpose = _choice(body, "purpose", ("alert", "wholesale"), "wholesale", E_PURPOSE)
    sms_type = _choice(body, "type", tuple(SMS_PRICE), "sms_premium", E_TYPE)
    send_at = _send_at(body)
    _optional_str(body, "list_name")
    for flag in ("auto_delete_optout_contacts", "with_replies", "recipient_tracking",
                 "auto_optimize_text"):
        _bool(body, flag, False)
    simulation = _bool(body, "simulation_mode", False)
    if purpose == "wholesale" and "STOP" not in text:
        raise Invalid(E_STOP, "Mention STOP is missing.")
    return {"text": text, "phones": phones, "type": sms_type, "send_at": send_at,
            "simulation": simulation}


def validate_email_send(body: dict[str, Any]) -> dict[str, Any]:
    emails = _recipients(body, "email", _valid_email)
    subject = body.get("subject")
    if not isinstance(subject, str) or not subject.strip():
        raise Invalid(E_SUBJECT, "subject is required.")
    email_from = body.get("email_from")
    if not isinstance(email_from, str) or not _valid_email(email_from):
        raise Invalid(E_FROM, "email_from must be a valid email address.")
    name_from = body.get("name_from")
    if not isinstance(name_from, str) or not name_from.strip():
        raise Invalid(E_FROM, "name_from is required.")
    template, text = _optional_str(body, "template_name"), _optional_str(body, "text")
    if (template is None) == (text is None):
        raise Invalid(E_CONTENT, "Give exactly one of template_name or text.")
    _choice(body, "body_format", ("plain_text", "html"), "plain_text", E_FIELD)
    _choice(body, "emailing_service", ("mailbox", "gateway"), None, E_FIELD)
    _choice(body, "purpose", ("alert", "wholesale"), "wholesale", E_PURPOSE)
    _optional_str(body, "language")
    _optional_str(body, "list_name")
    return {"subject": subject, "emails": emails, "send_at": _send_at(body)}


def create_routes(data_dir: Path, clock: SandboxClock, accounts: Accounts,
                  ) -> list[BaseRoute]:
    log = DeliveryLog(Path(data_dir) / "octopush" / "deliveries.db")

    async def parse(request: Request) -> tuple[str, dict[str, Any]]:
        login = request.headers.get("api-login", "").strip()
        key = request.headers.get("api-key", "").strip()
        if not login or not key:
            raise Invalid(E_AUTH, "Missing api-login or api-key header.", 401)
        if accounts.open(VENDOR, login, key) is None:
            raise Invalid(E_AUTH, "Unauthorized: wrong api-login or api-key.", 401)
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Invalid(E_BODY, "Request body must be valid JSON.") from None
        if not isinstance(body, dict):
            raise Invalid(E_BODY, "Request body must be a JSON object.")
        return login, body

    def charge(db: sqlite3.Connection, login: str, cost: float) -> float:
        db.execute("INSERT OR IGNORE INTO accounts VALUES (?, ?)", (login, START_CREDIT))
        (credit,) = db.execute("SELECT credit FROM accounts WHERE login = ?",
                               (login,)).fetchone()
        if cost > credit:
            raise Invalid(E_CREDIT, "You have run out of credit.")
        db.execute("UPDATE accounts SET credit = ? WHERE login = ?", (credit - cost, login))
        return credit - cost

    def deliver(login: str, channel: str, ticket: str, campaign: str, recipients: list[str],
                send_at: str | None, cost: float, simulation: bool) -> float:
        """Charge and record in one transaction, committed before the response."""
        now = clock.now().isoformat()
        with closing(log.connect()) as db, db:
            residual = charge(db, login, cost)
            if simulation:
                db.rollback()  # same checks, nothing charged or recorded
                return residual + cost
            log.insert(db, [(ticket, channel, campaign, r, send_at, now) for r in recipients])
        return residual

    async def send_sms(request: Request) -> Response:
        try:
            login, body = await parse(request)
            sms = validate_sms(body)
            contacts = len(sms["phones"])
            needed = sms_needed(sms["text"]) * contacts
            cost = round(needed * SMS_PRICE[sms["type"]], 8)
            ticket = f"sms_{uuid.uuid4().hex[:13]}"
            residual = deliver(login, "sms", ticket, sms["text"], sms["phones"],
                               sms["send_at"], cost, sms["simulation"])
        except Invalid as exc:
            return exc.response()
        if sms["simulation"]:
            message = "Simulation: nothing was sent."
        elif sms["send_at"]:
            message = f"Campaign scheduled for {sms['send_at']}."
        else:
            message = "Campaign sent."
        return JSONResponse({
            "sms_ticket": ticket, "number_of_contacts": contacts, "total_cost": cost,
            "number_of_sms_needed": needed, "residual_credit": round(residual, 8),
            "message": message})

    async def send_email(request: Request) -> Response:
        try:
            login, body = await parse(request)
            mail = validate_email_send(body)
            contacts = len(mail["emails"])
            cost = round(contacts * EMAIL_PRICE, 8)
            ticket = f"email_{uuid.uuid4().hex[:13]}"
            # simulation_mode is not documented for email: like the real API, ignore it.
            # Recorded lower-cased: one mailbox in two spellings is still one person.
            emails = [e.lower() for e in mail["emails"]]
            residual = deliver(login, "email", ticket, mail["subject"], emails,
                               mail["send_at"], cost, False)
        except Invalid as exc:
            return exc.response()
        return JSONResponse({"ticket_number": ticket, "number_of_contacts": contacts,
                             "total_cost": cost, "residual_credit": round(residual, 8)})

    return [
        Route("/v1/public/sms-campaign/send", send_sms, methods=["POST"]),
        Route("/v1/public/email-campaign/send", send_email, methods=["POST"]),
    ] + log.routes("octopush")
