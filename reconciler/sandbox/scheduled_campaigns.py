"""Sandbox emulator of the scheduled-campaigns API (see api-docs/scheduled-campaign-api.txt).

Endpoints: `GET|PUT|DELETE /campaign/{id}` and `POST /campaign`, form-encoded bodies
(`segments[]` repeated), `Authorization: Bearer <api key>`: 401 without one and for a key
no sandbox account holds (reconciler/sandbox/accounts.py). Each key is an account: its
campaigns are invisible to every other key (a GET of another account's id is a 404).
Written from the doc alone (its state diagram, its `when` and `event_callback` fields),
sharing no code with the scheduled-campaigns client.

Response shape (the vendor doc gives none): every endpoint answers one JSON campaign
    {"id": int, "name": str, "domain": int, "list": int, "segments": [int, ...],
     "state": "DRAFT|SCHEDULED|READY|SENDING|DONE|ERROR", "when": int (Unix seconds),
     "event_callback": str | null, "created": int (Unix), "updated": int (Unix)}
and errors answer {"message": str}: 400 bad body (not form-encoded, unknown or repeated
field, wrong type, `list` on PUT, missing POST field), 401 no key, 404 no such campaign,
409 state conflict (more than one edge in a PUT, a vendor-only edge, or any PUT/DELETE on a
SENDING, DONE or ERROR campaign).

Choices where the doc is silent: ids increase and are never reused (so a stale id held in
state can never point at someone else's campaign); `segments[]` keep the order sent, minus
repeats; a PUT without `segments[]` targets all contacts (the doc: "If none, campaign sends
to all contacts"; the strictest reading, so a client that leaves them out is caught);
`event_callback=` (empty) on PUT clears it; a POST creates in DRAFT unless `state`
says SCHEDULED or READY; ids are unique across accounts; `when` as an ISO 8601 string
must carry an offset (a naive time would be read in the sandbox's zone, a guess).

Time is evaluated lazily on each request from the sandbox clock: a READY campaign whose
`when` has passed is SENDING, and DONE once 60 sandbox seconds past `when`. ERROR is only
reachable through the test hook below.

Callbacks (the doc's "Callback Behaviour"): when the clock moves a campaign that has an
`event_callback` into SENDING, its list's emails get a `submitted` event; into DONE, each
email and phone gets `delivered`, or `bounced` for the addresses the list marks so (SMS
payloads only generate those two). Each event is one form-encoded POST to the URL as
given (its query string forwarded): `event`, `when` (the transition's Unix time),
`email[0]`, `email[1]`... / `telephone[0]`... Events wait in an outbox and are POSTed when
the sandbox clock is moved and after any request that moved a campaign; a receiver that
does not answer 2xx is tried again next time (5 tries at most).

Test-only (the real API has no list endpoint):
    GET  /_sandbox/scheduled-campaigns/campaigns             -> {"campaigns": [...]}
    POST /_sandbox/scheduled-campaigns/campaigns/{id}/state  {"state": "ERROR"} (any state)
    POST /_sandbox/scheduled-campaigns/lists/{id}  {"emails": [...], "telephones": [...],
         "bounce": [...]}: the contacts of a vendor list (a list is empty until set)
    GET  /_sandbox/scheduled-campaigns/callbacks   -> {"callbacks": [{url, event, when,
         emails, telephones, delivered, attempts}, ...]}
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.accounts import Accounts
from reconciler.sandbox.clock import SandboxClock

VENDOR = "scheduled-campaigns"
CREDENTIALS = ("api_key",)

# The doc's diagram: DRAFT ⮂ SCHEDULED ⮂ READY ⇒ SENDING ⇒ (DONE | ERROR). A client may
# take a two-way edge, one per request; the one-way edges are the vendor's (time and
# delivery), and nothing leaves SENDING, DONE or ERROR at a client's request.
STATES = ("DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR")
TWO_WAY = {("DRAFT", "SCHEDULED"), ("SCHEDULED", "READY")}
CLIENT_MOVES = TWO_WAY | {(b, a) for a, b in TWO_WAY}
LAUNCHED = {"SENDING", "DONE", "ERROR"}
CREATABLE = {"DRAFT", "SCHEDULED", "READY"}

SEND_SECONDS = 60  # how long a sandbox send takes, from `when` to DONE
POST_FIELDS = {"name", "domain", "list", "segments[]", "state", "when", "event_callback"}
PUT_FIELDS = POST_FIELDS - {"list"}
COLUMNS = ("id", "name", "domain", "list", "segments", "state", "when", "event_callback",
           "created", "updated")

SCHEMA = """CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: deleted ids are never reused
    account TEXT NOT NULL, name TEXT NOT NULL, domain INTEGER NOT NULL, list INTEGER NOT NULL,
    segments TEXT NOT NULL, state TEXT NOT NULL, "when" INTEGER NOT NULL,
    event_callback TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lists (id INTEGER PRIMARY KEY, emails TEXT NOT NULL,
    telephones TEXT NOT NULL, bounce TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL,
    event TEXT NOT NULL, "when" INTEGER NOT NULL, emails TEXT NOT NULL,
    telephones TEXT NOT NULL, delivered INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0)"""
MAX_ATTEMPTS = 5


class Reject(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


class Store:
    def __init__(self, data_dir: Path, clock: SandboxClock):
        folder = Path(data_dir) / "scheduled-campaigns"
        folder.mkdir(parents=True, exist_ok=True)
        self.path, self.clock = folder / "accounts.db", clock
        with self.tx() as conn:
            for statement in SCHEMA.split(";"):
                conn.execute(statement)
        self._delivering = threading.Lock()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One request = one write transaction, committed before the response is sent."""
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("BEGIN IMMEDIATE")  # serialises writers, also across processes
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def now(self) -> int:
        return int(self.clock.timestamp())

    def advance(self, conn: sqlite3.Connection) -> None:
        """Apply what the vendor would have done by now (the clock may have jumped)."""
        now = self.now()
        for row in conn.execute("""SELECT * FROM campaigns WHERE event_callback IS NOT NULL
                                   AND ((state = 'READY' AND "when" <= ?) OR
                                        (state IN ('READY', 'SENDING') AND "when" + ? <= ?))
                                   ORDER BY id""", (now, SEND_SECONDS, now)).fetchall():
            self._queue_events(conn, row, now)
        conn.execute("""UPDATE campaigns SET state = 'SENDING', updated = max(updated, "when")
                        WHERE state = 'READY' AND "when" <= ?""", (now,))
        conn.execute("""UPDATE campaigns SET state = 'DONE', updated = max(updated, "when" + ?)
                        WHERE state = 'SENDING' AND "when" + ? <= ?""",
                     (SEND_SECONDS, SEND_SECONDS, now))

    def _queue_events(self, conn: sqlite3.Connection, row: sqlite3.Row, now: int) -> None:
        """The callbacks of a campaign's moves through SENDING and DONE by `now`."""
        contacts = conn.execute("SELECT * FROM lists WHERE id = ?", (row["list"],)).fetchone()
        emails = json.loads(contacts["emails"]) if contacts else []
        phones = json.loads(contacts["telephones"]) if contacts else []
        bounce = set(json.loads(contacts["bounce"])) if contacts else set()
        events = []
        if row["state"] == "READY":
            events.append(("submitted", row["when"], emails, []))
        if row["when"] + SEND_SECONDS <= now:
            done = row["when"] + SEND_SECONDS
            events.append(("delivered", done, [e for e in emails if e not in bounce],
                           [p for p in phones if p not in bounce]))
            events.append(("bounced", done, [e for e in emails if e in bounce],
                           [p for p in phones if p in bounce]))
        for event, when, em, tel in events:
            if em or tel:
                conn.execute('INSERT INTO outbox (url, event, "when", emails, telephones) '
                             "VALUES (?, ?, ?, ?, ?)", (row["event_callback"], event, when,
                                                       json.dumps(em), json.dumps(tel)))

    def pending_callbacks(self) -> bool:
        with self.tx() as conn:
            return conn.execute("SELECT 1 FROM outbox WHERE delivered = 0 AND attempts < ? "
                                "LIMIT 1", (MAX_ATTEMPTS,)).fetchone() is not None

    def deliver_callbacks(self) -> None:
        """POST every waiting event, oldest first (never while holding the database)."""
        if not self._delivering.acquire(blocking=False):
            return  # another request is delivering them
        try:
            with self.tx() as conn:
                self.advance(conn)
                rows = conn.execute("SELECT * FROM outbox WHERE delivered = 0 AND attempts < ? "
                                    "ORDER BY id", (MAX_ATTEMPTS,)).fetchall()
            with httpx.Client(timeout=3) as http:
                for row in rows:
                    body = [("event", row["event"]), ("when", str(row["when"]))]
                    body += [(f"email[{i}]", e) for i, e in enumerate(json.loads(row["emails"]))]
                    body += [(f"telephone[{i}]", p)
                             for i, p in enumerate(json.loads(row["telephones"]))]
                    try:
                        ok = http.post(row["url"], content=urlencode(body), headers={
                            "Content-Type": "application/x-www-form-urlencoded"}).is_success
                    except httpx.HTTPError:
                        ok = False
                    with self.tx() as conn:
                        conn.execute("UPDATE outbox SET delivered = ?, attempts = attempts + 1 "
                                     "WHERE id = ?", (int(ok), row["id"]))
        finally:
            self._delivering.release()

    def find(self, conn: sqlite3.Connection, campaign_id: int, account: str | None) -> dict:
        """The campaign, if `account` holds it (None: any account, for the test hooks)."""
        row = conn.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        if row is None or account is not None and row["account"] != account:
            raise Reject(404, f"campaign {campaign_id} not found")
        return _as_json(row)


def _as_json(row: sqlite3.Row) -> dict:
    campaign = {name: row[name] for name in COLUMNS}
    campaign["segments"] = json.loads(campaign["segments"])
    return campaign


MAX_WHEN = 253402300799  # 9999-12-31T23:59:59Z


def to_timestamp(value: str) -> int:
    """`when`: "Unix timestamp (int) or ISO 8601 string"; whole seconds are kept."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        if int(text) > MAX_WHEN:
            raise Reject(400, f"when {value!r} is out of range for a Unix timestamp")
        return int(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Reject(400, f"when {value!r} is neither a Unix timestamp nor an ISO 8601 "
                          "time") from None
    if parsed.utcoffset() is None:
        raise Reject(400, f"when {value!r} has no time zone (add an offset or Z)")
    return max(0, int(parsed.timestamp()))


def callback_url(value: str) -> str:
    """An absolute http(s) URL, kept as given (its query string is forwarded unchanged)."""
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise Reject(400, "event_callback must be a URL without spaces or control characters")
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError as exc:
        raise Reject(400, f"event_callback is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise Reject(400, "event_callback must be an absolute http:// or https:// URL")
    return value


def _id(name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) <= 0:
        raise Reject(400, f"{name} must be a positive integer id, got {value!r}")
    return int(value)


def _parse(pairs: list[tuple[str, str]], allowed: set[str]) -> dict:
    """Validated fields from a form; `segments` present only if `segments[]` was sent."""
    fields: dict = {}
    for key, value in pairs:
        if key not in allowed:
            if key == "list":  # only reaches here on PUT
                raise Reject(400, "list cannot be changed on an existing campaign "
                                  "(not a PUT parameter)")
            raise Reject(400, f"unknown parameter {key!r}")
        if key == "segments[]":
            segment = _id("segments[]", value)
            seen = fields.setdefault("segments", [])
            if segment not in seen:
                seen.append(segment)
            continue
        if key in fields:
            raise Reject(400, f"parameter {key!r} given more than once")
        if key == "name":
            if not value.strip():
                raise Reject(400, "name must not be empty")
            fields[key] = value
        elif key in ("domain", "list"):
            fields[key] = _id(key, value)
        elif key == "state":
            if value not in STATES:
                raise Reject(400, f"state must be one of {', '.join(STATES)}")
            fields[key] = value
        elif key == "when":
            fields[key] = to_timestamp(value)
        elif key == "event_callback":
            fields[key] = callback_url(value) if value else None
    return fields


async def _form(request: Request) -> list[tuple[str, str]]:
    body = await request.body()
    if not body:
        return []
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise Reject(400, "body must be application/x-www-form-urlencoded")
    try:
        return parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                         encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise Reject(400, "malformed form body") from None


# (request, store, connection, account: None for the test hooks) -> the JSON answer
Handler = Callable[[Request, Store, sqlite3.Connection, str | None], Awaitable[dict]]


def _endpoint(store: Store, handler: Handler, accounts: Accounts | None):
    """`accounts` None: a test hook, no key needed and every account visible."""
    async def endpoint(request: Request) -> JSONResponse:
        account = None
        if accounts is not None:
            scheme, _, key = request.headers.get("authorization", "").partition(" ")
            key = key.strip()
            if scheme.lower() != "bearer" or not key:
                return JSONResponse({"message": "missing or invalid Bearer API key"}, 401,
                                    headers={"WWW-Authenticate": "Bearer"})
            account = accounts.open(VENDOR, key, key)
            if account is None:
                return JSONResponse({"message": "invalid API key"}, 401,
                                    headers={"WWW-Authenticate": "Bearer"})
        await request.body()  # read (and cache) before taking the database lock
        try:
            with store.tx() as conn:
                store.advance(conn)
                result = await handler(request, store, conn, account)
        except Reject as exc:
            return JSONResponse({"message": exc.message}, exc.status)
        if store.pending_callbacks():
            return JSONResponse(result, background=BackgroundTask(
                run_in_threadpool, store.deliver_callbacks))
        return JSONResponse(result)
    return endpoint


def _frozen_check(campaign: dict, action: str) -> None:
    if campaign["state"] in LAUNCHED:
        raise Reject(409, f"campaign {campaign['id']} is {campaign['state']}: a launched "
                          f"campaign cannot be {action}")


async def _get(request: Request, store: Store, conn: sqlite3.Connection,
               account: str | None) -> dict:
    return store.find(conn, request.path_params["campaign_id"], account)


async def _create(request: Request, store: Store, conn: sqlite3.Connection,
                  account: str | None) -> dict:
    fields = _parse(await _form(request), POST_FIELDS)
    missing = [k for k in ("name", "domain", "list", "when") if k not in fields]
    if missing:
        raise Reject(400, f"missing required parameter(s): {', '.join(missing)}")
    state = fields.get("state", "DRAFT")
    if state not in CREATABLE:
        raise Reject(400, "a campaign is created as DRAFT, SCHEDULED or READY")
    now = store.now()
    cursor = conn.execute(
        'INSERT INTO campaigns (account, name, domain, list, segments, state, "when", '
        'event_callback, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        (account, fields["name"], fields["domain"], fields["list"],
         json.dumps(fields.get("segments", [])), state, fields["when"],
         fields.get("event_callback"), now, now))
    store.advance(conn)  # READY with a past `when` starts sending at once
    return store.find(conn, cursor.lastrowid, account)


async def _update(request: Request, store: Store, conn: sqlite3.Connection,
                  account: str | None) -> dict:
    campaign = store.find(conn, request.path_params["campaign_id"], account)
    fields = _parse(await _form(request), PUT_FIELDS)
    fields.setdefault("segments", [])  # none: the campaign sends to all contacts
    _frozen_check(campaign, "changed")
    src, dst = campaign["state"], fields.get("state", campaign["state"])
    if src != dst and (src, dst) not in CLIENT_MOVES:
        allowed = " or ".join(d for d in STATES if (src, d) in CLIENT_MOVES)
        raise Reject(409, f"campaign {campaign['id']} cannot move from {src} to {dst} in "
                          f"one request; from {src} it may move to {allowed}")
    changes = {k: v for k, v in fields.items() if campaign[k] != v}
    if changes:
        changes["updated"] = store.now()
        if "segments" in changes:
            changes["segments"] = json.dumps(changes["segments"])
        assignments = ", ".join(f'"{k}" = ?' for k in changes)  # keys: validated names
        conn.execute(f"UPDATE campaigns SET {assignments} WHERE id = ?",
                     (*changes.values(), campaign["id"]))
        store.advance(conn)
    return store.find(conn, campaign["id"], account)


async def _delete(request: Request, store: Store, conn: sqlite3.Connection,
                  account: str | None) -> dict:
    campaign = store.find(conn, request.path_params["campaign_id"], account)
    _frozen_check(campaign, "deleted")
    conn.execute("DELETE FROM campaigns WHERE id = ?", (campaign["id"],))
    return campaign


async def _list_all(request: Request, store: Store, conn: sqlite3.Connection,
                    account: str | None) -> dict:
    rows = conn.execute("SELECT * FROM campaigns ORDER BY id").fetchall()
    return {"campaigns": [_as_json(r) for r in rows]}


async def _force_state(request: Request, store: Store, conn: sqlite3.Connection,
                       account: str | None) -> dict:
    campaign = store.find(conn, request.path_params["campaign_id"], account)
    try:
        state = (await request.json())["state"]
    except (ValueError, KeyError, TypeError):
        raise Reject(400, 'body must be JSON {"state": "<STATE>"}') from None
    if state not in STATES:
        raise Reject(400, f"state must be one of {', '.join(STATES)}")
    conn.execute("UPDATE campaigns SET state = ?, updated = ? WHERE id = ?",
                 (state, store.now(), campaign["id"]))
    return store.find(conn, campaign["id"], account)


async def _set_list(request: Request, store: Store, conn: sqlite3.Connection,
                    account: str | None) -> dict:
    try:
        body = await request.json()
        lists = {k: [str(v) for v in body.get(k, [])] for k in ("emails", "telephones", "bounce")}
    except (ValueError, AttributeError, TypeError):
        raise Reject(400, 'body must be JSON {"emails": [...], "telephones": [...], '
                          '"bounce": [...]}') from None
    conn.execute("INSERT OR REPLACE INTO lists VALUES (?, ?, ?, ?)",
                 (request.path_params["list_id"], *(json.dumps(v) for v in lists.values())))
    return {"list": request.path_params["list_id"], **lists}


async def _callbacks(request: Request, store: Store, conn: sqlite3.Connection,
                     account: str | None) -> dict:
    rows = conn.execute("SELECT * FROM outbox ORDER BY id").fetchall()
    return {"callbacks": [{"url": r["url"], "event": r["event"], "when": r["when"],
                           "emails": json.loads(r["emails"]),
                           "telephones": json.loads(r["telephones"]),
                           "delivered": bool(r["delivered"]), "attempts": r["attempts"]}
                          for r in rows]}


def create_routes(data_dir: Path, clock: SandboxClock, accounts: Accounts,
                  ) -> list[BaseRoute]:
    store = Store(data_dir, clock)
    clock.listeners.append(store.deliver_callbacks)
    one = "/campaign/{campaign_id:int}"
    hooks = "/_sandbox/scheduled-campaigns/campaigns"
    return [
        Route("/campaign", _endpoint(store, _create, accounts), methods=["POST"]),
        Route(one, _endpoint(store, _get, accounts), methods=["GET"]),
        Route(one, _endpoint(store, _update, accounts), methods=["PUT"]),
        Route(one, _endpoint(store, _delete, accounts), methods=["DELETE"]),
        Route(hooks, _endpoint(store, _list_all, None), methods=["GET"]),
        Route(hooks + "/{campaign_id:int}/state", _endpoint(store, _force_state, None),
              methods=["POST"]),
        Route("/_sandbox/scheduled-campaigns/lists/{list_id:int}",
              _endpoint(store, _set_list, None), methods=["POST"]),
        Route("/_sandbox/scheduled-campaigns/callbacks",
              _endpoint(store, _callbacks, None), methods=["GET"]),
    ]
