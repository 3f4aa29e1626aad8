"""The Acme SMS API as campaignctl's sandbox serves it (written from Acme's doc)."""

import itertools
from contextlib import closing
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reconciler.sandbox.deliveries import DeliveryLog

CREDENTIALS = ("api_key",)


def create_routes(data_dir, clock, accounts):
    log = DeliveryLog(Path(data_dir) / "acme-sms" / "deliveries.db")
    ids = itertools.count(1)

    async def send(request: Request):
        key = request.headers.get("x-acme-key", "")
        if not key or accounts.open("acme-sms", key, key) is None:
            return JSONResponse({"error": "unauthorized"}, 401)
        body = await request.json()
        if not body.get("text") or not body.get("sender") or not body.get("to"):
            return JSONResponse({"error": "sender, text and to are required"}, 400)
        batch = next(ids)
        with closing(log.connect()) as db, db:
            log.insert(db, [(f"{batch}-{i}", "sms", body["text"], to, body.get("send_at"),
                             clock.now().isoformat()) for i, to in enumerate(body["to"])])
        return JSONResponse({"batch": batch}, 201)

    return [Route("/acme/v1/messages", send, methods=["POST"])] + log.routes("acme-sms")
