"""`campaignctl callbacks serve`: a small ASGI receiver for scheduled-campaigns
`event_callback` POSTs, storing each event in the workspace's state store.

Point a campaign's `event_callback` at `http://HOST:PORT/ACCOUNT/CAMPAIGN` (the account
and Campaign manifest names; a query string is allowed and ignored: the vendor forwards
it unchanged). The vendor's POST is form-encoded, as its doc says:
`event` (submitted, delivered, bounced, opened, clicked), `when` (Unix seconds), and
`telephone[0]`, `telephone[1]`... / `email[0]`, `email[1]`... (`telephone[]` / `email[]`
repeated are accepted too). Events are aggregated by the vendor over up to five minutes.

Answers: 204 stored; 400 a body that is not such a form; 404 an account the workspace
does not have, or a path that is not ACCOUNT/CAMPAIGN. Addresses are never logged.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.kinds import NAME_PATTERN
from reconciler.state.events import EVENTS, CallbackEvents

INDEXED = re.compile(r"^(telephone|email)\[(\d*)\]$")
NAME = re.compile(NAME_PATTERN)


class BadCallback(ValueError):
    pass


def parse_event(body: bytes, content_type: str) -> tuple[str, float, list[str], list[str]]:
    """(event, when, emails, telephones) of one callback body."""
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadCallback("body must be application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise BadCallback("malformed form body") from None
    fields: dict[str, str] = {}
    lists: dict[str, list[tuple[int, str]]] = {"email": [], "telephone": []}
    for key, value in pairs:
        m = INDEXED.match(key)
        if m:
            order = int(m.group(2)) if m.group(2) else len(lists[m.group(1)])
            lists[m.group(1)].append((order, value))
        elif key in ("event", "when") and key not in fields:
            fields[key] = value
        else:
            raise BadCallback(f"unexpected parameter {key!r}")
    if fields.get("event") not in EVENTS:
        raise BadCallback(f"event must be one of {', '.join(EVENTS)}")
    try:
        when = float(int(fields.get("when", "")))
    except ValueError:
        raise BadCallback("when must be a Unix timestamp (integer seconds)") from None
    emails = [v for _, v in sorted(lists["email"])]
    phones = [v for _, v in sorted(lists["telephone"])]
    return fields["event"], when, emails, phones


def build_app(directory: Path, environment: str | None = None) -> Starlette:
    """The receiver for the workspace at `directory` (its campaignctl.yaml names the state
    store and the accounts) in `environment`."""
    from reconciler.state.backend import open_store, workspace_config

    config = workspace_config(directory, environment)
    accounts = {name for name, acc in config.accounts.items()
                if acc.type == "scheduled-campaigns"}
    store = open_store(config)
    events = CallbackEvents(store)

    async def receive(request: Request) -> Response:
        account, campaign = request.path_params["account"], request.path_params["campaign"]
        if account not in accounts or not NAME.match(campaign):
            return JSONResponse({"message": "POST to /ACCOUNT/CAMPAIGN: a scheduled-campaigns "
                                            "account of this workspace and a campaign name"},
                                404)
        try:
            event, when, emails, phones = parse_event(
                await request.body(), request.headers.get("content-type", ""))
        except BadCallback as exc:
            return JSONResponse({"message": str(exc)}, 400)
        events.record(account, campaign, event, when, emails, phones)
        return Response(status_code=204)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "accounts": sorted(accounts)})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            store.close()

    return Starlette(routes=[Route("/", health, methods=["GET"]),
                             Route("/{account}/{campaign}", receive, methods=["POST"])],
                     lifespan=lifespan)
