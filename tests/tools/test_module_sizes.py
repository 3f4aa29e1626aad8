"""Issue 31's bar on the package's shape: no module under reconciler/ (the sandbox's
emulators aside, each written whole from its vendor's doc) is over 450 lines."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "reconciler"
LIMIT = 450


def test_no_module_outside_the_sandbox_is_over_450_lines():
    sizes = {path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text().splitlines())
             for path in PACKAGE.rglob("*.py") if "sandbox" not in path.relative_to(
                 PACKAGE).parts}
    assert len(sizes) > 100  # the whole package was seen
    over = {name: n for name, n in sorted(sizes.items()) if n > LIMIT}
    assert not over, f"split these by concern: {over}"
