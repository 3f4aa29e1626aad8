"""Declared states of emergency, listed under `policy: emergencies:` in campaignctl.yaml.

Each closes every marketing window of its jurisdiction, on the listed channels, from its
first day to its last (inclusive, in the recipient's own time); without `to` it holds until
the entry is removed. Louisiana's R.S. 45:844.31 is why (see the pack's us-la-emergency):

    policy:
      emergencies:
        - jurisdiction: US-LA
          from: 2027-08-29
          to: 2027-09-28
          source: "Governor's proclamation 115 JML 2027 (lpsc.louisiana.gov/emergency)"
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.policy.pack import Channel, Rule, check_jurisdiction

ALWAYS = {"mon-sun": "00:00-24:00"}


class Emergency(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    jurisdiction: str = Field(description="Country (FR) or US state (US-LA)")
    start: dt.date = Field(alias="from", description="First day closed (recipient's time)")
    to: dt.date | None = Field(None, description="Last day closed; none: until removed")
    source: str = Field(min_length=1, description="The declaration (proclamation, url)")
    channels: tuple[Channel, ...] = Field(("sms", "whatsapp"), min_length=1)

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, v: str) -> str:
        v = check_jurisdiction(v)
        if v == "*":
            raise ValueError("an emergency is declared for a country (FR) or a US state (US-LA)")
        return v

    @model_validator(mode="after")
    def _order(self) -> Emergency:
        if self.to is not None and self.to < self.start:
            raise ValueError(f"emergency {self.jurisdiction}: `to` ({self.to}) is before "
                             f"`from` ({self.start})")
        return self

    def rule(self) -> EmergencyRule:
        return EmergencyRule(
            name=f"emergency-{self.jurisdiction.lower()}-{self.start.isoformat()}",
            jurisdiction=self.jurisdiction, channels=self.channels, purposes=("marketing",),
            window=ALWAYS, source=f"declared state of emergency: {self.source}",
            start=self.start, end=self.to)

    def summary(self) -> dict:
        return {"jurisdiction": self.jurisdiction, "from": self.start.isoformat(),
                "to": self.to.isoformat() if self.to else None, "source": self.source}


class EmergencyRule(Rule):
    """Closed every day from `start` to `end`, open otherwise."""

    start: dt.date
    end: dt.date | None = None

    def _closed(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def is_open(self, when: dt.datetime, zone: str) -> bool:
        return not self._closed(when.astimezone(ZoneInfo(zone)).date())

    def openings(self, after: dt.datetime, zone: str, days: int = 10) -> list[dt.datetime]:
        if self.end is None:
            return []
        tz = ZoneInfo(zone)
        return [dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(0), tz)]

    def describe(self) -> str:
        until = self.end.isoformat() if self.end else "until lifted"
        return f"closed {self.start.isoformat()} to {until}: declared state of emergency"
