"""Contacts and opt-out entries: normalisation, validation and streaming CSV reading.

A CSV is read row by row (never all at once) so a 1,000,000-row file does not become
1,000,000 dicts; callers keep only what they need (e.g. a set of keys).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from reconciler.workspace_files import bounded_lines, header_names, open_csv, printable, shown

FIELDS = ("email", "phone", "first_name", "last_name",
          "param1", "param2", "param3", "param4", "param5")


class Contact(NamedTuple):
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    param1: str | None = None
    param2: str | None = None
    param3: str | None = None
    param4: str | None = None
    param5: str | None = None

    @property
    def key(self) -> str:
        """The identity of a contact within a group: its email, else its phone."""
        return self.email or self.phone or ""

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)


class ContactError(ValueError):
    """A contact that is not valid. Its message names the problem, never the address
    (validate output ends up in CI logs and pull-request annotations); `shown` adds the
    address for `--show-contacts`."""

    def __init__(self, message: str, value: str | None = None):
        self.message, self.value = message, value
        super().__init__(message)

    @property
    def shown(self) -> str:
        return self.message if self.value is None else f"{self.message} [{shown(self.value)}]"


def _scrub(detail: str, value: str) -> str:
    """email-validator's explanation without the address or its parts."""
    local, _, domain = value.rpartition("@")
    for part in sorted({value, local, domain}, key=len, reverse=True):
        if len(part) >= 3:
            detail = detail.replace(part, "…")
    return detail


# The plain ASCII dot-atom local part almost every address has (RFC 5322 atext).
_ATOM_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=65536)
def _email_domain(domain: str) -> str:
    """A domain checked once by email-validator: lists repeat a few domains a million times,
    and the domain (IDNA, special-use names) is most of email-validator's cost."""
    return validate_email(f"a@{domain}", check_deliverability=False).domain


def normalize_email(value: str) -> str:
    """Syntax check (no DNS) and canonical form: case never causes a diff."""
    text = value.strip()
    local, at, domain = text.rpartition("@")
    if (at and len(local) <= 64 and len(text) <= 254 and domain.isascii()
            and _ATOM_LOCAL.fullmatch(local)):
        try:
            return f"{local}@{_email_domain(domain)}".lower()
        except EmailNotValidError:
            pass  # the full check below words the error
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ContactError(f"invalid email: {printable(_scrub(str(exc), text))}", text) from None
    return result.normalized.lower()


def normalize_phone(value: str) -> str:
    """Phone numbers must be written in E.164 (+ and country code)."""
    raw = value.strip()
    if not raw.startswith("+"):
        raise ContactError("invalid phone number: not in E.164 format (+<country><number>)",
                           raw)
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ContactError(f"invalid phone number: {printable(_scrub(str(exc), raw))}", raw) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ContactError("invalid phone number: not a valid number", raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_address(value: str) -> str:
    """An opt-out entry: an email or an E.164 phone number."""
    value = str(value).strip()
    if value.startswith("+"):
        return normalize_phone(value)
    return normalize_email(value)


def make_contact(row: dict[str, str | None]) -> Contact:
    values = {k: (str(v).strip() or None) if v is not None else None
              for k, v in row.items() if k in FIELDS}
    email = normalize_email(values["email"]) if values.get("email") else None
    phone = normalize_phone(values["phone"]) if values.get("phone") else None
    if not email and not phone:
        raise ContactError("a contact needs an email or a phone")
    values.update(email=email, phone=phone)
    return Contact(**values)


class CsvProblem(NamedTuple):
    line: int
    col: int
    message: str  # never the address itself
    shown: str | None = None  # with the address, for --show-contacts


def read_csv(path: Path) -> Iterator[tuple[int, Contact | CsvProblem]]:
    """(line number, Contact or problem) for each row; the header is checked first."""
    with open_csv(path) as fh:
        reader = csv.reader(bounded_lines(fh))
        try:
            header = next(reader)
        except StopIteration:
            yield 1, CsvProblem(1, 1, "empty CSV: expected a header row")
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            yield 1, CsvProblem(1, 1, f"unreadable CSV: {exc}")
            return
        columns = [h.strip().lower() for h in header]
        unknown = [c for c in columns if c not in FIELDS]
        if unknown or not ({"email", "phone"} & set(columns)):
            msg = (f"unknown column(s) {', '.join(header_names(columns, unknown))}" if unknown
                   else "needs an `email` or `phone` column")
            yield 1, CsvProblem(1, 1, f"{msg}; columns are {', '.join(FIELDS)}")
            return
        try:
            for row in reader:
                line = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(columns):
                    yield line, CsvProblem(line, 1, f"expected {len(columns)} columns, got {len(row)}")
                    continue
                try:
                    yield line, make_contact(dict(zip(columns, row, strict=True)))
                except ContactError as exc:
                    yield line, CsvProblem(line, 1, f"row {line}: {exc.message}", exc.shown)
        except (csv.Error, UnicodeDecodeError) as exc:
            yield reader.line_num, CsvProblem(reader.line_num, 1, f"unreadable CSV: {exc}")
