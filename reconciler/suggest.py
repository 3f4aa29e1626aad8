""""Did you mean ...?" for an unknown name: the closest known names (difflib's ratio), so
a typo in a kind, a reference, a field, an environment or an address names its fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, known: Iterable[str], n: int = 1) -> list[str]:
    """The known names closest to `name` (case-insensitive), best first; [] when none is
    close enough to be a likely typo."""
    candidates = {str(k).lower(): str(k) for k in known}
    found = difflib.get_close_matches(str(name).lower(), list(candidates), n=n, cutoff=0.6)
    return [candidates[f] for f in found]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """' (did you mean `x`?)', or '' when no known name is close."""
    found = closest(name, known)
    return f" (did you mean `{found[0]}`?)" if found else ""
