"""What a scheduled-campaigns plan reads: the bound campaigns (this API has no list
endpoint, so only what the state binds can be read), shared by the diff (provider.py) and
the execution of its actions (execute.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ScheduledLive:
    """Bound campaigns by manifest name: the vendor's object, or None when it answered 404."""

    campaigns: dict[str, dict | None] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)  # manifest name -> bound remote id
