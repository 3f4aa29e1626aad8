"""`apply --format json`: the run as a stream of events, one JSON object per line on stdout
(schemas/apply-events.schema.json), for CI and tools that follow an apply as it goes, like
Terraform's `apply -json`.

Every event has `format_version`, `type` and `time` (ISO 8601 UTC). The types: `apply_started`
(how many actions will run), `action_started`, `action_done`, `action_failed` (one plan
action), `batch_sent`, `batch_unknown`, `batch_rejected`, `batch_not_sent` (one batch of a
send, as the send ledger records it), `note` (what apply says about the plan it runs),
`error` (the apply was refused or stopped: nothing more follows) and `summary` (last, once).
A reader ignores a type or field it does not know; a change that would break one bumps
`format_version`."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO, Any

from reconciler.engine.executor import ApplyResult
from reconciler.engine.reporting import Reporter

APPLY_EVENTS_FORMAT_VERSION = 1
BATCH_EVENTS = ("sent", "unknown", "rejected", "not_sent")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonEvents(Reporter):
    """The reporter that prints each event as a line of JSON (flushed: a reader sees it as
    it happens)."""

    def __init__(self, stream: IO[str] | None = None,
                 clock: Callable[[], str] = _now) -> None:
        self.stream, self.clock = stream, clock

    def emit(self, event_type: str, /, **fields: Any) -> None:
        event = {"format_version": APPLY_EVENTS_FORMAT_VERSION, "type": event_type,
                 "time": self.clock(), **fields}
        stream = self.stream or sys.stdout
        stream.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
        stream.flush()

    def actions(self, total: int) -> None:
        self.emit("apply_started", actions=total)

    def action(self, event: str, action: Any, error: str | None = None) -> None:
        event_type = {"start": "action_started", "done": "action_done",
                      "failed": "action_failed"}[event]
        fields = {"address": action.address, "op": action.op, "kind": action.kind,
                  "name": action.name, "account": action.account}
        if error is not None:
            fields["error"] = error
        self.emit(event_type, **fields)

    def batch(self, event: str, address: str, batch: Any, recipients: int,
              error: str | None = None) -> None:
        fields = {"address": address, "batch": str(batch), "recipients": recipients}
        if error is not None:
            fields["error"] = error
        self.emit(f"batch_{event}", **fields)

    def summary(self, result: ApplyResult | None, *, changes: int, reads: int, writes: int,
                drift: list[str] | None, refused: str | None, lines: list[str]) -> None:
        """The last event: what was done. `result` None: nothing was run (no changes)."""
        result = result or ApplyResult()
        self.emit("summary", ok=result.ok and refused is None and not drift,
                  planned=changes, done=len(result.done), failed=len(result.failed),
                  skipped=len(result.skipped), writes=writes, reads=reads,
                  drift=list(drift or []), refused=refused,
                  failures=[{"address": a.address, "error": e} for a, e in result.failed],
                  text=lines)
