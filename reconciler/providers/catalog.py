"""The one list of vendor types: what each is called in campaignctl.yaml, which
credentials it takes, which kinds it can hold, and where its code lives. A fifth vendor is
one folder under providers/ and one line here.

Loading this module installs the catalog for the neutral models (reconciler/vendors.py);
the pipeline (reconciler/run.py) hands `provider_factories()` to the engine. Neither the
engine nor the models import a vendor's code: what they need comes through here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler import vendors
from reconciler.vendors import ALL_KINDS


@dataclass(frozen=True)
class VendorType:
    type: str  # as written in campaignctl.yaml and as the vendor-block key in manifests
    package: str
    credentials: tuple[str, ...]
    kinds: tuple[str, ...] = ALL_KINDS
    # kind -> "module:Class" (relative to package) of the vendor block's pydantic model
    options: dict[str, str] = field(default_factory=dict)
    # The channel of a campaign that has no Message (its content lives at the vendor).
    channel: str | None = None
    # Sends one request per batch with its own send time: a local-time campaign goes out
    # in one wave per recipient zone. Others schedule one time for the whole campaign.
    waves: bool = False
    # The vendor holds no contacts: each plan builds every campaign's audience from its
    # contact groups and opt-out lists, whose rows are then kept after their one pass.
    local_audience: bool = False
    # Account settings of this vendor in campaignctl.yaml, checked by `<package>.settings`.
    settings: tuple[str, ...] = ()
    # kind -> the plan's own field names that `lifecycle.ignore_changes` may name besides
    # the manifest's (where the vendor's name for a field differs)
    plan_fields: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def check_settings(self, values: dict[str, Any]) -> list[tuple[str, tuple]]:
        """(problem, path under the account) for each bad vendor setting."""
        if not self.settings:
            return []
        module = importlib.import_module(f"{self.package}.settings")
        return module.check({k: v for k, v in values.items() if k in self.settings})

    def settings_schema(self) -> dict[str, Any]:
        """setting -> its JSON Schema, from the same module that checks it."""
        if not self.settings:
            return {}
        return importlib.import_module(f"{self.package}.settings").SCHEMA

    @property
    def options_key(self) -> str:
        """The Python attribute name of the vendor block (`scheduled-campaigns` is not one)."""
        return self.type.replace("-", "_")

    def option_model(self, kind: str) -> Any | None:
        ref = self.options.get(kind)
        if ref is None:
            return None
        module, cls = ref.split(":")
        try:
            return getattr(importlib.import_module(f"{self.package}.{module}"), cls)
        except ModuleNotFoundError:
            return None

    def rules(self) -> Callable[..., list] | None:
        try:
            module = importlib.import_module(f"{self.package}.rules")
        except ModuleNotFoundError:
            return None
        return module.check

    def provider_class(self) -> Any:
        module = importlib.import_module(f"{self.package}.provider")
        return module.PROVIDER


VENDORS: dict[str, VendorType] = {
    v.type: v
    for v in (
        VendorType("email-campaigns", "reconciler.providers.email_campaigns", ("token",),
                   plan_fields={"ContactGroup": ("tag",),
                                "Message": ("description", "email_message"),
                                "Campaign": ("contact_group",)}),
        VendorType(
            "scheduled-campaigns", "reconciler.providers.scheduled_campaigns", ("api_key",),
            kinds=("Campaign",), options={"Campaign": "options:CampaignOptions"},
            plan_fields={"Campaign": ("name", "when", "domain", "list", "segments",
                                      "event_callback")}),
        VendorType(
            "octopush", "reconciler.providers.octopush", ("api_login", "api_key"),
            options={"Campaign": "options:CampaignOptions"}, waves=True,
            local_audience=True, settings=("sms_prices", "vendor_estimate")),
        VendorType(
            "connectly", "reconciler.providers.connectly", ("business_id", "api_key"),
            options={"Campaign": "options:CampaignOptions"}, channel="whatsapp", waves=True,
            local_audience=True),
    )
}


def provider_factories() -> dict[str, Callable[..., Any]]:
    """vendor type -> its Provider class (called as cls(account, ctx)), loaded on first use:
    what the pipeline hands the engine."""
    return {t: _Lazy(v) for t, v in VENDORS.items()}


class _Lazy:
    """A provider class imported only when an account of that vendor is used."""

    def __init__(self, vendor: VendorType):
        self.vendor = vendor

    def __call__(self, account: Any, ctx: Any) -> Any:
        return self.vendor.provider_class()(account, ctx)


vendors.install(VENDORS)
