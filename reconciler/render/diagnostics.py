"""Validation findings for machines: JSON, and GitHub Actions workflow commands, which
GitHub shows as annotations on the pull request's diff at the file, line and column."""

from __future__ import annotations

import json

from reconciler.errors import Diagnostic
from reconciler.render.escape import printable

GITHUB_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic) -> str:
    """`::error file=F,line=L,col=C::message` (line and col only when known)."""
    props = [f"file={_escape_property(printable(d.location.path))}"]
    if d.location.line:
        props += [f"line={d.location.line}", f"col={d.location.col or 1}"]
    level = GITHUB_LEVELS.get(d.severity, "warning")
    return f"::{level} {','.join(props)}::{_escape_data(printable(d.message))}"


def render_github(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(github_line(d) for d in diagnostics)


#: `validate --format json` (schemas/validate.schema.json)
VALIDATE_FORMAT_VERSION = 1


def render_json(diagnostics: list[Diagnostic], directory: str) -> str:
    errors = sum(1 for d in diagnostics if d.severity == "error")
    return json.dumps({
        "format_version": VALIDATE_FORMAT_VERSION, "directory": directory, "valid": errors == 0, "errors": errors,
        "diagnostics": [{"path": d.location.path, "line": d.location.line or None,
                         "col": d.location.col or None, "severity": d.severity,
                         "message": d.message} for d in diagnostics],
    }, indent=2, ensure_ascii=False)
