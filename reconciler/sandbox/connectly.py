"""Sandbox emulator of Connectly's Campaign Send API (connectly-campaign-send.txt).

POST /v1/businesses/{businessId}/send/campaigns, header X-API-Key, body a JSON array of
entries {sender, client, campaignName, variables?, campaignVersion?, scheduledAt?}.

Choices where the doc is silent (a real account may differ):
- Success (200): {"data": [{"id": "<uuid>", "client": "+33...", "campaignName": "...",
  "status": "accepted"}, ...]}, one item per entry, in request order.
- Errors use the gRPC-gateway shape {"code": N, "message": "...", "details": []}:
  401 code 16 (no X-API-Key, or a key that is not the business's: see
  reconciler/sandbox/accounts.py), 400 code 3 (invalid body; the message names the entry and
  field), 429 code 8. A request is validated as a whole: one bad entry rejects all.
- `sender` and `client` must be E.164 phone numbers, `scheduledAt` an ISO 8601 date-time
  with a UTC offset, `variables` an object of strings; at most 1000 entries per request.
- Rate limit: more than 200 requests to one business within any 1-second window gets
  429 with Retry-After: 1, and nothing of that request is accepted. Only admitted
  requests count toward the window (a rejected burst does not extend the lock-out).

Every accepted entry is committed to sqlite (data_dir/connectly/deliveries.db) before the
response; GET /_sandbox/connectly/deliveries summarises them by campaign
("<campaignName>@<campaignVersion>"), and GET /_sandbox/connectly/entries lists each as
received (its variables too).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import defaultdict, deque
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox.accounts import Accounts
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.deliveries import DeliveryLog

VENDOR = "connectly"
CREDENTIALS = ("business_id", "api_key")

RATE_LIMIT = 200  # requests per second per business (documented)
WINDOW = 1.0
MAX_ENTRIES = 1000
PHONE_RE = re.compile(r"\+[0-9]{8,15}")


class Invalid(Exception):
    def __init__(self, message: str, status: int = 400, code: int = 3):
        super().__init__(message)
        self.message, self.status, self.code = message, status, code

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message, "details": []},
                            self.status)


class SlidingWindow:
    """At most `limit` admissions per key in any `window` seconds (exact, not bucketed)."""

    clock = staticmethod(time.monotonic)  # tests replace it to be independent of machine speed

    def __init__(self, limit: int, window: float):
        self.limit, self.window = limit, window
        self.hits: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, key: str) -> bool:
        now = self.clock()
        hits = self.hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


def _phone(entry: dict[str, Any], name: str, where: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not PHONE_RE.fullmatch(value):
        raise Invalid(f"{where}.{name}: must be an E.164 phone number")
    return value


def _validate(i: int, entry: Any) -> tuple[str, str, str | None]:
    """(client, campaign key, scheduledAt) of a valid entry."""
    where = f"entries[{i}]"
    if not isinstance(entry, dict):
        raise Invalid(f"{where}: must be an object")
    unknown = sorted(set(entry) - {"sender", "client", "campaignName", "variables",
                                   "campaignVersion", "scheduledAt"})
    if unknown:
        raise Invalid(f"{where}: unknown field(s) {', '.join(unknown)}")
    _phone(entry, "sender", where)
    client = _phone(entry, "client", where)
    name = entry.get("campaignName")
    if not isinstance(name, str) or not name.strip():
        raise Invalid(f"{where}.campaignName: required string")
    variables = entry.get("variables", {})
    if not isinstance(variables, dict) or not all(
            isinstance(v, str) for v in variables.values()):
        raise Invalid(f"{where}.variables: must be an object of strings")
    version = entry.get("campaignVersion")
    if version is not None and not isinstance(version, str):
        raise Invalid(f"{where}.campaignVersion: must be a string")
    scheduled = entry.get("scheduledAt")
    if scheduled is not None:
        try:
            parsed = datetime.fromisoformat(scheduled) if isinstance(scheduled, str) else None
        except ValueError:
            parsed = None
        if parsed is None or parsed.utcoffset() is None:
            raise Invalid(f"{where}.scheduledAt: must be an ISO 8601 date-time with offset")
    return client, f"{name}@{version}" if version else name, scheduled


def create_routes(data_dir: Path, clock: SandboxClock, accounts: Accounts,
                  ) -> list[BaseRoute]:
    log = DeliveryLog(Path(data_dir) / "connectly" / "deliveries.db")
    limiter = SlidingWindow(RATE_LIMIT, WINDOW)
    received = Path(data_dir) / "connectly" / "entries.jsonl"

    async def entries(request: Request) -> Response:
        """Every accepted entry (client, campaignName, variables); `?client=` filters."""
        try:
            lines = received.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        found = [json.loads(line) for line in lines if line.strip()]
        client = request.query_params.get("client")
        return JSONResponse([e for e in found if client is None or e["client"] == client])

    async def send(request: Request) -> Response:
        business = request.path_params["business_id"]
        # Checked first, before any work: a 429 must mean nothing was looked at.
        if not limiter.admit(business):
            return JSONResponse(
                {"code": 8, "message": "Too Many Requests: limit is 200 requests per second",
                 "details": []}, 429, headers={"Retry-After": "1"})
        try:
            key = request.headers.get("x-api-key", "").strip()
            if not key:
                raise Invalid("missing X-API-Key header", 401, 16)
            if not business.strip():
                raise Invalid("businessId is empty")
            if accounts.open(VENDOR, business, key) is None:
                raise Invalid("invalid X-API-Key for this business", 401, 16)
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise Invalid("request body must be valid JSON") from None
            if not isinstance(body, list) or not body:
                raise Invalid("request body must be a non-empty array of campaign entries")
            if len(body) > MAX_ENTRIES:
                raise Invalid(f"at most {MAX_ENTRIES} entries per request")
            valid = [_validate(i, e) for i, e in enumerate(body)]
        except Invalid as exc:
            return exc.response()
        ids = [str(uuid.uuid4()) for _ in valid]
        now = clock.now().isoformat()
        with closing(log.connect()) as db, db:
            log.insert(db, [(id_, "whatsapp", campaign, client, scheduled, now)
                            for id_, (client, campaign, scheduled) in zip(ids, valid,
                                                                           strict=True)])
        with received.open("a", encoding="utf-8") as fh:  # each entry as received: GET /_sandbox/connectly/entries
            fh.writelines(json.dumps({"id": id_, "client": e["client"],
                                      "campaignName": e["campaignName"],
                                      "variables": e.get("variables") or {}}) + "\n"
                          for id_, e in zip(ids, body, strict=True))
        return JSONResponse({"data": [
            {"id": id_, "client": e["client"], "campaignName": e["campaignName"],
             "status": "accepted"} for id_, e in zip(ids, body, strict=True)]})

    return [
        Route("/v1/businesses/{business_id}/send/campaigns", send, methods=["POST"]),
        Route("/_sandbox/connectly/entries", entries, methods=["GET"]),
    ] + log.routes("connectly")
