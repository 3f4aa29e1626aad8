"""What every vendor's provider shares, implementing the engine's contract
(engine/contract.py): its account's HTTP transport (the network, or the in-process
sandbox), default hooks, and the engine's bindings of its account (`self.bindings`, engine/identity.Bindings)."""

from __future__ import annotations

from typing import Any

from reconciler.config import Account
from reconciler.engine.actions import Action
from reconciler.engine.contract import (
    BindingConflict,
    ImportedResource,
    Match,
    RunContext,
    RunOptions,
)
from reconciler.errors import CampaignctlError
from reconciler.http import VendorHttp
from reconciler.sandbox.transport import resolve, sandbox_dir
from reconciler.workspace import Resource

__all__ = ["BindingConflict", "ImportedResource", "Provider", "RunContext", "RunOptions"]


class Provider:
    """The base class of every vendor's provider (an engine.contract.Provider)."""

    vendor: str = ""

    def __init__(self, account: Account, ctx: RunContext):
        self.account = account
        self.ctx = ctx
        # Its account's state through typed methods (engine/account_state.py), never the
        # raw store; the bindings are the engine's (engine/identity.py).
        self.state = ctx.account_state(account.name)
        self.bindings = self.state.bindings
        self.base_url, self.transport = resolve(
            account.base_url, sandbox_dir(ctx.directory, ctx.workspace.config.environment),
            account.type, {k: v.reveal() for k, v in account.credentials.items()})
        self.recipients_of: dict[str, list[str]] = {}  # address -> planned recipients

    def http_options(self) -> dict[str, Any]:
        opts = {k: v for k, v in self.account.options.items()
                if k in ("timeout", "max_concurrency", "rate_limit")}
        if self.transport is not None:
            opts["transport"] = self.transport
        opts["show_contacts"] = self.ctx.options.show_contacts  # in the request log
        # Every request is counted, and the reads shown, by the session (engine/reporting).
        opts["observer"] = self.ctx.requests.for_account(self.account.name)
        return opts

    def concurrency_limit(self) -> int | None:
        """How many of this account's actions apply may run at once: the account's
        `max_concurrency`, the setting its reads use (None: the executor's default)."""
        limit = self.account.options.get("max_concurrency")
        return int(limit) if limit is not None else None

    def clients(self) -> list[VendorHttp]:
        """The HTTP layers this provider opened (aclose closes them)."""
        return []

    async def read(self, resources: list[Resource]) -> Any:
        raise NotImplementedError

    def fingerprint(self, live: Any) -> Any:
        return None

    def live_item(self, live: Any, kind: str, name: str) -> Any:
        """The live object the manifest KIND/NAME is planned against, as the same small
        JSON-able stamp `fingerprint` takes (None: nothing live): a saved plan's action is
        bound to it (engine/binding.py)."""
        return None

    def diff(self, resources: list[Resource], live: Any,
             matches: dict[tuple[str, str], Match]) -> list[Action]:
        raise NotImplementedError

    def planned_recipients(self, action: Action) -> list[str] | None:
        """The addresses a send this diff planned would reach (`plan --show-contacts`, on
        the terminal only: never in an action, a plan file or a log); None when the vendor
        picks them (a list or segment of its own). Diffs fill `recipients_of` only when
        the run shows contacts."""
        return self.recipients_of.get(action.address)

    async def execute(self, action: Action, live: Any) -> None:
        raise NotImplementedError

    async def import_resources(self, ids: list[str]) -> list[ImportedResource]:
        """Fetch live objects to adopt (`campaignctl import`); no writes, no bindings."""
        raise CampaignctlError(f"import is not supported for {self.vendor or self.account.type}")

    async def campaign_status(self, campaigns: list[Resource], details: bool = False,
                              show_contacts: bool = False) -> list[Any]:
        """`campaignctl status`: one reconciler.status.model.CampaignStatus per Campaign
        manifest (reads only). `details` adds batches/events; `show_contacts` recipients."""
        return []

    def evidence(self, live: Any) -> str | None:
        """What the account visibly holds already (a vendor that can show it overrides
        this); None: nothing seen, or a send-only vendor (the lineage is its guard)."""
        return None

    async def aclose(self) -> None:
        for c in self.clients():
            await c.aclose()

    # helpers for vendor modules -----------------------------------------------------------
    def action(self, op: str, r_or_kind: Resource | str, name: str | None = None,
               reason: str = "", **kw: Any) -> Action:
        if isinstance(r_or_kind, str):
            kind = r_or_kind
        else:
            kind, name = r_or_kind.kind, r_or_kind.name
        return Action(op=op, kind=kind, name=name or "", account=self.account.name,
                      reason=reason, **kw)
