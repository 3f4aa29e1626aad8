"""Sandbox emulator of the scheduled-campaigns API (see api-docs/scheduled-campaign-api.txt).

Endpoints: `GET|PUT|DELETE /campaign/{id}` and `POST /campaign`, form-encoded bodies
(`segments[]` repeated), `Authorization: Bearer <any non-empty key>` (401 otherwise).

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
says SCHEDULED or READY; one store for all keys.

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
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from reconciler.providers.scheduled_campaigns import states
from reconciler.providers.scheduled_campaigns.options import check_callback_url
from reconciler.providers.scheduled_campaigns.when import to_timestamp
from reconciler.sandbox.clock import SandboxClock

SEND_SECONDS = 60  # how long a sandbox send takes, from `when` to DONE
POST_FIELDS = {"name", "domain", "list", "segments[]", "state", "when", "event_callback"}
PUT_FIELDS = POST_FIELDS - {"list"}
COLUMNS = ("id", "name", "domain", "list", "segments", "state", "when", "event_callback",
           "created", "updated")

SCHEMA = """CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: deleted ids are never reused
    name TEXT NOT NULL, domain INTEGER NOT NULL, list INTEGER NOT NULL,
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
        self.path, self.clock = folder / "campaigns.db", clock
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

    def find(self, conn: sqlite3.Connection, campaign_id: int) -> dict:
        row = conn.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        if row is None:
            raise Reject(404, f"campaign {campaign_id} not found")
        return _as_json(row)


def _as_json(row: sqlite3.Row) -> dict:
    campaign = {name: row[name] for name in COLUMNS}
    campaign["segments"] = json.loads(campaign["segments"])
    return campaign


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
            if value not in states.STATES:
                raise Reject(400, f"state must be one of {', '.join(states.STATES)}")
            fields[key] = value
        elif key == "when":
            try:
                fields[key] = to_timestamp(value)
            except ValueError as exc:
                raise Reject(400, str(exc)) from None
        elif key == "event_callback":
            try:
                fields[key] = check_callback_url(value) if value else None
            except ValueError as exc:
                raise Reject(400, str(exc)) from None
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


Handler = Callable[[Request, Store, sqlite3.Connection], Awaitable[dict]]


def _endpoint(store: Store, handler: Handler, *, auth: bool = True):
    async def endpoint(request: Request) -> JSONResponse:
        auth_header = request.headers.get("authorization", "")
        scheme, _, key = auth_header.partition(" ")
        if auth and (scheme.lower() != "bearer" or not key.strip()):
            return JSONResponse({"message": "missing or invalid Bearer API key"}, 401,
                                headers={"WWW-Authenticate": "Bearer"})
        await request.body()  # read (and cache) before taking the database lock
        try:
            with store.tx() as conn:
                store.advance(conn)
                result = await handler(request, store, conn)
        except Reject as exc:
            return JSONResponse({"message": exc.message}, exc.status)
        if store.pending_callbacks():
            return JSONResponse(result, background=BackgroundTask(
                run_in_threadpool, store.deliver_callbacks))
        return JSONResponse(result)
    return endpoint


def _frozen_check(campaign: dict, action: str) -> None:
    if campaign["state"] in states.FROZEN:
        raise Reject(409, f"campaign {campaign['id']} is {campaign['state']}: a launched "
                          f"campaign cannot be {action}")


async def _get(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    return store.find(conn, request.path_params["campaign_id"])


async def _create(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    fields = _parse(await _form(request), POST_FIELDS)
    missing = [k for k in ("name", "domain", "list", "when") if k not in fields]
    if missing:
        raise Reject(400, f"missing required parameter(s): {', '.join(missing)}")
    state = fields.get("state", states.DRAFT)
    if state not in states.DESIRABLE:
        raise Reject(400, "a campaign is created as DRAFT, SCHEDULED or READY")
    now = store.now()
    cursor = conn.execute(
        'INSERT INTO campaigns (name, domain, list, segments, state, "when", event_callback,'
        ' created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        (fields["name"], fields["domain"], fields["list"],
         json.dumps(fields.get("segments", [])), state, fields["when"],
         fields.get("event_callback"), now, now))
    store.advance(conn)  # READY with a past `when` starts sending at once
    return store.find(conn, cursor.lastrowid)


async def _update(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    campaign = store.find(conn, request.path_params["campaign_id"])
    fields = _parse(await _form(request), PUT_FIELDS)
    fields.setdefault("segments", [])  # none: the campaign sends to all contacts
    _frozen_check(campaign, "changed")
    src, dst = campaign["state"], fields.get("state", campaign["state"])
    if src != dst and not states.can_request(src, dst):
        allowed = " or ".join(states.next_states(src))
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
    return store.find(conn, campaign["id"])


async def _delete(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    campaign = store.find(conn, request.path_params["campaign_id"])
    _frozen_check(campaign, "deleted")
    conn.execute("DELETE FROM campaigns WHERE id = ?", (campaign["id"],))
    return campaign


async def _list_all(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    rows = conn.execute("SELECT * FROM campaigns ORDER BY id").fetchall()
    return {"campaigns": [_as_json(r) for r in rows]}


async def _force_state(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    campaign = store.find(conn, request.path_params["campaign_id"])
    try:
        state = (await request.json())["state"]
    except (ValueError, KeyError, TypeError):
        raise Reject(400, 'body must be JSON {"state": "<STATE>"}') from None
    if state not in states.STATES:
        raise Reject(400, f"state must be one of {', '.join(states.STATES)}")
    conn.execute("UPDATE campaigns SET state = ?, updated = ? WHERE id = ?",
                 (state, store.now(), campaign["id"]))
    return store.find(conn, campaign["id"])


async def _set_list(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    try:
        body = await request.json()
        lists = {k: [str(v) for v in body.get(k, [])] for k in ("emails", "telephones", "bounce")}
    except (ValueError, AttributeError, TypeError):
        raise Reject(400, 'body must be JSON {"emails": [...], "telephones": [...], '
                          '"bounce": [...]}') from None
    conn.execute("INSERT OR REPLACE INTO lists VALUES (?, ?, ?, ?)",
                 (request.path_params["list_id"], *(json.dumps(v) for v in lists.values())))
    return {"list": request.path_params["list_id"], **lists}


async def _callbacks(request: Request, store: Store, conn: sqlite3.Connection) -> dict:
    rows = conn.execute("SELECT * FROM outbox ORDER BY id").fetchall()
    return {"callbacks": [{"url": r["url"], "event": r["event"], "when": r["when"],
                           "emails": json.loads(r["emails"]),
                           "telephones": json.loads(r["telephones"]),
                           "delivered": bool(r["delivered"]), "attempts": r["attempts"]}
                          for r in rows]}


def create_routes(data_dir: Path, clock: SandboxClock) -> list[BaseRoute]:
    store = Store(data_dir, clock)
    clock.listeners.append(store.deliver_callbacks)
    one = "/campaign/{campaign_id:int}"
    hooks = "/_sandbox/scheduled-campaigns/campaigns"
    return [
        Route("/campaign", _endpoint(store, _create), methods=["POST"]),
        Route(one, _endpoint(store, _get), methods=["GET"]),
        Route(one, _endpoint(store, _update), methods=["PUT"]),
        Route(one, _endpoint(store, _delete), methods=["DELETE"]),
        Route(hooks, _endpoint(store, _list_all, auth=False), methods=["GET"]),
        Route(hooks + "/{campaign_id:int}/state", _endpoint(store, _force_state, auth=False),
              methods=["POST"]),
        Route("/_sandbox/scheduled-campaigns/lists/{list_id:int}",
              _endpoint(store, _set_list, auth=False), methods=["POST"]),
        Route("/_sandbox/scheduled-campaigns/callbacks",
              _endpoint(store, _callbacks, auth=False), methods=["GET"]),
    ]
