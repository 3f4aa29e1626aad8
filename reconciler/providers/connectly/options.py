"""The `connectly:` block of a Campaign manifest: vendor-only send options."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CampaignOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_name: str | None = Field(
        None, min_length=1,
        description="The campaign's name at Connectly (its flow). Defaults to the "
        "Campaign manifest's name.")
    campaign_version: str = Field(
        min_length=1,
        description="Version of the Connectly campaign to send. Part of what identifies "
        "the content sent, so a new version is a new send.")
    variables: dict[str, str] = Field(
        default_factory=dict,
        description="Variables passed to the campaign for every recipient.")
    batch_size: int = Field(
        100, ge=1, le=1000, description="Recipients (entries) per request.")

    def name_for(self, manifest_name: str) -> str:
        return self.campaign_name or manifest_name
