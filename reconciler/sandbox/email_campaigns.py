"""Sandbox emulator of the email-campaigns API (shared/api-docs/email-campaigns-api.txt).

Strict on purpose: whatever the doc does not allow (unknown or missing fields, wrong
types, bad emails, missing trailing slash, a method the doc does not list) is refused the
way a real API would, so client bugs show up here rather than against the vendor.

Written from the doc alone: it shares no code with the email-campaigns client, so a
misreading of the doc on either side shows up as a failing test.

Accounts: `Authorization: Token <token>`; a missing header is a 401 and so is a token no
sandbox account holds (see reconciler/sandbox/accounts.py). Each token is an account of
its own, with its own store: one account never sees another's objects.

State lives in SQLite under `<data_dir>/email-campaigns/<account>/` and every write is
committed before its response is built, so it survives a restart and a response lost in
transit.

CSV files: the doc asks for a header row on bulk update ("The CSV file should contain a
header row that identifies the various columns present"), so a bulk update whose first
row is a contact is refused. The other CSV endpoints do not say: their first row is a
header unless its email column holds an email address, in which case it is a contact
(never silently dropped).
Time is the sandbox clock, evaluated lazily: at the start of each request, active
campaigns whose start has passed are sent (results recorded, status "completed").
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring as encode_string  # a JSON string literal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.accounts import Accounts
from reconciler.sandbox.clock import SandboxClock

VENDOR = "email-campaigns"
CREDENTIALS = ("token",)

TIMEZONES = ("EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT")
STATUSES = ("active", "paused", "cancelled")
LIVE = ("active", "paused")  # campaigns that may still send
OID = re.compile(r"[0-9a-f]{24}")
START_DATE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
INDEX = re.compile(r"\d{1,9}")
# Common email shape (ASCII, dotted atoms, a letters-only TLD that is not special-use,
# RFC length limits), accepted without calling email-validator, which costs ~40 us per
# address (8 s for 200,000 contacts). Everything else still goes through email-validator.
PLAIN_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)(?=.{1,254}$)"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    rf"(?!(?i:{'|'.join(SPECIAL_USE_DOMAIN_NAMES)})$)[A-Za-z]{{2,63}}")


class Reject(Exception):
    """An error answer: HTTP status and the {"message": ...} the API sends back."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


# -- field checks: each takes (label, value) and returns the value to store --------------

Check = Callable[[str, Any], Any]


def text(label: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Reject(400, f"{label} must be a non-empty string")
    return value


def email_error(value: str) -> str | None:
    if PLAIN_EMAIL.fullmatch(value):
        return None
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        return str(exc)
    return None


def email(label: str, value: Any) -> str:
    error = email_error(text(label, value))
    if error:
        raise Reject(400, f"{label} is not a valid email address: {error}")
    return value


def email_lower(label: str, value: Any) -> str:
    # Opt-outs and contacts are sets of addresses: compared and stored lowercased.
    return email(label, value).lower()


def index(label: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Reject(400, f"{label} must be a non-negative integer")
    return value


def oid_ref(label: str, value: Any) -> str:
    if (not isinstance(value, dict) or set(value) != {"$oid"}
            or not isinstance(value["$oid"], str) or not OID.fullmatch(value["$oid"])):
        raise Reject(400, f'{label} must be {{"$oid": "<24 hex digits>"}}')
    return value["$oid"]


def choice(*allowed: str) -> Check:
    def check(label: str, value: Any) -> str:
        if value not in allowed:
            raise Reject(400, f"{label} must be one of: {', '.join(allowed)}")
        return value
    return check


def start_date(label: str, value: Any) -> str:
    if isinstance(value, str) and START_DATE.fullmatch(value):
        try:
            datetime.strptime(value, "%Y-%m-%d %H:%M")
            return value
        except ValueError:
            pass
    raise Reject(400, f"{label} must be a date formatted as yyyy-MM-dd HH:mm")


def check_object(value: Any, where: str, fields: dict[str, Check]) -> dict[str, Any]:
    """Exactly these fields, all required, each checked: the doc lists no optional ones."""
    label = where or "body"
    if not isinstance(value, dict):
        raise Reject(400, f"{label} must be a JSON object")
    for key in value:
        if key not in fields:
            raise Reject(400, f"{label}: unknown field '{key}'")
    for key in fields:
        if key not in value:
            raise Reject(400, f"{label}: missing required field '{key}'")
    return {k: check(f"{where}.{k}" if where else k, value[k]) for k, check in fields.items()}


# -- request reading ---------------------------------------------------------------------

def query(request: Request, allowed: set[str], required: set[str] = frozenset()) -> dict:
    params = dict(request.query_params)
    for key in params:
        if key not in allowed:
            raise Reject(400, f"unknown query parameter '{key}'")
    for key in required:
        if not params.get(key):
            raise Reject(400, f"query parameter '{key}' is required")
    if "_id" in params and not OID.fullmatch(params["_id"]):
        raise Reject(400, "_id must be 24 hex digits")
    return params


async def json_body(request: Request) -> Any:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Reject(400, "Content-Type must be application/json")
    try:
        return json.loads(await request.body())
    except ValueError:
        raise Reject(400, "body is not valid JSON") from None


async def form_body(request: Request, fields: set[str], required: set[str]) -> dict[str, Any]:
    """Multipart fields by name; csv_file must be a file part and comes back as bytes."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise Reject(400, "Content-Type must be multipart/form-data")
    values: dict[str, Any] = {}
    try:
        async with request.form(max_part_size=16 * 1024 * 1024) as form:
            for key, value in form.multi_items():
                if key not in fields:
                    raise Reject(400, f"unknown form field '{key}'")
                if key in values:
                    raise Reject(400, f"form field '{key}' given more than once")
                if (key == "csv_file") == isinstance(value, str):
                    kind = "a file" if key == "csv_file" else "a plain value"
                    raise Reject(400, f"form field '{key}' must be {kind}")
                values[key] = value if isinstance(value, str) else await value.read()
    except HTTPException as exc:  # malformed multipart
        raise Reject(400, f"malformed multipart body: {exc.detail}") from None
    missing = sorted(required - values.keys())
    if missing:
        raise Reject(400, f"form field '{missing[0]}' is required")
    return values


def form_index(values: dict[str, Any], key: str) -> int:
    if not INDEX.fullmatch(values[key]):
        raise Reject(400, f"{key} must be a non-negative integer")
    return int(values[key])


def csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank row of an uploaded file."""
    try:
        text = data.decode("utf-8-sig")  # spreadsheet exports often start with a BOM
    except UnicodeDecodeError:
        raise Reject(400, "csv_file is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise Reject(400, f"csv_file line {reader.line_num}: {exc}") from None


def csv_emails(data: bytes, email_index: int, name_index: int | None = None, *,
               header_required: bool = False) -> dict[str, str]:
    """{lowercased email: name} from an uploaded file; one bad row refuses the file.

    The first row is the header, unless it holds an email address in the email column:
    then it is a contact (refused where the doc requires a header row)."""
    rows = csv_rows(data)
    first = next(rows, None)
    if first is None:
        raise Reject(400, "csv_file is empty" + (
            ": bulk update needs a header row naming the columns" if header_required else ""))
    line, header = first
    for key, col in (("email_index", email_index), ("name_index", name_index)):
        if col is not None and col >= len(header):
            raise Reject(400, f"{key} {col} is out of range: the first row has "
                              f"{len(header)} column(s)")
    if email_error(header[email_index]) is None:
        if header_required:
            raise Reject(400, f"csv_file line {line} is a contact, not a header row: bulk "
                              "update needs a header row naming the columns")
        rows = itertools.chain([first], rows)
    found: dict[str, str] = {}
    needed = max(email_index, name_index or 0)
    for line, cells in rows:
        if needed >= len(cells):
            raise Reject(400, f"csv_file line {line}: no column {needed}")
        address = cells[email_index]
        if email_error(address):  # the address itself is not echoed: contact data stays out
            raise Reject(400, f"csv_file line {line}: invalid email address")
        found[address.lower()] = cells[name_index] if name_index is not None else ""
    return found


# -- storage -----------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS senders (id TEXT PRIMARY KEY, description TEXT NOT NULL,
    email TEXT NOT NULL, created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS optouts (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE,
    created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contact_groups (id TEXT PRIMARY KEY, tag TEXT NOT NULL,
    created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (group_id TEXT NOT NULL, email TEXT NOT NULL,
    name TEXT NOT NULL, UNIQUE (group_id, email));
CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, description TEXT NOT NULL,
    email_message TEXT NOT NULL, created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, name TEXT NOT NULL,
    contact_group_id TEXT NOT NULL, sender_id TEXT NOT NULL, message_id TEXT NOT NULL,
    start_date TEXT NOT NULL, timezone TEXT NOT NULL, start_ts REAL NOT NULL,
    status TEXT NOT NULL, created_on TEXT NOT NULL, modified_on TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS campaigns_due ON campaigns (status, start_ts);
-- Results are immutable once sent, so each row keeps its final JSON: a 200,000-row
-- answer is then one string join instead of 200,000 dicts to build and encode.
CREATE TABLE IF NOT EXISTS results (campaign_id TEXT NOT NULL, day TEXT NOT NULL,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS results_day ON results (day, campaign_id);
"""


def stamp(ts: float) -> str:
    """The API's timestamp format: UTC, microseconds, no offset."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_stamp(value: str) -> float:
    return datetime.fromisoformat(value).replace(tzinfo=UTC).timestamp()


class Store:
    def __init__(self, directory: Path, clock: SandboxClock):
        directory.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        # Autocommit mode: transactions are explicit (tx), so nothing is left pending.
        self.path = directory / "state.db"
        self.db = sqlite3.connect(self.path, isolation_level=None,
                                  check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('client_id', ?)",
                        (self._object_id(),))
        self.client_id = self.db.execute(
            "SELECT value FROM meta WHERE key = 'client_id'").fetchone()[0]
        self._lock = threading.Lock()
        self._counter = int.from_bytes(os.urandom(3), "big")
        self._process = os.urandom(5).hex()

    def reader(self) -> sqlite3.Connection:
        """A read-only snapshot of what is committed now (WAL: writers go on meanwhile),
        for a listing streamed after its transaction. Called inside tx(): no write can
        commit between that transaction's reads and this snapshot."""
        reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                 timeout=30)
        reader.row_factory = None  # plain tuples: a listing may hold millions of rows
        reader.execute("BEGIN")
        reader.execute("SELECT 1 FROM contacts LIMIT 1").fetchall()  # the snapshot starts
        return reader

    def _object_id(self) -> str:
        return f"{int(self.clock.timestamp()):08x}{os.urandom(8).hex()}"

    def new_id(self, ts: float | None = None) -> str:
        """ObjectId layout: seconds, per-process random, counter (unique, cheap in bulk:
        pass `ts` to skip reading the clock file for every row)."""
        self._counter = (self._counter + 1) % 0x1000000
        ts = self.clock.timestamp() if ts is None else ts
        return f"{int(ts):08x}{self._process}{self._counter:06x}"

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One serialized write transaction, committed before the response is sent."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self.send_due()
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def send_due(self) -> None:
        """Send every active campaign whose start has passed (lazy clock evaluation)."""
        now = self.clock.timestamp()
        due = self.db.execute(
            "SELECT * FROM campaigns WHERE status = 'active' AND start_ts <= ? "
            "ORDER BY start_ts", (now,)).fetchall()
        for campaign in due:
            # Resumed after its start: it goes out when resumed, not back in time.
            sent_at = stamp(max(campaign["start_ts"], parse_stamp(campaign["modified_on"])))
            sender = self.db.execute("SELECT email FROM senders WHERE id = ?",
                                     (campaign["sender_id"],)).fetchone()
            optouts = {r[0] for r in self.db.execute("SELECT email FROM optouts")}
            # Every result row of this send shares all fields but its id and contact; the
            # row is written as JSON text once, keys in the doc's order.
            shared = (f'"client_id":{{"$oid":"{self.client_id}"}},'
                      f'"queue_id":{{"$oid":"{self.new_id(now)}"}},'
                      f'"campaign_id":{{"$oid":"{campaign["id"]}"}},')
            name_part = f'"campaign_name":{encode_string(campaign["name"])},'
            dates = f'"start_date":"{sent_at}","modified_on":"{sent_at}",'
            tail = (f'"email_from_id":{encode_string(sender[0] if sender else "")},'
                    '"complete":true,"status":"completed"}')
            rows = []
            for name, address in self.db.execute(
                    "SELECT name, email FROM contacts WHERE group_id = ? ORDER BY rowid",
                    (campaign["contact_group_id"],)):
                to = encode_string(address)
                disposition = "opted_out" if address in optouts else "delivered"
                rows.append((campaign["id"], sent_at[:10], "".join((
                    f'{{"$_id":{{"$oid":"{self.new_id(now)}"}},', shared,
                    f'"contact":{{"name":{encode_string(name)},"email":{to}}},',
                    name_part, f'"disposition":"{disposition}",', dates,
                    f'"email_to":{to},', tail))))
            self.db.executemany("INSERT INTO results VALUES (?, ?, ?)", rows)
            self.db.execute("UPDATE campaigns SET status = 'completed', modified_on = ? "
                            "WHERE id = ?", (sent_at, campaign["id"]))

    def contacts(self, group_id: str | None = None) -> dict[str, list[dict[str, str]]]:
        sql, args = "SELECT group_id, name, email FROM contacts", ()
        if group_id:
            sql, args = sql + " WHERE group_id = ?", (group_id,)
        grouped: dict[str, list[dict[str, str]]] = {}
        cursor = self.db.cursor()
        cursor.row_factory = None  # plain tuples: this loop may see 200,000 rows
        for gid, name, address in cursor.execute(sql + " ORDER BY rowid", args):
            grouped.setdefault(gid, []).append({"name": name, "email": address})
        return grouped


# -- the simple resources: one table, JSON bodies ----------------------------------------

@dataclass(frozen=True)
class Kind:
    noun: str                   # for messages ("sender 5f... not found")
    path: str
    table: str
    fields: dict[str, Check]    # POST and PUT bodies: exactly these, all required
    campaign_column: str | None = None  # live campaigns referencing it block its delete


KINDS = [
    Kind("sender", "/email/senderid/", "senders",
         {"description": text, "email": email}, "sender_id"),
    Kind("opt-out", "/email/optout/", "optouts", {"email": email_lower}),
    Kind("contact group", "/email/contact/", "contact_groups",
         {"tag": text}, "contact_group_id"),
    Kind("message", "/email/message/", "messages",
         {"description": text, "email_message": text}, "message_id"),
]
SENDERS, OPTOUTS, GROUPS, MESSAGES = KINDS


PATHS = (*(k.path for k in KINDS), "/email/optout/bulk/add/", "/email/optout/bulk/delete/",
         "/email/contact/bulk/replace/", "/email/contact/bulk/update/",
         "/email/contact/bulk/delete/", "/email/campaign/", "/email/result/filter/")


class Api:
    """The API of one account, over its own store."""

    def __init__(self, store: Store):
        self.store = store
        self.handlers: dict[str, Callable[[Request], Any]] = {
            **{k.path: self.crud(k) for k in KINDS},
            "/email/optout/bulk/add/": self.optouts_bulk("add"),
            "/email/optout/bulk/delete/": self.optouts_bulk("delete"),
            "/email/contact/bulk/replace/": self.contacts_bulk("replace"),
            "/email/contact/bulk/update/": self.contacts_bulk("update"),
            "/email/contact/bulk/delete/": self.contacts_bulk("delete"),
            "/email/campaign/": self.campaigns,
            "/email/result/filter/": self.results,
        }

    def ref(self, value: str) -> dict[str, str]:
        return {"$oid": value}

    def render(self, kind: Kind, row: sqlite3.Row,
               contacts: dict[str, list[dict[str, str]]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"$_id": self.ref(row["id"]),
                                "client_id": self.ref(self.store.client_id)}
        body.update({k: row[k] for k in kind.fields})
        if kind is GROUPS:
            body["contacts"] = (contacts or {}).get(row["id"], [])
        body.update(created_on=row["created_on"], modified_on=row["modified_on"])
        return body

    def group_listing(self, rows: list[sqlite3.Row],
                      reader: sqlite3.Connection) -> Iterator[bytes]:
        """The groups listing, one group at a time (the bytes JSONResponse would send), from
        the snapshot `reader` holds: ten million contacts are never one body in memory,
        and the first group leaves before the last is read."""
        try:
            yield b"["
            for n, row in enumerate(rows):
                contacts = [{"name": name, "email": address} for name, address in reader.execute(
                    "SELECT name, email FROM contacts WHERE group_id = ? ORDER BY rowid",
                    (row["id"],))]
                body = self.render(GROUPS, row, {row["id"]: contacts})
                yield (b"," if n else b"") + json.dumps(
                    body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
            yield b"]"
        finally:
            reader.close()

    def fetch(self, db: sqlite3.Connection, kind: Kind, rid: str) -> sqlite3.Row:
        row = db.execute(f"SELECT * FROM {kind.table} WHERE id = ?", (rid,)).fetchone()
        if row is None:
            raise Reject(404, f"{kind.noun} {rid} not found")
        return row

    def one(self, db: sqlite3.Connection, kind: Kind, rid: str) -> dict[str, Any]:
        row = self.fetch(db, kind, rid)
        contacts = self.store.contacts(rid) if kind is GROUPS else None
        return self.render(kind, row, contacts)

    def insert(self, db: sqlite3.Connection, kind: Kind, values: dict[str, Any]) -> str:
        rid, now = self.store.new_id(), stamp(self.store.clock.timestamp())
        cols = ", ".join(["id", *values, "created_on", "modified_on"])
        marks = ", ".join("?" * (len(values) + 3))
        try:
            db.execute(f"INSERT INTO {kind.table} ({cols}) VALUES ({marks})",
                       (rid, *values.values(), now, now))
        except sqlite3.IntegrityError:  # only opt-out emails are unique
            raise Reject(400, "email is already in the opt-out list") from None
        return rid

    def crud(self, kind: Kind) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            method = request.method
            if method == "GET":
                rid = query(request, {"_id"}).get("_id")
                with self.store.tx() as db:
                    if rid:
                        return JSONResponse(self.one(db, kind, rid))
                    rows = db.execute(f"SELECT * FROM {kind.table} ORDER BY rowid").fetchall()
                    if kind is GROUPS:
                        return StreamingResponse(self.group_listing(rows, self.store.reader()),
                                                 media_type="application/json")
                    return JSONResponse([self.render(kind, r) for r in rows])
            if method == "POST":
                query(request, set())
                values = check_object(await json_body(request), "", kind.fields)
                with self.store.tx() as db:
                    rid = self.insert(db, kind, values)
                    return JSONResponse(self.one(db, kind, rid), status_code=201)
            if method == "PUT":
                rid = query(request, {"_id"}, {"_id"})["_id"]
                values = check_object(await json_body(request), "", kind.fields)
                with self.store.tx() as db:
                    self.fetch(db, kind, rid)
                    sets = ", ".join(f"{k} = ?" for k in values)
                    try:
                        db.execute(f"UPDATE {kind.table} SET {sets}, modified_on = ? "
                                   "WHERE id = ?", (*values.values(),
                                                    stamp(self.store.clock.timestamp()), rid))
                    except sqlite3.IntegrityError:
                        raise Reject(400, "email is already in the opt-out list") from None
                    if kind is GROUPS:  # the one PUT that answers with the object
                        return JSONResponse(self.one(db, kind, rid))
                    return Response(status_code=204)
            if method == "DELETE":
                rid = query(request, {"_id"}, {"_id"})["_id"]
                with self.store.tx() as db:
                    self.fetch(db, kind, rid)
                    self.refuse_if_in_use(db, kind, rid)
                    db.execute(f"DELETE FROM {kind.table} WHERE id = ?", (rid,))
                    if kind is GROUPS:
                        db.execute("DELETE FROM contacts WHERE group_id = ?", (rid,))
                    return Response(status_code=204)
            raise Reject(405, f"{method} is not allowed on {kind.path}")
        return handle

    def refuse_if_in_use(self, db: sqlite3.Connection, kind: Kind, rid: str) -> None:
        if not kind.campaign_column:
            return
        row = db.execute(
            f"SELECT id FROM campaigns WHERE {kind.campaign_column} = ? AND status IN "
            "(?, ?) LIMIT 1", (rid, *LIVE)).fetchone()
        if row:
            raise Reject(400, f"{kind.noun} {rid} is used by campaign {row[0]}, which has "
                              "not been sent; cancel the campaign first")

    # -- bulk CSV endpoints --------------------------------------------------------------

    def contacts_bulk(self, mode: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            if request.method != "POST":
                raise Reject(405, f"{request.method} is not allowed here")
            gid = query(request, {"_id"}, {"_id"})["_id"]
            names = mode != "delete"
            fields = {"email_index", "csv_file"} | ({"name_index"} if names else set())
            form = await form_body(request, fields, fields)
            found = csv_emails(form["csv_file"], form_index(form, "email_index"),
                               form_index(form, "name_index") if names else None,
                               header_required=mode == "update")
            with self.store.tx() as db:
                self.fetch(db, GROUPS, gid)
                if mode == "replace":
                    db.execute("DELETE FROM contacts WHERE group_id = ?", (gid,))
                if mode == "delete":
                    db.executemany("DELETE FROM contacts WHERE group_id = ? AND email = ?",
                                   [(gid, e) for e in found])
                else:
                    db.executemany(
                        "INSERT INTO contacts (group_id, email, name) VALUES (?, ?, ?) "
                        "ON CONFLICT (group_id, email) DO UPDATE SET name = excluded.name",
                        [(gid, e, n) for e, n in found.items()])
                db.execute("UPDATE contact_groups SET modified_on = ? WHERE id = ?",
                           (stamp(self.store.clock.timestamp()), gid))
            return Response(status_code=200)
        return handle

    def optouts_bulk(self, mode: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            if request.method != "POST":
                raise Reject(405, f"{request.method} is not allowed here")
            query(request, set())
            form = await form_body(request, {"csv_file"}, {"csv_file"})
            found = csv_emails(form["csv_file"], 0)
            with self.store.tx() as db:
                if mode == "delete":
                    db.executemany("DELETE FROM optouts WHERE email = ?",
                                   [(e,) for e in found])
                else:
                    ts = self.store.clock.timestamp()
                    now = stamp(ts)
                    db.executemany("INSERT OR IGNORE INTO optouts VALUES (?, ?, ?, ?)",
                                   [(self.store.new_id(ts), e, now, now) for e in found])
            return Response(status_code=200)
        return handle

    # -- campaigns -----------------------------------------------------------------------

    def render_campaign(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "$_id": self.ref(row["id"]), "client_id": self.ref(self.store.client_id),
            "contact_group_id": self.ref(row["contact_group_id"]),
            "sender_id": self.ref(row["sender_id"]), "message_id": self.ref(row["message_id"]),
            "name": row["name"], "start_date": row["start_date"],
            "timezone": row["timezone"], "created_on": row["created_on"],
            "modified_on": row["modified_on"], "status": row["status"],
        }

    def campaign_row(self, db: sqlite3.Connection, cid: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM campaigns WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise Reject(404, f"campaign {cid} not found")
        return row

    async def campaigns(self, request: Request) -> Response:
        method = request.method
        if method == "GET":
            cid = query(request, {"_id"}).get("_id")
            with self.store.tx() as db:
                if cid:
                    return JSONResponse(self.render_campaign(self.campaign_row(db, cid)))
                rows = db.execute("SELECT * FROM campaigns ORDER BY rowid").fetchall()
                return JSONResponse([self.render_campaign(r) for r in rows])
        if method == "POST":
            return await self.create_campaign(request)
        if method == "PUT":
            cid = query(request, {"_id"}, {"_id"})["_id"]
            status = check_object(await json_body(request), "",
                                  {"status": choice(*STATUSES)})["status"]
            with self.store.tx() as db:
                row = self.campaign_row(db, cid)
                if row["status"] == "completed":
                    raise Reject(400, "campaign already started")
                if row["status"] == "cancelled":
                    raise Reject(400, "campaign is cancelled and cannot be changed")
                if status != row["status"]:
                    db.execute("UPDATE campaigns SET status = ?, modified_on = ? WHERE id = ?",
                               (status, stamp(self.store.clock.timestamp()), cid))
            return Response(status_code=204)
        raise Reject(405, f"{method} is not allowed on /email/campaign/; "
                          'to stop a campaign PUT {"status": "cancelled"}')

    async def create_campaign(self, request: Request) -> Response:
        query(request, set())
        form = await form_body(request, {"attributes", "csv_file"}, {"attributes"})
        try:
            attributes = json.loads(form["attributes"])
        except ValueError:
            raise Reject(400, "attributes is not valid JSON") from None
        spec = check_object(attributes, "attributes", {
            "message": dict_of("source", {
                "new": {"source": text, "description": text, "email_message": text},
                "reuse": {"source": text, "_id": oid_ref}}),
            "contact_group": dict_of("type", {
                "upload": {"type": text, "name_index": index, "email_index": index},
                "reuse": {"type": text, "_id": oid_ref}}),
            "schedule": lambda label, v: check_object(v, label, {
                "name": text, "start_date": start_date,
                "timezone": choice(*TIMEZONES), "sender_id": oid_ref}),
        })
        message, group, schedule = spec["message"], spec["contact_group"], spec["schedule"]
        upload = group["type"] == "upload"
        if upload != ("csv_file" in form):
            raise Reject(400, "csv_file is required when contact_group.type is upload, "
                              "and only then")
        contacts = (csv_emails(form["csv_file"], group["email_index"], group["name_index"])
                    if upload else {})
        local = datetime.strptime(schedule["start_date"], "%Y-%m-%d %H:%M")
        start_ts = local.replace(tzinfo=ZoneInfo(schedule["timezone"])).timestamp()
        with self.store.tx() as db:
            if not db.execute("SELECT 1 FROM senders WHERE id = ?",
                              (schedule["sender_id"],)).fetchone():
                raise Reject(400, f"schedule.sender_id {schedule['sender_id']} not found")
            if message["source"] == "new":
                message_id = self.insert(db, MESSAGES, {
                    "description": message["description"],
                    "email_message": message["email_message"]})
            else:
                message_id = self.exists(db, MESSAGES, message["_id"], "message._id")
            if upload:
                # An uploaded list becomes a contact group of its own, tagged like the
                # campaign: it shows up in GET /email/contact/ afterwards.
                group_id = self.insert(db, GROUPS, {"tag": schedule["name"]})
                db.executemany("INSERT INTO contacts VALUES (?, ?, ?)",
                               [(group_id, e, n) for e, n in contacts.items()])
            else:
                group_id = self.exists(db, GROUPS, group["_id"], "contact_group._id")
            cid, now = self.store.new_id(), stamp(self.store.clock.timestamp())
            db.execute("INSERT INTO campaigns VALUES (?,?,?,?,?,?,?,?,?,?,?)", (
                cid, schedule["name"], group_id, schedule["sender_id"], message_id,
                local.strftime("%Y-%m-%dT%H:%M:%S"), schedule["timezone"], start_ts,
                "active", now, now))
            return JSONResponse(self.render_campaign(self.campaign_row(db, cid)),
                                status_code=201)

    def exists(self, db: sqlite3.Connection, kind: Kind, rid: str, label: str) -> str:
        if not db.execute(f"SELECT 1 FROM {kind.table} WHERE id = ?", (rid,)).fetchone():
            raise Reject(400, f"{label} {rid}: {kind.noun} not found")
        return rid

    # -- results and sandbox stats -------------------------------------------------------

    async def results(self, request: Request) -> Response:
        if request.method != "GET":
            raise Reject(405, f"{request.method} is not allowed here")
        params = query(request, {"start_date", "end_date", "campaign_id"},
                       {"start_date", "end_date"})
        for key in ("start_date", "end_date"):
            if not DAY.fullmatch(params[key]):
                raise Reject(400, f"{key} must be a date formatted as yyyy-MM-dd")
        sql = "SELECT body FROM results WHERE day BETWEEN ? AND ?"
        args: list[str] = [params["start_date"], params["end_date"]]
        if "campaign_id" in params:
            if not OID.fullmatch(params["campaign_id"]):
                raise Reject(400, "campaign_id must be 24 hex digits")
            sql, args = sql + " AND campaign_id = ?", [*args, params["campaign_id"]]
        with self.store.tx() as db:
            bodies = [r[0] for r in db.execute(sql + " ORDER BY rowid", args)]
        return Response("[" + ",".join(bodies) + "]", media_type="application/json")

    def counts(self) -> dict[str, int]:
        with self.store.tx() as db:
            return {name: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                    for name, table in STATS.items()}


STATS = {"senders": "senders", "groups": "contact_groups", "contacts": "contacts",
         "messages": "messages", "campaigns": "campaigns", "optouts": "optouts",
         "results": "results"}


def dict_of(selector: str, variants: dict[str, dict[str, Check]]) -> Check:
    """A sub-object whose allowed fields depend on one discriminating field."""
    def check(label: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Reject(400, f"{label} must be a JSON object")
        choice(*variants)(f"{label}.{selector}", value.get(selector))
        return check_object(value, label, variants[value[selector]])
    return check


class Tenants:
    """One store (and API) per account, opened on first use."""

    def __init__(self, directory: Path, clock: SandboxClock, accounts: Accounts):
        self.directory, self.clock, self.accounts = directory, clock, accounts
        self.apis: dict[str, Api] = {}
        self._lock = threading.Lock()

    def api(self, account: str) -> Api:
        with self._lock:
            if account not in self.apis:
                self.apis[account] = Api(Store(self.directory / account, self.clock))
            return self.apis[account]

    def account(self, request: Request) -> str | None:
        """The account the request's token opens; None when it has no token at all."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme != "Token" or not token:
            return None
        return self.accounts.open(VENDOR, token, token) or ""

    def endpoint(self, path: str) -> Callable[[Request], Any]:
        """Authentication first, then the account's handler; Reject becomes {"message"}."""
        async def wrapped(request: Request) -> Response:
            account = self.account(request)
            if account is None:
                return JSONResponse({"message": "Authentication credentials were not "
                                     "provided (expected 'Authorization: Token <token>')"},
                                    status_code=401)
            if not account:
                return JSONResponse({"message": "Invalid token."}, status_code=401)
            try:
                return await self.api(account).handlers.get(path, unknown)(request)
            except Reject as exc:
                return JSONResponse({"message": exc.message}, status_code=exc.status)
        return wrapped

    async def stats(self, request: Request) -> Response:
        """Counts over every account of the sandbox (a test hook, not the vendor's)."""
        totals = dict.fromkeys(STATS, 0)
        if self.directory.is_dir():
            for folder in sorted(p for p in self.directory.iterdir() if p.is_dir()):
                for name, n in self.api(folder.name).counts().items():
                    totals[name] += n
        return JSONResponse(totals)


async def unknown(request: Request) -> Response:
    # Also catches a missing trailing slash, which Starlette would otherwise redirect.
    raise Reject(404, f"no such endpoint: {request.url.path} (paths end with '/')")


# Every route takes every method: the handlers answer 405 themselves, in the API's JSON.
ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_routes(data_dir: Path, clock: SandboxClock, accounts: Accounts,
                  ) -> list[BaseRoute]:
    tenants = Tenants(Path(data_dir) / VENDOR, clock, accounts)
    routes: list[BaseRoute] = [Route(path, tenants.endpoint(path), methods=ALL_METHODS)
                               for path in PATHS]
    # last: only what nothing else matched
    routes.append(Route("/email/{rest:path}", tenants.endpoint(""), methods=ALL_METHODS))
    routes.append(Route("/_sandbox/email-campaigns/stats", tenants.stats, methods=["GET"]))
    return routes
