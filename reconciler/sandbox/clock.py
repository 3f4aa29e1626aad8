"""The sandbox's clock: real time plus an offset that tests move forward."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path


class SandboxClock:
    def __init__(self, data_dir: Path):
        self._file = Path(data_dir) / "clock.json"
        #: called (in a worker thread) after each move of the clock: emulators that act on
        #: time (callbacks) do what the vendor would have done by then.
        self.listeners: list[Callable[[], None]] = []

    def _offset(self) -> float:
        try:
            return float(json.loads(self._file.read_text(encoding="utf-8"))["offset_seconds"])
        except (OSError, ValueError, KeyError):
            return 0.0

    def advance(self, seconds: float) -> float:
        offset = self._offset() + seconds
        self._file.parent.mkdir(parents=True, exist_ok=True)
        self._file.write_text(json.dumps({"offset_seconds": offset}), encoding="utf-8")
        return offset

    def timestamp(self) -> float:
        return time.time() + self._offset()

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)
