"""Bounds and figures shared by the property-based suites of untrusted input (plan files,
vendor responses): a fixed number of examples (HOSTILE_FUZZ_EXAMPLES, default 60), no
deadline (the machine is shared), derandomized and database-free under CI, and a per-
property count of cases by shape with the longest and the largest, printed with `-s`."""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
                database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


class Stats:
    def __init__(self) -> None:
        self.by_property: dict[str, dict] = {}

    def record(self, prop: str, shape: str, size: int, seconds: float) -> None:
        s = self.by_property.setdefault(
            prop, {"shapes": Counter(), "longest": (0.0, ""), "largest": (0, "")})
        s["shapes"][shape] += 1
        s["longest"] = max(s["longest"], (seconds, shape))
        s["largest"] = max(s["largest"], (size, shape))

    def lines(self) -> list[str]:
        out = []
        for prop, s in self.by_property.items():
            shapes = ", ".join(f"{k} {v}" for k, v in sorted(s["shapes"].items()))
            out.append(f"{prop}: {sum(s['shapes'].values())} cases ({shapes}); longest "
                       f"{s['longest'][0]:.3f} s ({s['longest'][1]}), largest "
                       f"{s['largest'][0]:,} bytes ({s['largest'][1]})")
        return out
