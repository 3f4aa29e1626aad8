"""One ASGI app serving every vendor emulator, the sandbox clock and fault injection."""

from __future__ import annotations

import importlib
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from reconciler.sandbox.clock import SandboxClock

# Each module exposes create_routes(data_dir: Path, clock: SandboxClock) -> list[BaseRoute].
EMULATORS = [
    "reconciler.providers.email_campaigns.emulator",
    "reconciler.providers.scheduled_campaigns.emulator",
    "reconciler.providers.octopush.emulator",
    "reconciler.providers.connectly.emulator",
]


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


def build_app(data_dir: Path):
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    clock = SandboxClock(data_dir)
    routes: list = _clock_routes(clock)
    for name in EMULATORS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # emulator not written yet
                continue
            raise
        routes.extend(module.create_routes(data_dir, clock))
    app = Starlette(routes=routes)
    try:
        from reconciler.sandbox.faults import FaultMiddleware
    except ModuleNotFoundError:
        return app
    return FaultMiddleware(app, data_dir)
