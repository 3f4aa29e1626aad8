"""The provider contract: what the engine asks of every vendor, and what it hands them.

A provider (reconciler/providers/<vendor>/provider.py) fills four hooks; the engine
knows nothing else of it:

    read(resources)      -> live snapshot (API reads, or our own ledger for send-only APIs)
    fingerprint(live)    -> small JSON-able digest input: a saved plan is refused if it moved
    live_item(live, kind, name) -> the same for one object (a saved action binds to it)
    diff(resources, live, matches) -> [Action]   (pure: no I/O; engine/actions.py)
    execute(action, live)-> performs one action (vendor calls; bindings through
                            `self.bindings`, the engine's engine/identity.Bindings)

Identity is the engine's (engine/identity.py): a vendor whose objects have a natural key
declares `natural_key(resource)` and `live_objects(live)`, and the engine hands `diff` the
match of every manifest (bound, adopt, gone, new), one rule for every vendor. Providers read
and write bindings only through `ctx.bindings(account)`, which the engine reads once per
session.

The pipeline (reconciler/api/pipeline.py) hands the engine the vendor catalog in the RunContext:
vendor type -> a factory making a provider for an account.

A read that needs the manifests' contacts or opt-outs (their rows, or a summary of them)
awaits `ctx.checks_done()` first: some CSVs may still be being checked while the reads are
in flight (reconciler/checked_csv.py). The engine awaits it before every diff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.config import Account
from reconciler.engine.actions import Action
from reconciler.engine.identity import BindingConflict, Bindings, LiveObject, Match
from reconciler.engine.reporting import NO_PROGRESS, Reporter, Requests
from reconciler.state.store import Store
from reconciler.workspace import Resource, Workspace

if TYPE_CHECKING:
    from reconciler.engine.account_state import AccountState


#: apply's actions in flight at once unless told (Terraform's -parallelism default)
DEFAULT_PARALLELISM = 10


@dataclass
class RunOptions:
    resend_unknown: bool = False
    # apply --resend-unknown=COUNT: how many the operator decided to resend; an apply that
    # would resend another number sends nothing (engine.safety.check_resend).
    resend_expected: int | None = None
    show_contacts: bool = False
    vendor_estimate: bool = False  # plan --vendor-estimate: ask the vendor (sends contacts)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The time at apply, read when a send is about to go (tests pin it).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # apply --parallelism: actions in flight at once at most (engine/executor.py)
    parallelism: int = DEFAULT_PARALLELISM


@dataclass
class ImportedResource:
    """A live object `campaignctl import` adopts: the manifest to write and the id to bind.

    `title` is the vendor's own name (the importer derives a unique manifest name from it);
    `spec` is the manifest's spec as plain YAML-able data (vendor block under its key)."""

    kind: str
    remote_id: str
    title: str
    spec: dict[str, Any]
    note: str = ""  # shown to the user, e.g. "DONE: frozen, kept for the record"
    #: spec key -> (kind, live id) of the objects it references; the importer writes the
    #: manifest name bound to (or imported for) that id. A list value for list keys.
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: rows for a CSV written next to the manifest (the spec's `file:` names it).
    rows: list[dict[str, str]] | None = None
    lifecycle: dict[str, Any] = field(default_factory=dict)
    #: a workspace manifest (KIND/NAME) the next plan binds this object to (adopt)
    held_by: str | None = None


@dataclass
class RunContext:
    workspace: Workspace
    store: Store
    options: RunOptions = field(default_factory=RunOptions)
    #: where long work reports how far it got (the CLI shows it; the default shows nothing)
    reporter: Reporter = NO_PROGRESS
    #: the vendor requests of the current session (open_session starts a new count): each
    #: provider's HTTP layer reports to it, the engine never reaches into a client
    requests: Requests = field(default_factory=Requests)
    #: the vendor catalog, handed in by the pipeline: vendor type -> ProviderFactory
    vendors: Mapping[str, ProviderFactory] = field(default_factory=dict)
    #: the CSV checks left for the plan (workspace.unchecked), running in a worker thread
    #: while the reads are in flight: see checks_done
    pending_checks: asyncio.Future | None = None
    #: set when the workspace records no lineage for this state yet (state/lineage.py):
    #: the plan stops where a vendor shows sends the state knows nothing of, and says so
    #: when the state already has history (an upgraded workspace; a new one just records it)
    unrecorded_state: str | None = None
    lineage_note: str | None = None
    #: account -> its bindings, read once per session (engine/planner.open_session)
    bindings_read: dict[str, Bindings] = field(default_factory=dict)

    def bindings(self, account: str) -> Bindings:
        """The account's bindings: the only way a provider reads or writes them."""
        if account not in self.bindings_read:
            self.bindings_read[account] = Bindings(self.store, account)
        return self.bindings_read[account]

    def account_state(self, account: str) -> AccountState:
        """What a provider holds of the state (engine/account_state.py), never the Store."""
        from reconciler.engine.account_state import AccountState

        return AccountState(self.store, account, self.bindings(account))

    @property
    def directory(self) -> Path:
        return self.workspace.directory

    async def checks_done(self) -> None:
        """Wait until every CSV row is checked; ValidationFailed if a check found a problem.
        Whatever uses a resource's CSV rows (a diff, a read that needs the manifests'
        contacts) awaits this first."""
        if self.pending_checks is not None:
            await self.pending_checks


class Provider(Protocol):
    """One account's vendor, as the engine drives it."""

    account: Account

    def clients(self) -> list[Any]:
        """The HTTP layers it opened, for `aclose`. Each is made with the session's
        request observer (RunContext.requests), which counts and shows its requests."""

    async def read(self, resources: list[Resource]) -> Any: ...

    def fingerprint(self, live: Any) -> Any: ...

    def live_item(self, live: Any, kind: str, name: str) -> Any:
        """The stamp of the live object KIND/NAME is planned against (None: nothing live),
        which a saved plan's action is bound to (engine/binding.py)."""

    def diff(self, resources: list[Resource], live: Any,
             matches: Mapping[tuple[str, str], Match]) -> list[Action]:
        """`matches`: (kind, name) -> the live object the engine found for each manifest
        (empty for a vendor that declares no `live_objects`). Each FieldChange is named and
        valued as the manifest writes it, with the vendor's name beside it: a vendor
        declares a FieldMap per kind (engine/fields.py) and makes its changes with it."""

    async def execute(self, action: Action, live: Any) -> None: ...

    def concurrency_limit(self) -> int | None:
        """Optional (providers/base.py has the default): how many of this account's
        actions apply may run at once, the account's `max_concurrency`; None: the
        executor's default (engine/executor.py)."""

    def planned_recipients(self, action: Action) -> list[str] | None:
        """Optional (providers/base.py has the default): the addresses a send the last diff
        planned would reach, for `plan --show-contacts` on the terminal only; None when the
        vendor picks them (a list or segment of its own) or the run does not show contacts."""

    async def import_resources(self, ids: list[str]) -> list[ImportedResource]:
        """Fetch live objects to adopt (`campaignctl import`); no writes, no bindings."""

    async def campaign_status(self, campaigns: list[Resource], details: bool = False,
                              show_contacts: bool = False) -> list[Any]:
        """`campaignctl status`: one CampaignStatus per Campaign manifest (reads only)."""

    def evidence(self, live: Any) -> str | None:
        """What the account visibly holds already (sends, campaigns), read from `live`,
        for a state that records nothing of it; None when the vendor cannot show it."""

    async def aclose(self) -> None: ...


class HasNaturalKeys(Protocol):
    """What a vendor whose live objects have natural keys adds to Provider."""

    def natural_key(self, resource: Resource) -> Any:
        """The key a live object of this manifest would have (None: none)."""

    def live_objects(self, live: Any) -> list[LiveObject]: ...


class Haltable(Protocol):
    """What a vendor that can stop campaigns adds to Provider, for `campaignctl halt`."""

    async def halt(self) -> list[Any]:
        """Cancel, or move back to draft, every campaign of the account still waiting to
        send, as the vendor's API allows; list what could not be stopped and why. Returns
        engine/halting.StopOutcome items."""


__all__ = ["BindingConflict", "Bindings", "Haltable", "HasNaturalKeys", "ImportedResource", "LiveObject",
           "Match", "Provider", "ProviderFactory", "RunContext", "RunOptions"]


#: vendor type -> makes the provider of one account: factory(account, ctx)
ProviderFactory = Callable[[Account, "RunContext"], Provider]
