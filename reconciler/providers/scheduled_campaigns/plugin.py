"""The scheduled-campaigns vendor plug-in (registered in pyproject.toml under
`campaignctl.vendors`, as any third-party vendor is): campaigns only, each sent to a list
and segments the vendor holds, read back by id (the API has no list endpoint)."""

from __future__ import annotations

from reconciler.plugins import VendorPlugin
from reconciler.providers.scheduled_campaigns import rules
from reconciler.providers.scheduled_campaigns.options import CampaignOptions


def provider(account, ctx):
    from reconciler.providers.scheduled_campaigns.provider import ScheduledCampaignsProvider

    return ScheduledCampaignsProvider(account, ctx)


def conformance():
    from reconciler.providers.scheduled_campaigns.conformance import fixture

    return fixture()


PLUGIN = VendorPlugin(
    type="scheduled-campaigns", credentials=("api_key",), provider=provider,
    kinds=("Campaign",), options={"Campaign": CampaignOptions}, rules=rules.check,
    plan_fields={"Campaign": ("name", "when", "domain", "list", "segments", "event_callback")},
    emulator="reconciler.sandbox.scheduled_campaigns", conformance=conformance)
