"""Where a SQLite state may live: inside the workspace, and nowhere else.

In the pull-request flow campaignctl.yaml comes from the pull request's author, so
`state.path` must not be able to aim the state (its ledger is what stops a second send)
at another workspace's state, write a file or a folder outside this one, or open a
workspace file, a folder or a device as a database. Checked before SqliteStore creates
anything: the written path (no absolute path, no `..` out), then the resolved one (no
symbolic link out), then what is there already (a SQLite file or nothing) and beside it
(the lock, -wal and -shm files SQLite and the apply lock open: regular files, no links).

Several checkouts sharing one state use PostgreSQL (`state.backend: postgres`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.workspace_files import NONBLOCKING_READ, FileRefused, confined, file_kind, shown

SQLITE_HEADER = b"SQLite format 3\x00"
#: files read as workspace files (manifests, campaignctl.yaml, CSVs): never a state
WORKSPACE_SUFFIXES = (".yaml", ".yml", ".csv")
#: files SQLite and the apply lock open beside the state file
SIDECARS = ("-wal", "-shm", "-journal", ".lock")


def state_file(written: object, root: Path) -> Path:
    """The resolved SQLite state file `state.path` names (relative to the workspace
    directory `root`); FileRefused (a message fit to show after `state.path: `) when it
    could lead out of the workspace or onto anything but a SQLite state. Creates nothing."""
    if isinstance(written, str) and (written.endswith(("/", os.sep)) or
                                     os.path.basename(os.path.normpath(written)) in ("", ".", "..")):
        raise FileRefused(f"{shown(written)} names a folder; name a file, e.g. "
                          ".campaignctl/state.db")
    if isinstance(written, str) and (os.path.isabs(written) or written.startswith("~")):
        raise FileRefused(f"{shown(written)} is an absolute path: the state lives inside the "
                          "workspace (a path relative to it, e.g. .campaignctl/state.db); "
                          "to share one state, use state.backend: postgres")
    path = confined(written, root, root)
    name = shown(str(written))
    if path == Path(os.path.realpath(root)):
        raise FileRefused(f"{name} is the workspace folder itself; name a file, e.g. "
                          ".campaignctl/state.db")
    if path.suffix.lower() in WORKSPACE_SUFFIXES:
        raise FileRefused(f"{name} would be read as a workspace file (a manifest, "
                          "campaignctl.yaml or a CSV); name the state e.g. "
                          ".campaignctl/state.db")
    _check_folders(path.parent, name)
    _check_existing(path, name)
    for suffix in SIDECARS:
        _check_sidecar(path.with_name(path.name + suffix), name)
    return path


def _check_folders(folder: Path, name: str) -> None:
    """The nearest existing folder above the state file is a folder (SqliteStore creates
    the missing ones, inside the workspace: the path is resolved already)."""
    while not os.path.lexists(folder):
        folder = folder.parent
    if not folder.is_dir():
        raise FileRefused(f"{name}: {shown(folder.name)} on the way to it is not a folder")


def _check_existing(path: Path, name: str) -> None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return  # created on first use
    except OSError as exc:
        raise FileRefused(f"{name} cannot be checked ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(f"{name} is {file_kind(info.st_mode)}, not a SQLite state file")
    try:
        fd = os.open(path, NONBLOCKING_READ)
    except OSError as exc:
        raise FileRefused(f"{name} cannot be read ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise FileRefused(f"{name} is a file that is not a SQLite state (it would be "
                          "overwritten); name another file, e.g. .campaignctl/state.db")


def _check_sidecar(path: Path, name: str) -> None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FileRefused(f"{name}: {shown(path.name)} beside it cannot be checked "
                          f"({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else file_kind(info.st_mode)
        raise FileRefused(f"{name}: {shown(path.name)} beside it is {what}, not a regular "
                          "file (SQLite and the apply lock write there)")
