"""The emergency stop of an environment: `campaignctl halt` records who halted it, when and
why in the state (meta key `halt`, copied whole by `state migrate`); every plan and apply
refuses to send until `campaignctl resume` removes it, and a running apply reads it again
before each batch and each campaign change (a halt never waits for the apply's lock)."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import asdict, dataclass

from reconciler.errors import CampaignctlError

HALT_META = "halt"


class Halted(CampaignctlError):
    """The environment is halted: nothing that sends may run."""


@dataclass(frozen=True)
class Halt:
    by: str
    reason: str
    at: float  # epoch seconds
    environment: str | None = None

    @property
    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.at))

    def describe(self) -> str:
        env = f" (environment {self.environment})" if self.environment else ""
        return (f"sends are halted{env}: by {self.by} at {self.when}, reason: "
                f"{self.reason or '(none given)'}; `campaignctl resume` lifts it")


def halted_by() -> str:
    user = os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "unknown"
    return f"{user}@{socket.gethostname()}"


def record_halt(store, reason: str, environment: str | None, by: str | None = None) -> Halt:
    """Record the halt, timed once every batch record being written has committed and
    before any later one can: a batch recorded before the halt's time reads no halt and may
    leave; one recorded after it reads the halt once its record commits, and stays."""
    with store.transaction():
        store.keep_out_writers("ledger_batches")
        halt = Halt(by or halted_by(), reason, time.time(), environment)
        store.set_meta(HALT_META, json.dumps(asdict(halt)))
    return halt


def read_halt(store) -> Halt | None:
    raw = store.get_meta(HALT_META)
    if not raw:
        return None
    try:
        return Halt(**json.loads(raw))
    except (ValueError, TypeError):  # unreadable: still a halt, never a silent go
        return Halt("unknown", f"unreadable halt record {raw[:80]!r}", 0.0)


def clear_halt(store) -> Halt | None:
    """Remove the halt; the one removed, or None if there was none."""
    halt = read_halt(store)
    if halt is not None:
        store.execute("DELETE FROM meta WHERE key = ?", (HALT_META,))
    return halt
