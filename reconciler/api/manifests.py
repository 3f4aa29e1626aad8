"""The commands on manifest files alone (no state, no vendor): `fmt`, `render` (the
manifests as they expand) and `schema` (the JSON Schemas for editors)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.expanded_manifests import render_expanded
from reconciler.fmt import FormatOutcome, format_directory
from reconciler.schema import CONFIG_SCHEMA, write_schemas
from reconciler.var_overrides import Overrides


def fmt(directory: Path, *, check: bool = False) -> FormatOutcome:
    """Rewrite the workspace's YAML files in the canonical layout (`check`: change nothing,
    report the files that are not formatted)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CampaignctlError(f"{directory}: no such directory")
    return format_directory(directory, check=check)


def render(directory: Path, *, environment: str | None = None,
           variables: Sequence[str] = ()) -> str:
    """The manifests as the plan sees them: templates expanded, ${var.NAME} substituted
    (`variables`: NAME=VALUE, --var, over CAMPAIGNCTL_VAR_NAME, as plan takes them)."""
    text, diagnostics = render_expanded(Path(directory), environment,
                                        Overrides.parse(variables, os.environ))
    if diagnostics:
        raise ValidationFailed(diagnostics)
    return text


def schema(directory: Path = Path("."), *, out: Path | None = None) -> list[Path]:
    """Write the JSON Schemas (one per kind, campaignctl.yaml's, and the JSON outputs')
    into the workspace `directory`: to `out` when given, else to the schemas/ folder its
    manifests' `$schema=` lines point to (DIR/schemas, or ../schemas beside it when that
    one holds them, as in a repository whose root has schemas/ and campaigns/)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CampaignctlError(f"{directory}: no such directory")
    return write_schemas(Path(out) if out is not None else schema_folder(directory))


def schema_folder(directory: Path) -> Path:
    """Where a workspace's schemas go: its own schemas/, or the one beside it that
    already holds them."""
    beside = directory.resolve().parent / "schemas"
    if not (directory / "schemas").is_dir() and (beside / CONFIG_SCHEMA).is_file() and (
            directory / "campaignctl.yaml").is_file():
        return Path(os.path.normpath(directory / ".." / "schemas"))
    return directory / "schemas"
