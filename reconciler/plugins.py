"""What a vendor plug-in declares: one `VendorPlugin` object, registered under the
`campaignctl.vendors` entry-point group of its distribution. The four built-in vendors
declare theirs in `reconciler/providers/<vendor>/plugin.py` and register the same way
(pyproject.toml); a third-party package does exactly that:

    # pyproject.toml
    [project.entry-points."campaignctl.vendors"]
    acme-sms = "acme_sms.plugin:PLUGIN"

    # acme_sms/plugin.py
    PLUGIN = VendorPlugin(type="acme-sms", credentials=("api_key",), provider=make_provider,
                          kinds=("Sender", "ContactGroup", "Message", "Campaign"), ...)

The declaration is loaded for every command (validate included), so a plugin module keeps
its provider and HTTP client behind `provider` (a factory that imports them when an
account of that vendor is used); option models, rules and settings are light and are
handed over as objects. reconciler/vendors.py finds and checks the installed plug-ins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.kinds.catalog import KIND_ORDER

if TYPE_CHECKING:
    from reconciler.testing.fixtures import ConformanceFixture

#: the neutral kinds, in dependency order: what a vendor manages unless it says otherwise
ALL_KINDS = KIND_ORDER  # every kind a vendor may hold (reconciler/kinds/catalog.py)

#: (problem, path under the account) for each bad vendor setting of an account
SettingsCheck = Callable[[dict[str, Any]], list[tuple[str, tuple]]]


@dataclass(frozen=True)
class VendorPlugin:
    #: as written in campaignctl.yaml (`type:`) and as the vendor-block key in manifests
    type: str
    #: the credential keys of an account, each a ${VAR} in campaignctl.yaml
    credentials: tuple[str, ...]
    #: provider(account, ctx) -> the engine's Provider for one account
    #: (reconciler.engine.contract.Provider); imports the vendor's code on first use
    provider: Callable[..., Any]
    #: the kinds an account of this vendor can hold
    kinds: tuple[str, ...] = ALL_KINDS
    #: kind -> the pydantic model of the vendor block (`<type>: {...}`) in that kind's spec
    options: Mapping[str, type] = field(default_factory=dict)
    #: the vendor's offline checks of one resource: rules(resource, workspace) -> [Diagnostic]
    rules: Callable[..., list] | None = None
    #: account settings besides the credentials: setting -> its JSON Schema (for editors)
    settings_schema: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    #: checks the values of those settings (the schema alone for editors cannot say all)
    settings_check: SettingsCheck | None = None
    # Capabilities --------------------------------------------------------------------
    #: the channel of a campaign that has no Message (its content lives at the vendor)
    channel: str | None = None
    #: one request per batch with its own send time: a local-time campaign goes out in one
    #: wave per recipient zone (others schedule one time for the whole campaign)
    waves: bool = False
    #: the vendor holds no contacts: each plan builds every campaign's audience from its
    #: contact groups and opt-out lists, whose rows are kept after their one pass
    local_audience: bool = False
    #: kind -> the vendor's field names that `lifecycle.ignore_changes` may name besides
    #: the manifest's (where the vendor's name for a field differs; plans name fields as
    #: the manifest does, engine/fields.py, and accept these as before)
    plan_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: what the vendor replaces with an unsubscribe link in an email body (its doc's
    #: placeholders): one of them satisfies the pack's unsubscribe rule
    unsubscribe_placeholders: tuple[str, ...] = ()
    #: the vendor adds an unsubscribe mention to every email itself (why, from its doc)
    adds_unsubscribe: str | None = None
    # Testing -------------------------------------------------------------------------
    #: the module of its API emulator, which the sandbox serves (`campaignctl sandbox
    #: serve`, `base_url: sandbox`): it exposes CREDENTIALS (see reconciler/sandbox/
    #: accounts.py) and create_routes(data_dir, clock, accounts). A module name, not the
    #: module: the sandbox imports it alone, never the vendor's client or provider (an
    #: emulator sharing their reading of the vendor's doc could not catch its mistakes).
    emulator: str | None = None
    #: conformance() -> the fixture the packaged conformance suite runs
    #: (reconciler.testing.conformance): imported only by a test run
    conformance: Callable[[], ConformanceFixture] | None = None

    @property
    def settings(self) -> tuple[str, ...]:
        """The names of the vendor's account settings in campaignctl.yaml."""
        return tuple(self.settings_schema)

    @property
    def options_key(self) -> str:
        """The Python attribute name of the vendor block (`scheduled-campaigns` is not one)."""
        return self.type.replace("-", "_")

    def option_model(self, kind: str) -> type | None:
        return self.options.get(kind)

    def check_settings(self, values: dict[str, Any]) -> list[tuple[str, tuple]]:
        """(problem, path under the account) for each bad vendor setting."""
        if self.settings_check is None:
            return []
        return self.settings_check({k: v for k, v in values.items() if k in self.settings})
