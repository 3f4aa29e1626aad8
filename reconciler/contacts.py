"""Contacts and opt-out entries: normalisation, validation and streaming CSV reading.

A CSV is read row by row (never all at once) so a 1,000,000-row file does not become
1,000,000 dicts; callers keep only what they need (e.g. a set of keys).
"""

from __future__ import annotations

import csv
import re
from collections import namedtuple
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.phonemetadata import PhoneMetadata

from reconciler import csv_dialect
from reconciler.workspace_files import bounded_lines, header_names, open_csv, printable, shown

#: A contact's fields, declared once: the CSV columns (in this order), the Contact tuple, the
#: manifest's inline ContactEntry (reconciler/kinds.py) and the personalisation a send
#: carries are all derived from these.
ADDRESS_FIELDS = ("email", "phone")  # a contact has at least one
#: first/last name and free parameters: what personalises a message (`{first_name}`...)
PERSONAL_FIELDS = ("first_name", "last_name", *(f"param{n}" for n in range(1, 6)))
FIELDS = (*ADDRESS_FIELDS, *PERSONAL_FIELDS,
          "timezone")  # IANA zone of the recipient (send windows, local-time sends)
ZONE = FIELDS.index("timezone")


class Contact(namedtuple("ContactFields", FIELDS, defaults=(None,) * len(FIELDS))):
    """One contact, every field a string or None (see FIELDS). A plain tuple: a million
    rows of a CSV cost no more than their values."""

    __slots__ = ()

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


#: The shape of every address the checks below accept, as JSON Schema patterns (ECMA-262 and
#: Python alike): the schemas for editors carry them, and the checks apply them first, so the
#: two cannot disagree on what they test. email-validator and phonenumbers check the rest.
EMAIL_SHAPE = r"^\s*[^\s@]+@[^\s@]+\.[^\s@]+\s*$"
PHONE_SHAPE = r"^\s*\+[0-9][0-9 ().-]*[0-9]\s*$"  # E.164: + country code, digits, separators
ADDRESS_SHAPE = rf"(?:{EMAIL_SHAPE})|(?:{PHONE_SHAPE})"  # an opt-out entry
_EMAIL_SHAPE, _PHONE_SHAPE = re.compile(EMAIL_SHAPE), re.compile(PHONE_SHAPE)

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
    if not _EMAIL_SHAPE.fullmatch(text):
        raise ContactError("invalid email: expected name@domain.tld", text)
    return result.normalized.lower()


def normalize_phone(value: str) -> str:
    """Phone numbers must be written in E.164 (+ and country code)."""
    raw = value.strip()
    if raw[1:].isdigit() and raw.isascii() and raw[:1] == "+" and _valid_e164_digits(raw):
        return raw  # already canonical: the full parse below would give the same string
    if not _PHONE_SHAPE.fullmatch(raw):
        raise ContactError("invalid phone number: not in E.164 format (+<country><number>)",
                           raw)
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ContactError(f"invalid phone number: {printable(_scrub(str(exc), raw))}", raw) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ContactError("invalid phone number: not a valid number", raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# The number types phonenumbers.is_valid_number accepts (any type but UNKNOWN).
_NUMBER_TYPES = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager",
                 "uan", "voicemail", "fixed_line", "mobile")


class _RegionCheck(NamedTuple):
    leading_digits: Callable[[str], Any] | None
    national_prefix: Callable[[str], Any] | None
    # national number length -> one fullmatch of the general pattern AND any type pattern
    # of that length (phonenumbers tests the general description, then each type).
    by_length: dict[int, Callable[[str], Any]]

    def valid(self, nsn: str) -> bool:
        fullmatch = self.by_length.get(len(nsn))
        return fullmatch is not None and fullmatch(nsn) is not None


def _lengths(desc: Any, default: set[int]) -> set[int]:
    # An empty list means "the general description's lengths" (phonenumbers' own rule).
    return set(desc.possible_length or ()) or default


@cache
def _region_check(region: str) -> _RegionCheck | None:
    """phonenumbers' own metadata for one region, compiled once (the same patterns and
    possible lengths its is_valid_number tests)."""
    md = PhoneMetadata.metadata_for_region(region, None)
    if md is None or md.general_desc is None or not md.general_desc.national_number_pattern:
        return None
    prefix = md.national_prefix_for_parsing or md.national_prefix
    general = md.general_desc
    every = set(range(1, 18))  # no lengths given: any (an NSN has at most 17 digits)
    general_lengths = _lengths(general, every)
    types = [d for t in _NUMBER_TYPES if (d := getattr(md, t)) is not None
             and d.national_number_pattern]
    by_length = {}
    for n in general_lengths:
        patterns = [d.national_number_pattern for d in types if n in _lengths(d, every)]
        if patterns:
            union = "|".join(f"(?:{p})" for p in patterns)
            by_length[n] = re.compile(
                f"(?=(?:{general.national_number_pattern})\\Z)(?:{union})").fullmatch
    return _RegionCheck(re.compile(md.leading_digits).match if md.leading_digits else None,
                        re.compile(prefix).match if prefix else None, by_length)


def _valid_e164_digits(raw: str) -> bool:
    """True only when `+<digits>` is certainly valid and already in E.164 form: the country
    code found as phonenumbers finds it, the region chosen as it chooses it, and no national
    prefix it might strip. Anything else (False) goes through the full parse, which also
    words the error."""
    digits = raw[1:]
    if digits[:1] == "0":
        return False  # no country code starts with 0
    for n in (1, 2, 3):
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:n])) if len(digits) > n else None
        if regions:
            break
    else:
        return False
    nsn = digits[n:]
    for region in regions:
        check = _region_check(region)
        if check is None:
            return False  # a non-geographic code: not handled here
        if check.national_prefix is not None and check.national_prefix(nsn):
            return False  # the full parse may strip it and normalise differently
        if check.leading_digits is not None:
            if check.leading_digits(nsn):
                return check.valid(nsn)
        elif check.valid(nsn):
            return True
    return False


def is_phone(address: str) -> bool:
    """Whether an opt-out entry is a phone number (E.164, `+...`) rather than an email: an
    email may start with `+` too (`+tag@example.com`), a phone never holds `@`."""
    return address.startswith("+") and "@" not in address


def normalize_address(value: str) -> str:
    """An opt-out entry: an email or an E.164 phone number."""
    value = str(value).strip()
    if is_phone(value):
        return normalize_phone(value)
    return normalize_email(value)


def normalize_zone(value: str) -> str:
    """An IANA time zone name, as the send-window rules read it."""
    from reconciler.policy.zones import known_zone

    zone = value.strip()
    if not known_zone(zone):
        raise ContactError(f"unknown time zone {zone!r} (use an IANA name such as Europe/Paris)")
    return zone


def make_contact(row: dict[str, str | None]) -> Contact:
    values = {k: (str(v).strip() or None) if v is not None else None
              for k, v in row.items() if k in FIELDS}
    email = normalize_email(values["email"]) if values.get("email") else None
    phone = normalize_phone(values["phone"]) if values.get("phone") else None
    if not email and not phone:
        raise ContactError("a contact needs an email or a phone")
    values.update(email=email, phone=phone)
    if values.get("timezone"):
        values["timezone"] = normalize_zone(values["timezone"])
    return Contact(**values)


class CsvProblem(NamedTuple):
    line: int
    col: int
    message: str  # never the address itself
    shown: str | None = None  # with the address, for --show-contacts


class _Columns(NamedTuple):
    """Where each field is in a CSV's rows (-1: no such column)."""
    index: list[int]
    width: int

    def get(self, field: str) -> int:
        return self.index[FIELDS.index(field)]


def _columns(reader: Iterator[list[str]], path: Path) -> _Columns | CsvProblem:
    """The header row, checked: the column layout, or what is wrong with it."""
    try:
        header = next(reader)
    except StopIteration:
        return CsvProblem(1, 1, "empty CSV: expected a header row")
    except (csv.Error, UnicodeDecodeError) as exc:
        return CsvProblem(*csv_dialect.located_error(path, exc, 1))
    if reader.line_num != 1:
        return CsvProblem(1, 1, csv_dialect.spanning(1, reader.line_num))
    columns = [h.strip().lower() for h in header]
    bad = csv_dialect.header_problem(header, FIELDS)
    if bad is not None:
        return CsvProblem(1, *bad)
    unknown = [c for c in columns if c not in FIELDS]
    if unknown or not ({"email", "phone"} & set(columns)):
        msg = (f"unknown column(s) {', '.join(header_names(columns, unknown))}" if unknown
               else "needs an `email` or `phone` column")
        return CsvProblem(1, 1, f"{msg}; columns are {', '.join(FIELDS)}")
    return _Columns([columns.index(f) if f in columns else -1 for f in FIELDS], len(columns))


def _row_problem(row: list[str], width: int, line: int, start: int) -> CsvProblem | None:
    """What is wrong with a row that is not a contact (None: an empty line, skipped):
    one spanning lines (from `start` to `line`), of the wrong width, or without an
    address."""
    if line != start:
        return CsvProblem(start, 1, csv_dialect.spanning(start, line))
    if not row:
        return None
    if len(row) != width:
        return CsvProblem(line, *csv_dialect.width_problem(row, width))
    return CsvProblem(line, 1, "a contact needs an email or a phone")


def _invalid(row: list[str], line: int, exc: ContactError, cols: tuple[int, ...],
             ) -> CsvProblem:
    """A row whose email, phone or zone is invalid, at the first value that fails."""
    where = 1
    for i, check in zip(cols, (normalize_email, normalize_phone, normalize_zone),
                        strict=True):
        if i >= 0 and row[i].strip():
            try:
                check(row[i])
            except ContactError:
                where = csv_dialect.column(row, i)
                break
    return CsvProblem(line, where, f"row {line}: {exc.message}", exc.shown)


def read_csv(path: Path, sha256: Any = None) -> Iterator[tuple[int, Contact | CsvProblem]]:
    """(line number, Contact or problem) for each row; the header is checked first.
    `sha256`: a hashlib object fed the bytes read (see open_csv)."""
    with open_csv(path, sha256) as fh:
        reader = csv_dialect.reader(bounded_lines(fh))
        cols = _columns(reader, path)
        if isinstance(cols, CsvProblem):
            yield 1, cols
            return
        # Fast row path: each field by its column index, straight into the tuple.
        ie, ip = cols.index[0], cols.index[1]
        rest = [(n, i) for n, i in enumerate(cols.index) if n > 1 and i >= 0]
        width = cols.width
        new = tuple.__new__
        prev = 1  # the line the previous row ended on
        try:
            for row in reader:
                line = reader.line_num
                start, prev = prev + 1, line
                if len(row) == width and line == start:
                    values: list[str | None] = [None] * len(FIELDS)
                    for n, i in rest:
                        values[n] = row[i].strip() or None
                    email = row[ie].strip() if ie >= 0 else ""
                    phone = row[ip].strip() if ip >= 0 else ""
                if len(row) != width or line != start or (not email and not phone):
                    problem = _row_problem(row, width, line, start)
                    if problem is not None:
                        yield problem.line, problem
                    continue
                try:
                    values[0] = normalize_email(email) if email else None
                    values[1] = normalize_phone(phone) if phone else None
                    if values[ZONE]:
                        values[ZONE] = normalize_zone(values[ZONE])
                except ContactError as exc:
                    yield line, _invalid(row, line, exc, (ie, ip, cols.index[ZONE]))
                    continue
                yield line, new(Contact, values)
        except (csv.Error, UnicodeDecodeError) as exc:
            yield prev + 1, CsvProblem(*csv_dialect.located_error(path, exc, prev + 1))


def scan_csv(path: Path, emails: EmailSet | None, problem: Callable[[CsvProblem], None],
             sha256: Any = None, addresses: list[str] | None = None) -> None:
    """read_csv's checks on every row, for a summary only: each valid row's email and name
    go into `emails` (None: checks only, as `validate` needs), each problem to `problem`,
    and no Contact is built (this is the pass every validate and plan makes over every
    CSV). `sha256`: as read_csv's. `addresses`: each valid row's email and phone are
    appended (an opt-out list's: a row with both opts out both)."""
    with open_csv(path, sha256) as fh:
        reader = csv_dialect.reader(bounded_lines(fh))
        cols = _columns(reader, path)
        if isinstance(cols, CsvProblem):
            problem(cols)
            return
        ie, ip, i1, i2, iz = (cols.get(f) for f in ("email", "phone", "first_name",
                                                     "last_name", "timezone"))
        width = cols.width
        keep = emails is not None
        seen, digest = emails.seen if keep else set(), 0
        norm_email, norm_phone = normalize_email, normalize_phone
        prev = 1  # the line the previous row ended on
        try:
            for row in reader:
                line = reader.line_num
                start, prev = prev + 1, line
                if len(row) == width and line == start:
                    email = row[ie].strip() if ie >= 0 else ""
                    phone = row[ip].strip() if ip >= 0 else ""
                    if email or phone:
                        try:
                            email = norm_email(email) if email else ""
                            if phone:
                                phone = norm_phone(phone)
                            if iz >= 0 and (zone := row[iz].strip()):
                                normalize_zone(zone)
                        except ContactError as exc:
                            problem(_invalid(row, line, exc, (ie, ip, iz)))
                            continue
                        if addresses is not None:
                            if email:
                                addresses.append(email)
                            if phone:
                                addresses.append(phone)
                        if keep and email and email not in seen:
                            seen.add(email)
                            first = row[i1].strip() if i1 >= 0 else ""
                            last = row[i2].strip() if i2 >= 0 else ""
                            digest += hash((email, f"{first} {last}" if first and last
                                            else first or last))
                        continue
                reason = _row_problem(row, width, line, start)
                if reason is not None:
                    problem(reason)
        except (csv.Error, UnicodeDecodeError) as exc:
            problem(CsvProblem(*csv_dialect.located_error(path, exc, prev + 1)))
        finally:
            if keep:
                emails.count = len(seen)
                emails.digest = (emails.digest + digest) & _MASK


_MASK = (1 << 64) - 1


class EmailSet:
    """A group's contacts as its email->name set, summarised as (count, digest): the digest
    is an order-independent sum of per-entry hashes, so two sets compare in O(1) with no
    per-contact object kept. The first entry of an email wins, as in the vendor's lists.
    Hashes are per process: summaries compare only within one run."""

    __slots__ = ("seen", "count", "digest", "names")

    def __init__(self, keep: bool = False):
        self.seen: set[str] = set()
        self.count = 0
        self.digest = 0
        self.names: dict[str, str] | None = {} if keep else None  # email -> name, if kept

    def add(self, email: str, name: str) -> None:
        if email in self.seen:
            return
        self.seen.add(email)
        self.count += 1
        self.digest = (self.digest + hash((email, name))) & _MASK
        if self.names is not None:
            self.names[email] = name

    def summary(self) -> tuple[int, int]:
        return self.count, self.digest


def summarize(names: dict[str, str]) -> tuple[int, int]:
    """EmailSet.summary() of an email->name map built elsewhere (first entry kept)."""
    return len(names), sum(map(hash, names.items())) & _MASK
