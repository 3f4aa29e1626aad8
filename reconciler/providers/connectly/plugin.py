"""The connectly vendor plug-in (registered in pyproject.toml under `campaignctl.vendors`,
as any third-party vendor is): WhatsApp campaign sendouts of a template the vendor holds
(no Message), one request per batch; the live state is our send ledger."""

from __future__ import annotations

from reconciler.plugins import VendorPlugin
from reconciler.providers.connectly import rules
from reconciler.providers.connectly.options import CampaignOptions


def provider(account, ctx):
    from reconciler.providers.connectly.provider import ConnectlyProvider

    return ConnectlyProvider(account, ctx)


def conformance():
    from reconciler.providers.connectly.conformance import fixture

    return fixture()


PLUGIN = VendorPlugin(
    type="connectly", credentials=("business_id", "api_key"), provider=provider,
    options={"Campaign": CampaignOptions}, rules=rules.check, channel="whatsapp",
    waves=True, local_audience=True,
    emulator="reconciler.sandbox.connectly", conformance=conformance)
