"""The emulators the sandbox serves: the one each installed vendor plug-in declares
(`VendorPlugin.emulator`, a module name), found through the `campaignctl.vendors`
entry-point group like the vendors themselves.

Only the emulator module is imported, never the vendor's client or provider: the
plug-in's declaration names it. An emulator module exposes CREDENTIALS (accounts.py) and
create_routes(data_dir, clock, accounts) -> list of routes."""

from __future__ import annotations

import importlib
from functools import cache
from importlib import metadata
from types import ModuleType

GROUP = "campaignctl.vendors"


class EmulatorError(RuntimeError):
    """A plug-in's emulator that cannot be served."""


@cache
def declared() -> dict[str, ModuleType]:
    """vendor type -> its emulator module, for every plug-in that declares one."""
    out: dict[str, ModuleType] = {}
    for ep in sorted(metadata.entry_points(group=GROUP), key=lambda e: e.name):
        dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist else "unknown distribution"
        try:
            name = getattr(ep.load(), "emulator", None)
            if name:
                module = importlib.import_module(name)
                for attr in ("CREDENTIALS", "create_routes"):
                    if not hasattr(module, attr):
                        raise EmulatorError(f"{name} has no {attr}")
                out[ep.name] = module
        except Exception as exc:
            raise EmulatorError(f"vendor plug-in {ep.name!r} ({dist}): its emulator cannot be "
                                f"served: {type(exc).__name__}: {exc}") from None
    return out
