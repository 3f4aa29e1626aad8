"""Fault injection and a request journal for the sandbox (ASGI middleware).

Control routes, served by the middleware itself:
  POST   /_sandbox/faults    {"seed": int, "rules": [rule, ...]}  replace config, reset counts
  GET    /_sandbox/faults    config, per-rule and per-kind counts of faults fired
  DELETE /_sandbox/faults    clear
  GET    /_sandbox/requests  journal of every vendor (non-/_sandbox) request, oldest first;
                             optional ?method=PUT&path_prefix=/campaign filters; a
                             form-encoded request's fields are in `form` ([[name, value]]);
                             a request that schedules a send carries `schedule`: its
                             distinct send_at / scheduledAt values (never recipients)
  DELETE /_sandbox/requests  clear the journal

A rule: {"path_prefix": "/v1/...", "method": "POST" (optional), "kind": ..., "probability":
0..1 (default 1), "times": max fires (optional), "seconds": latency only}. Kinds:
  latency         wait `seconds`, then process normally (combines with one other kind)
  error_500       not processed; 500
  rate_limit_429  not processed; 429 with Retry-After: 1
  drop_before     not processed; the client sees a broken connection
  lose_response   processed and committed by the emulator; then a broken connection
  error           not processed; the rule's `status` (400-599), e.g. 401, 403, 409, 422
  answer          a vendor's odd answer: the rule's `answer_status` (default: the real one),
                  `headers` (added to, or replacing, the real ones) and `body` (repeated
                  `body_repeat` times), or with no `body` the real body cut to its first
                  `cut` fraction (a truncated answer). With `"processed": true` the emulator
                  processes and commits the request first (the vendor did it, then garbled
                  its answer); else nothing is processed
With `"echo": true`, an error, error_500 or rate_limit_429 answer quotes the whole request
in its message (method, path and query, every header, the body), as a careless gateway or
vendor does: what a client must never print or store back.
Rules are tried in order; the first non-latency rule that fires decides.

Everything lives in data_dir (faults.json, requests.jsonl) because the in-process sandbox
builds a new app for every CLI run and must see the faults a test configured. Random draws
are derived from (seed, draw number) and the draw number is persisted, so a seeded run is
reproducible across those app instances.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

KINDS = ("latency", "error_500", "rate_limit_429", "drop_before", "lose_response", "error",
         "answer")
ECHO_BODY = 4096  # characters of the request body an echoing error quotes
_lock = threading.Lock()  # the CLI sandbox server and tests may share a process


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path_prefix: str = "/"
    method: str | None = None
    kind: Literal["latency", "error_500", "rate_limit_429", "drop_before", "lose_response",
                  "error", "answer"]
    probability: float = Field(1.0, ge=0, le=1)
    times: int | None = Field(None, ge=0)
    seconds: float = Field(0.0, ge=0, le=600)
    status: int = Field(400, ge=400, le=599)  # kind "error" only
    echo: bool = False
    # kind "answer" only
    processed: bool = False
    answer_status: int | None = Field(None, ge=100, le=599)
    headers: dict[str, str] = {}
    body: str | None = Field(None, max_length=1 << 20)
    body_repeat: int = Field(1, ge=1, le=64)
    cut: float = Field(1.0, ge=0, le=1)


def _matches(rule: dict[str, Any], method: str, path: str) -> bool:
    return path.startswith(rule["path_prefix"]) and (
        rule["method"] is None or rule["method"].upper() == method)


class FaultConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    rules: list[FaultRule] = []


class FaultMiddleware:
    def __init__(self, app: Any, data_dir: Path):
        self.app = app
        self.data_dir = Path(data_dir)
        self.faults_file = self.data_dir / "faults.json"
        self.journal_file = self.data_dir / "requests.jsonl"

    # -- persisted state ---------------------------------------------------------------

    def _load(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.faults_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _save(self, state: dict[str, Any]) -> None:
        tmp = self.faults_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1), encoding="utf-8")
        os.replace(tmp, self.faults_file)  # atomic: a reader never sees half a file

    def _choose(self, method: str, path: str) -> tuple[float, dict[str, Any] | None]:
        """(latency seconds, the fault rule that fired or None) for one request; records
        what fired."""
        with _lock:
            state = self._load()
            if not state or not state.get("rules"):
                return 0.0, None
            delay, kind, changed = 0.0, None, False
            for rule in state["rules"]:
                if not _matches(rule, method, path):
                    continue
                if rule.get("times") is not None and rule["fired"] >= rule["times"]:
                    continue
                draw = random.Random(f"{state['seed']}:{state['draws']}").random()
                state["draws"] += 1
                changed = True
                if draw >= rule["probability"]:
                    continue
                rule["fired"] += 1
                state["fired"][rule["kind"]] += 1
                if rule["kind"] == "latency":
                    delay += rule["seconds"]
                    continue
                kind = rule
                break
            if changed:
                self._save(state)
            return delay, kind

    def _journal(self, method: str, path: str, status: int | None, fault: str | None,
                 latency: float, form: list[tuple[str, str]] | None = None,
                 body: bytes = b"") -> None:
        entry: dict[str, Any] = {"time": time.time(), "method": method, "path": path,
                                 "status": status, "fault": fault}
        if latency:
            entry["latency"] = latency
        if form is not None:
            entry["form"] = form
        schedule = _schedule(body)
        if schedule:
            entry["schedule"] = schedule
        with _lock, self.journal_file.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    # -- control routes ----------------------------------------------------------------

    async def _control(self, request: Request) -> Response:
        path, method = request.url.path.rstrip("/"), request.method
        if path == "/_sandbox/faults":
            if method == "GET":
                return JSONResponse(self._load() or self._empty_state())
            if method == "DELETE":
                with _lock:
                    self.faults_file.unlink(missing_ok=True)
                return JSONResponse(self._empty_state())
            if method == "POST":
                try:
                    config = FaultConfig.model_validate_json(await request.body())
                except ValidationError as exc:
                    return JSONResponse({"message": "invalid fault config",
                                         "errors": json.loads(exc.json())}, 400)
                state = self._empty_state()
                state["seed"] = config.seed
                state["rules"] = [{**r.model_dump(), "fired": 0} for r in config.rules]
                with _lock:
                    self._save(state)
                return JSONResponse(state)
        elif path == "/_sandbox/requests":
            if method == "GET":
                return JSONResponse(self._read_journal(request.query_params))
            if method == "DELETE":
                with _lock:
                    self.journal_file.unlink(missing_ok=True)
                return Response(status_code=204)
        return JSONResponse({"message": "method not allowed"}, 405)

    @staticmethod
    def _empty_state() -> dict[str, Any]:
        return {"seed": 0, "rules": [], "draws": 0, "fired": dict.fromkeys(KINDS, 0)}

    def _read_journal(self, query: Any) -> list[dict[str, Any]]:
        try:
            lines = self.journal_file.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        entries = [json.loads(line) for line in lines if line.strip()]
        if query.get("method"):
            entries = [e for e in entries if e["method"] == query["method"].upper()]
        if query.get("path_prefix"):
            entries = [e for e in entries if e["path"].startswith(query["path_prefix"])]
        return entries

    # -- ASGI --------------------------------------------------------------------------

    async def _answer(self, rule: dict[str, Any], scope: dict, receive: Any, send: Any,
                      method: str, path: str, delay: float,
                      form: list[tuple[str, str]] | None) -> None:
        """Kind `answer`: the rule's odd answer, after processing the request or not."""
        status, headers, chunks = 200, [], []
        if rule["processed"]:
            async def capture(message: dict) -> None:
                nonlocal status, headers
                if message["type"] == "http.response.start":
                    status, headers = message["status"], list(message.get("headers") or [])
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))
            await self.app(scope, receive, capture)
        self._journal(method, path, rule["answer_status"] or status, "answer", delay, form)
        await _odd_answer(send, rule, status, headers, b"".join(chunks))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path.rstrip("/") in ("/_sandbox/faults", "/_sandbox/requests"):
            response = await self._control(Request(scope, receive))
            await response(scope, receive, send)
            return
        if path.startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return

        form, receive = await _read_form(scope, receive)
        delay, fired = self._choose(method, path)
        kind = fired["kind"] if fired else None
        if delay:
            await asyncio.sleep(delay)
        status: int | None = None

        async def tracking_send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            if kind != "lose_response":
                await send(message)

        if kind in ("error_500", "rate_limit_429", "error"):
            code = {"error_500": 500, "rate_limit_429": 429}.get(kind) or fired["status"]
            headers = {"Retry-After": "1"} if code == 429 else None
            message = f"sandbox fault injection: {kind}" + (f" {code}" if kind == "error" else "")
            if fired.get("echo"):
                message += "; you sent: " + await _echo(scope, receive, form)
            response = JSONResponse({"code": code, "message": message}, code,
                                    headers=headers)
            self._journal(method, path, code, kind, delay, form)
            await response(scope, receive, send)
            return
        if kind == "answer":
            await self._answer(fired, scope, receive, send, method, path, delay, form)
            return
        if kind == "drop_before":
            self._journal(method, path, None, kind, delay, form)
            await _break_connection(send)
        body = bytearray()

        async def tracking_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request" and len(body) < MAX_JOURNAL_BODY:
                body.extend(message.get("body", b""))
            return message

        try:
            await self.app(scope, tracking_receive, tracking_send)
        finally:
            self._journal(method, path, status, kind, delay, form, bytes(body))
        if kind == "lose_response":
            await _break_connection(send)


async def _odd_answer(send: Any, rule: dict[str, Any], status: int,
                      headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    """Send the rule's version of an answer (status, headers, body) as it is: no header of
    the real one is trusted to still describe it (Content-Length is recomputed)."""
    extra = {k.lower().encode("latin-1"): v.encode("latin-1", "replace")
             for k, v in rule["headers"].items()}
    kept = [(k, v) for k, v in headers if k.lower() not in extra
            and k.lower() != b"content-length"]
    if rule["body"] is not None:
        body = rule["body"].encode("utf-8", "surrogatepass") * rule["body_repeat"]
    else:
        body = body[:int(len(body) * rule["cut"])]
    await send({"type": "http.response.start", "status": rule["answer_status"] or status,
                "headers": [*kept, *extra.items(), (b"content-length",
                                                    str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _body(receive: Any) -> bytes:
    """The whole request body, from its ASGI messages."""
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def _read_form(scope: dict, receive: Any) -> tuple[list[tuple[str, str]] | None, Any]:
    """A form-encoded body's fields, for the journal (tests assert what a vendor received),
    and a `receive` that replays the body to the app. Other bodies are not read here."""
    headers = dict(scope.get("headers") or [])
    ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if ctype != b"application/x-www-form-urlencoded":
        return None, receive
    body = await _body(receive)
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return form, replay


async def _echo(scope: dict, receive: Any, form: list[tuple[str, str]] | None) -> str:
    """The request as a careless error message quotes it: request line, every header
    (`name: value ; ...`), the body (form fields decoded)."""
    query = scope.get("query_string", b"").decode("latin-1")
    line = f"{scope['method']} {scope.get('raw_path', b'').decode('latin-1') or scope['path']}"
    headers = " ; ".join(f"{k.decode('latin-1')}: {v.decode('latin-1')}"
                         for k, v in scope.get("headers") or [])
    if form is not None:
        body = "&".join(f"{k}={v}" for k, v in form)
    else:
        body = (await _body(receive)).decode("utf-8", "replace")
    return (f"{line}{'?' + query if query and '?' not in line else ''} headers: {headers} "
            f"body: {body[:ECHO_BODY]}")


MAX_JOURNAL_BODY = 64 << 20  # bodies larger than this are not read for `schedule`


def _schedule(body: bytes) -> list[str]:
    """The send times a vendor request asks for: Octopush `send_at`, Connectly entries'
    `scheduledAt` (each distinct value once)."""
    if not body or body[:1] not in (b"{", b"["):
        return []
    try:
        doc = json.loads(body)
    except ValueError:
        return []
    items = doc if isinstance(doc, list) else [doc]
    found = {v for item in items if isinstance(item, dict)
             for k in ("send_at", "scheduledAt") if isinstance(v := item.get(k), str)}
    return sorted(found)


async def _break_connection(send: Any) -> None:
    """Make the client see a connection that broke mid-response.

    We announce a body (Content-Length) and then fail. Over real HTTP (uvicorn) the headers
    are already on the wire, so uvicorn closes the socket on the exception and the client's
    HTTP parser reports an incomplete body (httpx: RemoteProtocolError). Over in-process
    httpx.ASGITransport nothing checks Content-Length (a short body would be returned as a
    normal response), but ASGITransport re-raises application exceptions to the caller,
    so raising httpx.RemoteProtocolError gives the client exactly what it gets over
    the network. uvicorn logs the exception; that log line is the injected fault.
    """
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"1024")]})
    raise httpx.RemoteProtocolError("sandbox fault injection: connection dropped")
