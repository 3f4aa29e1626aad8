"""One ASGI app serving every vendor emulator (each installed plug-in's: emulators.py),
the sandbox clock, its accounts and fault injection. The four built-in emulators live here,
one module per vendor API, each written from that vendor's doc alone."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reconciler.sandbox.accounts import Accounts
from reconciler.sandbox.clock import SandboxClock
from reconciler.sandbox.emulators import declared
from reconciler.sandbox.faults import FaultMiddleware


def _clock_routes(clock: SandboxClock) -> list[Route]:
    async def get_clock(request: Request) -> JSONResponse:
        return JSONResponse({"now": clock.now().isoformat(), "timestamp": clock.timestamp()})

    async def advance_clock(request: Request) -> JSONResponse:
        body = await request.json()
        clock.advance(float(body.get("advance_seconds", 0)))
        for listener in clock.listeners:
            await run_in_threadpool(listener)
        return JSONResponse({"now": clock.now().isoformat(), "timestamp": clock.timestamp()})

    return [
        Route("/_sandbox/clock", get_clock, methods=["GET"]),
        Route("/_sandbox/clock", advance_clock, methods=["POST"]),
    ]


def build_app(data_dir: Path, accounts: Iterable[tuple[str, dict[str, str]]] = ()):
    """The sandbox over `data_dir`. `accounts`: (vendor type, credentials) accepted besides
    the built-in and the registered ones (the in-process sandbox: the workspace's account)."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    clock = SandboxClock(data_dir)
    emulators = declared()
    registry = Accounts(data_dir, {t: m.CREDENTIALS for t, m in emulators.items()}, accounts)
    routes: list = _clock_routes(clock) + registry.routes()
    for module in emulators.values():
        routes.extend(module.create_routes(data_dir, clock, registry))
    return FaultMiddleware(Starlette(routes=routes), data_dir)
