"""Run the campaignctl CLI in this process, for tests that make many calls (the helper
ships in the package, reconciler/testing/cli.py, for vendor packages' tests too)."""

from reconciler.testing.cli import campaignctl

__all__ = ["campaignctl"]
