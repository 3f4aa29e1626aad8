"""campaignctl: campaigns as code (package `reconciler`)."""

from reconciler.version import __version__

__all__ = ["__version__"]
