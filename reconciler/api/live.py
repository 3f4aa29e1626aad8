"""`status` and `import_account`: the commands that read live accounts without planning."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.api.pipeline import load_valid
from reconciler.status.collect import collect
from reconciler.status.model import CampaignStatus

if TYPE_CHECKING:
    from reconciler.importer import ImportOutcome


def status(directory: Path, *, target: str | None = None, show_contacts: bool = False,
           environment: str | None = None) -> list[CampaignStatus]:
    """Per campaign: state, send time, planned / sent / rejected / unknown, cost, results.
    `show_contacts` lists one `target` campaign's recipients (counts otherwise)."""
    return collect(load_valid(Path(directory), environment), target, show_contacts)


def import_account(account: str, directory: Path, *, ids: list[str] | tuple[str, ...] = (),
                   kinds: list[str] | tuple[str, ...] = (),
                   names: list[str] | tuple[str, ...] = (), out: str | None = None,
                   force: bool = False, dry_run: bool = False,
                   environment: str | None = None) -> ImportOutcome:
    """Adopt live objects of `account`: write their manifests into the workspace and bind
    them (nothing with `dry_run`); `ids` for vendors that cannot list."""
    directory = Path(directory)
    # Imported on use: the importer loads the HTTP layer, which `validate` never needs.
    from reconciler.importer import ImportRequest
    from reconciler.importer import import_account as _import_account

    request = ImportRequest(list(ids), out, list(kinds), list(names), force, dry_run)
    return _import_account(load_valid(directory, environment), directory, account, request)
