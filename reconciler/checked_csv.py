"""CSV files already checked clean: which rows a plan may check while its reads are in flight.

Every row of every CSV is checked before a plan or an apply diffs anything, and a file that
is new or changed is checked before the first vendor request: hostile or broken input never
reaches a vendor. A file whose exact bytes were checked clean at an earlier apply, by the
same checking code, cannot hold a problem now. For those files alone, a plan starts its
reads at once and checks the rows in a worker thread while the reads are in flight; the
diff still waits for the check, so a problem found then fails the plan just the same, with
nothing written.

The record is kept in the state store: after each apply, the SHA-256 of every CSV of the
workspace, under a key of the checking code (its source, and the versions of the libraries
that judge a phone, an email and a time zone). Other code, or another phonenumbers, starts
from an empty record. The record only decides when a file is checked, never whether.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from functools import cache
from importlib import metadata
from pathlib import Path

from reconciler import contacts, csv_dialect, workspace, workspace_files
from reconciler.policy import zones
from reconciler.workspace import Resource, Workspace
from reconciler.workspace_files import FileRefused

CHECKED_META = "checked.csv"  # {"checker": checker_key(), "files": [sha256, ...]}

#: The code that decides whether a row is valid, and the data it decides with.
CHECKING_MODULES = (contacts, csv_dialect, workspace, workspace_files, zones)
CHECKING_PACKAGES = ("phonenumbers", "email-validator", "tzdata")


@cache
def checker_key() -> str:
    h = hashlib.sha256(repr(sys.version_info[:2]).encode())
    for module in CHECKING_MODULES:
        h.update(Path(module.__file__).read_bytes())
    for name in CHECKING_PACKAGES:
        try:
            h.update(f"{name}=={metadata.version(name)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name} missing".encode())
    return h.hexdigest()


def _csv_file(r: Resource) -> Path | None:
    try:
        path = r.csv_path()
    except FileRefused:
        return None  # refused: validation reports it before anything is read
    return path if path is not None and path.is_file() else None


def known_clean(store) -> set[str]:
    """The digests the store holds as checked clean by this code (empty if none, if the
    code changed since, or if the record does not read)."""
    try:
        record = json.loads(store.get_meta(CHECKED_META) or "{}")
        if record.get("checker") != checker_key():
            return set()
        return {f for f in record.get("files", []) if isinstance(f, str)}
    except (ValueError, TypeError, AttributeError):
        return set()


def deferrable(ws: Workspace, store) -> Callable[[Resource], bool]:
    """Whether a resource's CSV may be checked while the reads are in flight: its bytes are
    recorded as clean. An opt-out list with `opt_in` entries is not: the opt-in check,
    which compares the manifest with the file before any read, needs its rows then."""
    clean = known_clean(store)

    def defer(r: Resource) -> bool:
        if not clean or (r.kind == "OptOutList" and r.spec.opt_in):
            return False
        path = _csv_file(r)
        try:
            return path is not None and ws.file_digest(path) in clean
        except (FileRefused, OSError):
            return False  # checked now, and validation says why
    return defer


def record_clean(store, ws: Workspace) -> None:
    """After an apply: the CSVs of the workspace that this command checked and found clean
    (each digest is of the very bytes its check read), in place of the previous record."""
    files = {d for r in ws.resources.values() if (d := r.clean_csv_digest()) is not None}
    store.set_meta(CHECKED_META, json.dumps({"checker": checker_key(),
                                             "files": sorted(files)}))
