"""`proof` as a library call: a campaign's exact content sent now to its proof group (the
command's `--to`, the Campaign's `proof.group`, or the account's `proof: {group: NAME}`),
through the campaign's own account, under the state's lock (engine/proofs.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reconciler.api.pipeline import load_for_run, run_context, run_options
from reconciler.engine.contract import RunContext
from reconciler.engine.halting import Halted
from reconciler.engine.planner import open_session
from reconciler.engine.proofs import ProofSender, ProofSent
from reconciler.environments import record_store
from reconciler.errors import CampaignctlError
from reconciler.state.halt import read_halt
from reconciler.state.pins import pin_first_origins
from reconciler.workspace import Resource, Workspace


def proof(campaign: str, directory: Path = Path("."), *, to: str | None = None,
          environment: str | None = None) -> ProofSent:
    """Send a proof of `campaign` (Campaign/NAME); the ledger records it apart from the
    real send. Raises CampaignctlError when the vendor cannot send one, or when there is no
    proof group, an empty one or one over 50 recipients."""
    directory = Path(directory)
    ws, store = load_for_run(directory, environment)
    try:
        r = _campaign(ws, campaign)
        group = _group(ws, r, to)
        ctx = run_context(ws, store, run_options(None, None))
        return asyncio.run(_send(ctx, r, group))
    finally:
        store.close()


def _campaign(ws: Workspace, address: str) -> Resource:
    kind, _, name = address.partition("/")
    r = ws.get("Campaign", name) if kind == "Campaign" else None
    if r is None:
        raise CampaignctlError(f"{address}: no such Campaign in the workspace (expected "
                               "Campaign/NAME)")
    return r


def _group(ws: Workspace, r: Resource, to: str | None) -> Resource:
    account = ws.config.accounts[r.provider]
    name = to or (r.spec.proof.group if r.spec.proof else None) or (
        account.options.get("proof") or {}).get("group")
    if not name:
        raise CampaignctlError(f"{r.address}: no proof group: add `proof: {{group: NAME}}` to "
                               f"its spec or to account {r.provider!r} in campaignctl.yaml, "
                               "or pass --to GROUP")
    group = ws.get("ContactGroup", name)
    if group is None:
        raise CampaignctlError(f"{r.address}: proof group ContactGroup/{name} does not exist")
    return group


async def _send(ctx: RunContext, r: Resource, group: Resource) -> ProofSent:
    ws = ctx.workspace
    with ctx.store.locked():
        record_store(ctx.store, ws.config.environment)
        if (halt := read_halt(ctx.store)) is not None:  # a proof is a send too
            raise Halted(f"{r.address}: proof not sent: {halt.describe()}")
        session = open_session(ctx, {r.provider})
        try:
            provider = session.providers[r.provider]
            if not isinstance(provider, ProofSender):
                why = getattr(provider, "proof_unsupported", None) or "its plug-in sends no proofs"
                raise CampaignctlError(f"{ws.config.accounts[r.provider].type} cannot send a "
                                       f"proof of {r.address}: {why}")
            pin_first_origins(ctx.store, ws.config)  # before the first request
            return await provider.send_proof(r, group)
        finally:
            await session.aclose()
