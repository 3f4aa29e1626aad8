"""The commands on manifest files alone (no state, no vendor): `fmt`, `render` (the
manifests as they expand) and `schema` (the JSON Schemas for editors)."""

from __future__ import annotations

from pathlib import Path

from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.expanded_manifests import render_expanded
from reconciler.fmt import FormatOutcome, format_directory
from reconciler.schema import write_schemas


def fmt(directory: Path, *, check: bool = False) -> FormatOutcome:
    """Rewrite the workspace's YAML files in the canonical layout (`check`: change nothing,
    report the files that are not formatted)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CampaignctlError(f"{directory}: no such directory")
    return format_directory(directory, check=check)


def render(directory: Path, *, environment: str | None = None) -> str:
    """The manifests as the plan sees them: templates expanded, ${var.NAME} substituted."""
    text, diagnostics = render_expanded(Path(directory), environment)
    if diagnostics:
        raise ValidationFailed(diagnostics)
    return text


def schema(out: Path = Path("schemas")) -> list[Path]:
    """Write the JSON Schemas (one per kind, and campaignctl.yaml's) to `out`."""
    return write_schemas(Path(out))
