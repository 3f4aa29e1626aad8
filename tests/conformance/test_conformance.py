"""What every provider must do, checked the same way for each: the packaged conformance
suite (reconciler/testing/conformance.py, the pytest plugin a third-party vendor package
runs too), over every installed vendor plug-in's own fixture (`VendorPlugin.conformance`):
the CLI, in this process, against the sandbox served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from reconciler.testing.conformance import ConformanceSuite


class TestEveryInstalledVendor(ConformanceSuite):
    """`vendors` unset: the four built-in ones (and any other plug-in installed here)."""
