"""campaignctl's conformance suite, run against this package's own emulator."""

from reconciler.testing.conformance import ConformanceSuite


class TestAcmeSms(ConformanceSuite):
    vendors = ("acme-sms",)
