"""The CSV bodies of the email-campaigns bulk endpoints, shared by the client (writes them)
and the emulator (reads them).

Every file starts with a header row (the doc asks for one on bulk update, and the opt-out
files put the email in the first column), so the column layout is fixed here once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

# Column layout of the contact files the client writes; sent as name_index/email_index.
CONTACT_HEADER = ("name", "email")
NAME_INDEX = 0
EMAIL_INDEX = 1
EMAIL_HEADER = ("email",)


def contact_fields(contact: Any) -> tuple[str, str]:
    """(email, name) of a contact given as an object with .email/.name or a dict."""
    if isinstance(contact, dict):
        email, name = contact.get("email"), contact.get("name")
    else:
        email, name = getattr(contact, "email", None), getattr(contact, "name", None)
    if not isinstance(email, str) or not email:
        raise ValueError("every contact needs a non-empty email")
    return email, name or ""


def _write(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: quotes names holding commas, quotes, newlines
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def contacts_csv(contacts: Iterable[Any]) -> bytes:
    """`name,email` header then one row per contact (columns NAME_INDEX, EMAIL_INDEX)."""
    rows = []
    for contact in contacts:
        email, name = contact_fields(contact)
        rows.append((name, email))
    return _write(CONTACT_HEADER, rows)


def emails_csv(emails: Iterable[Any]) -> bytes:
    """`email` header then one email per row (bulk contact delete, opt-out bulk files)."""
    rows = []
    for email in emails:
        if not isinstance(email, str):
            email, _ = contact_fields(email)
        if not email:
            raise ValueError("emails must be non-empty")
        rows.append((email,))
    return _write(EMAIL_HEADER, rows)


def read_csv(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """(header, iterator of (line number, cells)) for an uploaded file; blank lines skipped.

    Raises ValueError with a user-facing message on undecodable or header-less files."""
    try:
        text = data.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
    except UnicodeDecodeError:
        raise ValueError("csv_file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError("csv_file is empty: a header row is required") from None
    except csv.Error as exc:
        raise ValueError(f"csv_file line 1: {exc}") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    yield reader.line_num, cells
        except csv.Error as exc:
            raise ValueError(f"csv_file line {reader.line_num}: {exc}") from None

    return header, rows()
