"""The octopush vendor plug-in (registered in pyproject.toml under `campaignctl.vendors`,
as any third-party vendor is): SMS and email campaign sends, one request per batch (so a
local-time campaign goes out in waves); the vendor holds no contacts and cannot be read,
so the live state is our send ledger."""

from __future__ import annotations

from reconciler.plugins import VendorPlugin
from reconciler.providers.octopush import rules, settings
from reconciler.providers.octopush.options import CampaignOptions


def provider(account, ctx):
    from reconciler.providers.octopush.provider import OctopushProvider

    return OctopushProvider(account, ctx)


def conformance():
    from reconciler.providers.octopush.conformance import fixture

    return fixture()


PLUGIN = VendorPlugin(
    type="octopush", credentials=("api_login", "api_key"), provider=provider,
    options={"Campaign": CampaignOptions}, rules=rules.check,
    settings_schema=settings.SCHEMA, settings_check=settings.check,
    waves=True, local_audience=True,
    # "language: The language used for the unsubscription mention in the email channel"
    adds_unsubscribe="Octopush adds an unsubscription mention to every email "
                     "(octopush-email-campaign.txt, `language`)",
    emulator="reconciler.sandbox.octopush", conformance=conformance)
