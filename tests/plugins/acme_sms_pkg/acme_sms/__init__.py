"""campaignctl vendor plug-in for the Acme SMS API (a test package)."""
