"""What the vendor-neutral models (config.py, kinds.py, validate.py, policy/) know of
vendors: the catalog the pipeline installs (reconciler/providers/catalog.py), seen only
through the `Vendor` interface below. They import no vendor's code: the catalog hands in
each vendor's credentials, kinds, option models, rules and settings check."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Protocol

ALL_KINDS = ("Sender", "OptOutList", "ContactGroup", "Message", "Campaign")


class Vendor(Protocol):
    type: str  # as written in campaignctl.yaml and as the vendor-block key in manifests
    credentials: tuple[str, ...]
    kinds: tuple[str, ...]
    channel: str | None  # of a campaign with no Message (its content lives at the vendor)
    waves: bool  # one request per batch with its own send time (local-time waves)
    local_audience: bool  # holds no contacts: plans build audiences from our CSVs
    settings: tuple[str, ...]  # account settings of this vendor in campaignctl.yaml
    #: kind -> the vendor's own names of fields a plan diffs (lifecycle.ignore_changes)
    plan_fields: dict[str, tuple[str, ...]]

    @property
    def options_key(self) -> str:
        """The Python attribute name of the vendor block in a spec."""

    def option_model(self, kind: str) -> Any | None:
        """The pydantic model of this vendor's block in manifests of `kind`, if any."""

    def check_settings(self, values: dict[str, Any]) -> list[tuple[str, tuple]]:
        """(problem, path under the account) for each bad vendor setting."""

    def rules(self) -> Callable[..., list] | None:
        """The vendor's offline checks of one resource: check(resource, workspace)."""


_catalog: dict[str, Vendor] = {}


def install(catalog: Mapping[str, Vendor]) -> None:
    """Called by the vendor catalog when it is loaded (the pipeline loads it)."""
    _catalog.clear()
    _catalog.update(catalog)
    vendor_options.cache_clear()


def installed() -> Mapping[str, Vendor]:
    if not _catalog:
        raise RuntimeError("no vendor catalog installed: import reconciler.providers.catalog "
                           "(reconciler.run and the CLI do) before loading a workspace")
    return _catalog


@cache
def vendor_options(kind: str) -> dict[str, Any]:
    """vendor type -> pydantic model of its block in manifests of this kind."""
    out = {}
    for vendor in installed().values():
        model = vendor.option_model(kind)
        if model is not None:
            out[vendor.type] = model
    return out
