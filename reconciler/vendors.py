"""The installed vendors: every `VendorPlugin` (reconciler/plugins.py) registered under the
`campaignctl.vendors` entry-point group, the four built-in ones included, found through
importlib.metadata on first use and checked once.

The vendor-neutral models (config.py, kinds/, validate.py, policy/) and the pipeline see
vendors only through `installed()`: they import no vendor's code. A plug-in that cannot be
loaded, declares itself wrongly or takes a type another distribution already has is a
`PluginError` naming its distribution, and stops the command (a vendor silently missing
would read as "unknown type" in every workspace that uses it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from typing import Any

from reconciler.errors import CampaignctlError
from reconciler.plugins import ALL_KINDS, VendorPlugin

__all__ = ["ALL_KINDS", "GROUP", "PluginError", "VendorPlugin", "installed"]

GROUP = "campaignctl.vendors"
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
log = logging.getLogger("campaignctl.plugins")


class PluginError(CampaignctlError):
    """An installed vendor plug-in that cannot be used."""


@dataclass(frozen=True)
class Origin:
    """Where an installed plug-in comes from."""

    distribution: str
    version: str
    entry_point: str  # module:attribute

    def __str__(self) -> str:
        return f"distribution {self.distribution} {self.version}, {self.entry_point}"


_catalog: dict[str, VendorPlugin] = {}
_origins: dict[str, Origin] = {}


def _origin(ep: metadata.EntryPoint) -> Origin:
    dist = ep.dist
    if dist is None:
        return Origin("(unknown)", "?", ep.value)
    return Origin(dist.metadata["Name"] or dist.name, dist.version or "?", ep.value)


def _problems(plugin: VendorPlugin) -> list[str]:
    out = []
    if not TYPE_PATTERN.match(plugin.type):
        out.append(f"type {plugin.type!r} is not lower-case words joined by '-'")
    if not plugin.credentials or not all(isinstance(c, str) and c for c in plugin.credentials):
        out.append("credentials must name at least one key")
    if unknown := [k for k in plugin.kinds if k not in ALL_KINDS]:
        out.append(f"unknown kinds {', '.join(map(str, unknown))} (one of {', '.join(ALL_KINDS)})")
    if stray := [k for k in plugin.options if k not in plugin.kinds]:
        out.append(f"options for kinds it does not manage: {', '.join(stray)}")
    if not callable(plugin.provider):
        out.append("provider is not callable (a factory: provider(account, ctx))")
    if plugin.settings_schema and plugin.settings_check is None:
        out.append("settings_schema without settings_check")
    return out


def discover(entry_points: Any = None) -> tuple[dict[str, VendorPlugin], dict[str, Origin]]:
    """(type -> plugin, type -> origin) of every plug-in in the entry-point group; a
    PluginError names the distribution of the first one that cannot be used."""
    eps = metadata.entry_points(group=GROUP) if entry_points is None else entry_points
    plugins: dict[str, VendorPlugin] = {}
    origins: dict[str, Origin] = {}
    for ep in sorted(eps, key=lambda e: (e.name, e.value)):
        origin = _origin(ep)
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(f"vendor plug-in {ep.name!r} ({origin}) cannot be loaded: "
                              f"{type(exc).__name__}: {exc}") from None
        if not isinstance(plugin, VendorPlugin):
            raise PluginError(f"vendor plug-in {ep.name!r} ({origin}) is a "
                              f"{type(plugin).__name__}, not a reconciler.plugins.VendorPlugin")
        problems = _problems(plugin)
        if plugin.type != ep.name:
            problems.insert(0, f"the entry point is named {ep.name!r} but the plug-in "
                               f"declares type {plugin.type!r}")
        if problems:
            raise PluginError(f"vendor plug-in {ep.name!r} ({origin}): {'; '.join(problems)}")
        if plugin.type in plugins:
            first = origins[plugin.type]
            raise PluginError(
                f"vendor type {plugin.type!r} is registered twice: by distribution "
                f"{first.distribution} {first.version} and by {origin.distribution} "
                f"{origin.version}; uninstall one of them")
        plugins[plugin.type] = plugin
        origins[plugin.type] = origin
    return plugins, origins


def install(catalog: Mapping[str, VendorPlugin],
            origins: Mapping[str, Origin] | None = None) -> None:
    """Use exactly these vendors (discovery does this on first use)."""
    _catalog.clear()
    _catalog.update(catalog)
    _origins.clear()
    _origins.update(origins or {})
    vendor_options.cache_clear()


def installed() -> Mapping[str, VendorPlugin]:
    """type -> plugin of every installed vendor (found on the first call)."""
    if not _catalog:
        plugins, origins = discover()
        if not plugins:
            raise PluginError(
                f"no vendor plug-in is installed (entry-point group {GROUP} is empty): "
                "reinstall campaignctl (`pip install -e .` in a checkout), whose four "
                "built-in vendors register there")
        install(plugins, origins)
        for vtype, origin in _origins.items():
            log.info("vendor %s: %s", vtype, origin)
    return _catalog


def origin(vendor_type: str) -> Origin | None:
    installed()
    return _origins.get(vendor_type)


def provider_factories() -> dict[str, Callable[..., Any]]:
    """vendor type -> its provider factory (factory(account, ctx)): what the pipeline hands
    the engine (RunContext.vendors)."""
    return {t: p.provider for t, p in installed().items()}


@cache
def vendor_options(kind: str) -> dict[str, Any]:
    """vendor type -> pydantic model of its block in manifests of this kind."""
    out = {}
    for vendor in installed().values():
        model = vendor.option_model(kind)
        if model is not None:
            out[vendor.type] = model
    return out
