"""campaignctl: campaigns as code (package `reconciler`)."""

__version__ = "0.1.0"
