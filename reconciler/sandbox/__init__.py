"""The built-in emulator of the four vendor APIs (`campaignctl sandbox serve`).

Each vendor's emulator lives in its own folder (`reconciler/providers/<vendor>/emulator.py`)
and exposes `create_routes(data_dir, clock) -> list[starlette.routing.BaseRoute]`; this
package composes them into one ASGI app, adds the shared clock and fault injection, and
serves it over HTTP or in-process.
"""
