"""`campaignctl status [DIR]`: one line per campaign across every account, after launch.
`model.py` holds what is said about one campaign (CampaignStatus, filled by each provider's
`campaign_status` hook), `collect.py` asks the providers; reconciler/render/status.py
renders the list as text, JSON or Markdown."""
