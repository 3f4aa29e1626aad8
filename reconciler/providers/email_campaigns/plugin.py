"""The email-campaigns vendor plug-in (registered in pyproject.toml under
`campaignctl.vendors`, as any third-party vendor is): senders, opt-outs, contact groups,
messages and campaigns, read from the vendor's list and detail endpoints."""

from __future__ import annotations

from reconciler.plugins import VendorPlugin
from reconciler.providers.email_campaigns import rules


def provider(account, ctx):
    from reconciler.providers.email_campaigns.provider import EmailCampaignsProvider

    return EmailCampaignsProvider(account, ctx)


def conformance():
    from reconciler.providers.email_campaigns.conformance import fixture

    return fixture()


PLUGIN = VendorPlugin(
    type="email-campaigns", credentials=("token",), provider=provider, rules=rules.check,
    plan_fields={"ContactGroup": ("tag",), "Message": ("description", "email_message"),
                 "Campaign": ("contact_group",)},
    emulator="reconciler.sandbox.email_campaigns", conformance=conformance)
