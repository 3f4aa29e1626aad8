"""Evidence before a first send: a state that records nothing of an account whose vendor
shows it already holds campaigns or sends is not taken as "nothing sent yet". Asked only
while the workspace records no state lineage (once it does, the lineage is the guard):
each provider says what it can see (`Provider.evidence`); send-only vendors see nothing
and rely on the lineage."""

from __future__ import annotations

from reconciler.errors import CampaignctlError
from reconciler.state.lineage import HISTORY_TABLES


def accounts_recorded(store) -> set[str]:
    """The accounts the state holds anything of: bindings, a send ledger, opt-outs."""
    return {row[0] for table in HISTORY_TABLES
            for row in store.execute(f"SELECT DISTINCT account FROM {table}")}


def check_evidence(session) -> None:
    """Stop (CampaignctlError) when an account visibly holds what the state never recorded."""
    known = accounts_recorded(session.ctx.store)
    seen = [f"{name} ({p.account.type}): {found}"
            for name, p in sorted(session.providers.items())
            if name not in known and name in session.live
            and (found := p.evidence(session.live[name]))]
    if seen:
        raise CampaignctlError(
            f"the state at {session.ctx.store.where} records nothing of "
            f"{'; '.join(seen)}. Either this workspace applied before with another state "
            "(find it: `state:` in campaignctl.yaml, or `campaignctl state migrate` from "
            "it), or these are not campaignctl's: adopt them with `campaignctl import "
            "ACCOUNT`, or accept this state as the workspace's with `campaignctl state "
            "lineage --new`. Nothing was planned.")
