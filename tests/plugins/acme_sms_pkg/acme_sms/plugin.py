"""The declaration campaignctl finds through the `campaignctl.vendors` entry point."""

from reconciler.plugins import VendorPlugin


def provider(account, ctx):
    from acme_sms.provider import AcmeSmsProvider

    return AcmeSmsProvider(account, ctx)


def conformance():
    from acme_sms.conformance import fixture

    return fixture()


PLUGIN = VendorPlugin(
    type="acme-sms", credentials=("api_key",), provider=provider,
    kinds=("Sender", "OptOutList", "ContactGroup", "Message", "Campaign"),
    waves=True, local_audience=True, emulator="acme_sms.emulator", conformance=conformance)
