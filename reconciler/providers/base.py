"""What every vendor's provider shares, implementing the engine's contract
(engine/contract.py): its account's HTTP transport (the network, or the in-process
sandbox), default hooks, and the binding helpers a create needs."""

from __future__ import annotations

from typing import Any

from reconciler.config import Account
from reconciler.engine.actions import Action
from reconciler.engine.contract import (
    BindingConflict,
    ImportedResource,
    RunContext,
    RunOptions,
)
from reconciler.errors import CampaignctlError
from reconciler.http import VendorHttp
from reconciler.sandbox.transport import resolve, sandbox_dir
from reconciler.state.store import Binding
from reconciler.workspace import Resource

__all__ = ["BindingConflict", "ImportedResource", "Provider", "RunContext", "RunOptions"]


class Provider:
    """The base class of every vendor's provider (an engine.contract.Provider)."""

    vendor: str = ""

    def __init__(self, account: Account, ctx: RunContext):
        self.account = account
        self.ctx = ctx
        self.store = ctx.store
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
        return opts

    def clients(self) -> list[VendorHttp]:
        """The HTTP layers this provider used (for call counts in reports)."""
        return []

    async def read(self, resources: list[Resource]) -> Any:
        raise NotImplementedError

    def fingerprint(self, live: Any) -> Any:
        return None

    def diff(self, resources: list[Resource], live: Any) -> list[Action]:
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
        """`campaignctl status`: one reconciler.campaign_status.CampaignStatus per Campaign
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
    def check_unbound(self, kind: str, name: str, expected: str | None) -> None:
        """Before a create's first call: refuse if the manifest was bound, since the plan
        was made (e.g. by another apply), to something other than `expected`."""
        current = self.store.get_binding(self.account.name, kind, name)
        if current is not None and current.remote_id != expected:
            raise BindingConflict(
                f"{kind}/{name} is already bound to live id {current.remote_id} on account "
                f"{self.account.name!r} (bound since this plan was made, by another run): "
                f"refusing to create a second one, which would orphan {current.remote_id}. "
                "Nothing was created. Run `campaignctl plan` again.")

    def bind_created(self, kind: str, name: str, remote_id: str, expected: str | None,
                     data: dict[str, Any] | None = None) -> None:
        """Bind what a create made; never overwrites a binding written meanwhile."""
        found = self.store.bind_created(
            Binding(self.account.name, kind, name, remote_id, data=data), expected)
        if found is not None:
            raise BindingConflict(
                f"{kind}/{name}: created id {remote_id} on account {self.account.name!r}, "
                f"but the manifest was bound meanwhile to live id {found.remote_id}; that "
                f"binding is kept (overwriting it would orphan {found.remote_id}) and "
                f"{remote_id} is not bound (remove it at the vendor if it is not wanted).")

    def action(self, op: str, r_or_kind: Resource | str, name: str | None = None,
               reason: str = "", **kw: Any) -> Action:
        if isinstance(r_or_kind, str):
            kind = r_or_kind
        else:
            kind, name = r_or_kind.kind, r_or_kind.name
        return Action(op=op, kind=kind, name=name or "", account=self.account.name,
                      reason=reason, **kw)
