"""State lineage: which history a state belongs to, so an empty, foreign or half-migrated
state is never taken as "nothing sent yet" (for Octopush and Connectly the state's send
ledger is the only record of who was sent what).

- Every state gets a lineage id when it is created (meta key `lineage`, store.py); a state
  made by an older version gets one on its next apply.
- The workspace records the lineage of each environment's state in `campaignctl.lineage`,
  next to campaignctl.yaml, committed with the manifests: a CI runner has only the
  repository and the state, and this file is what tells it which state is the right one.
  `init`, the first apply and `state lineage --new` write it.
- plan and apply (and the commands that write to a state) refuse a state whose lineage is
  not the workspace's, an empty state where the workspace records one, and a state that
  `state migrate` copied elsewhere (meta key `migrated`).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import CampaignctlError
from reconciler.state.store import LINEAGE_META, Store

__all__ = ["LINEAGE_META", "MIGRATED_META", "LINEAGE_FILE", "LineageRefused", "Verdict",
           "check", "record", "held", "describe_held", "LineageFile"]

#: meta key of a state `state migrate` copied elsewhere: {"to": where, "at": ..., "lineage"}
MIGRATED_META = "migrated"
LINEAGE_FILE = "campaignctl.lineage"
#: the key of a workspace without `environments:` in LINEAGE_FILE
NO_ENVIRONMENT = "default"
LINEAGE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_FILE = 64 * 1024

HEADER = f"""\
# campaignctl state lineage: the state each environment of this workspace applies with.
# Commit this file. A CI runner has only the repository and the state: this file is what
# tells it which state is the right one. plan and apply refuse a state of another lineage,
# or an empty one, so a lost, swapped or half-migrated state never sends everything again.
# Written by `campaignctl init`, the first apply and `campaignctl state lineage --new`.
# environment ({NO_ENVIRONMENT} without environments)  lineage
"""


class LineageRefused(CampaignctlError):
    """The state is not the one this workspace applies with."""


def _env_key(environment: str | None) -> str:
    return environment or NO_ENVIRONMENT


def _env_words(environment: str | None) -> str:
    return f" (environment {environment})" if environment else ""


class LineageFile:
    """`campaignctl.lineage` in a workspace: `ENVIRONMENT LINEAGE` lines, # comments."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / LINEAGE_FILE

    def read(self) -> dict[str, str]:
        if not self.path.exists() and not self.path.is_symlink():
            return {}
        if self.path.is_symlink() or not self.path.is_file():
            raise CampaignctlError(f"{self.path}: not a regular file (a symbolic link, "
                                   "directory or device is refused)")
        data = self.path.read_bytes()[:MAX_FILE + 1]
        if len(data) > MAX_FILE:
            raise CampaignctlError(f"{self.path}: larger than {MAX_FILE // 1024} KiB")
        out: dict[str, str] = {}
        for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split()
            if len(parts) != 2 or not LINEAGE_ID.match(parts[1]):
                raise CampaignctlError(
                    f"{self.path}:{number}:1: expected `ENVIRONMENT LINEAGE` (a lineage is "
                    "a UUID, as `campaignctl state lineage` prints it)")
            out[parts[0]] = parts[1]
        return out

    def get(self, environment: str | None) -> str | None:
        return self.read().get(_env_key(environment))

    def write(self, environment: str | None, lineage: str) -> None:
        """Record `lineage` for the environment (other lines kept), atomically."""
        entries = self.read() | {_env_key(environment): lineage}
        text = HEADER + "".join(f"{k} {v}\n" for k, v in sorted(entries.items()))
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".campaignctl.lineage.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)  # replaces a symbolic link itself, never its target
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


@dataclass
class Held:
    """What a state remembers (counts)."""

    bindings: int = 0
    batches: int = 0
    recipients: int = 0
    optouts: int = 0
    protections: int = 0

    @property
    def empty(self) -> bool:
        return not (self.bindings or self.batches or self.optouts or self.protections)


#: The tables whose rows are an account's history: what it was bound to, sent, opted out.
HISTORY_TABLES = ("bindings", "ledger_batches", "optouts")


def held(store: Store) -> Held:
    from reconciler.state.records import PROTECTED

    def count(table: str) -> int:
        return store.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    return Held(count("bindings"), count("ledger_batches"), count("ledger_recipients"),
                count("optouts"), len(PROTECTED.read(store)))


def describe_held(h: Held) -> str:
    from reconciler.words import plural

    if h.empty:
        return "nothing (no binding, no send ledger, no remembered opt-out)"
    return (f"{plural(h.bindings, 'binding')}, {plural(h.batches, 'send-ledger batch')} "
            f"({plural(h.recipients, 'recipient')}), {plural(h.optouts, 'remembered opt-out')}"
            f" and {plural(h.protections, 'protection')}")


def migrated_to(store: Store) -> dict | None:
    raw = store.get_meta(MIGRATED_META)
    return json.loads(raw) if raw else None


def refuse_migrated(store: Store) -> None:
    moved = migrated_to(store)
    if moved is not None:
        raise LineageRefused(
            f"the state at {store.where} was migrated to {moved.get('to')} on "
            f"{moved.get('at')} (lineage {moved.get('lineage')}): it is kept only for the "
            "record, and nothing applies with it again (what it knew lives on there). Point "
            "`state:` in campaignctl.yaml at that state.")


@dataclass
class Verdict:
    """The state a plan or apply opened, as the lineage sees it."""

    state: str | None  # the state's lineage (None: made before lineages)
    recorded: str | None  # the workspace's record for this environment
    environment: str | None
    history: bool = False  # the state holds records (not a new workspace's first state)

    @property
    def warning(self) -> str | None:
        """What a plan says when the workspace records no lineage yet."""
        if self.recorded is not None:
            return None
        given = ("gives the state a lineage" if self.state is None
                 else f"records the state's lineage {self.state}")
        return (f"this workspace records no state lineage{_env_words(self.environment)} yet: "
                f"the next apply {given} in {LINEAGE_FILE}. Commit that file, so that a "
                "swapped or empty state is refused instead of sending again")


def _refusal(store: Store, h: Held, state: str | None, recorded: str, environment: str | None,
             ) -> LineageRefused:
    state_words = f"lineage {state}" if state else "no lineage"
    what = ("is empty" if h.empty else f"holds {describe_held(h)}")
    return LineageRefused(
        f"the state at {store.where} has {state_words} and {what}, but this workspace "
        f"applied{_env_words(environment)} with lineage {recorded} ({LINEAGE_FILE}): "
        "refusing it, as an empty or foreign state would send everything again. If the "
        "state moved, point `state:` in campaignctl.yaml at it, or copy it into this one "
        "with `campaignctl state migrate` from the old one. Only if the old state is lost "
        "for good: `campaignctl state lineage --new` starts a new history, forgetting who "
        "was sent what.")


def check(store: Store, config) -> Verdict:
    """Refuse (LineageRefused) a state that is not this workspace's; else the verdict.
    config: reconciler.config.WorkspaceConfig."""
    refuse_migrated(store)
    environment = getattr(config, "environment", None)
    state = store.get_meta(LINEAGE_META)
    recorded = LineageFile(config.directory).get(environment)
    if recorded is not None and state != recorded:
        raise _refusal(store, held(store), state, recorded, environment)
    if recorded is None:
        _refuse_left_behind(store, config)
        return Verdict(state, recorded, environment, history=not held(store).empty)
    return Verdict(state, recorded, environment)


def _refuse_left_behind(store: Store, config) -> None:
    """A SQLite state with history still in the workspace, not migrated, while the workspace
    now points elsewhere (a `state migrate` never run, or killed): the new state cannot
    know what it holds."""
    from reconciler.environments import default_state_path

    path = Path(config.directory) / default_state_path(getattr(config, "environment", None))
    if getattr(store, "path", None) is not None and Path(store.path).resolve() == path.resolve():
        return
    if not path.is_file():
        return
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            records = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                          for t in HISTORY_TABLES)
    except sqlite3.DatabaseError:
        return
    if MIGRATED_META in meta or not records:
        return
    lineage = meta.get(LINEAGE_META)
    raise LineageRefused(
        f"{path} holds a state with history ({records} records"
        f"{', lineage ' + lineage if lineage else ''}) that was never migrated, and "
        f"campaignctl.yaml now names the state at {store.where}: run `campaignctl state "
        f"migrate {config.directory}` first (it copies it whole, or nothing), or the new state "
        "would send everything again.")


def record(store: Store, config) -> str | None:
    """At an apply, under its lock: give the state a lineage if it has none, and record it
    for the workspace if the workspace records none. Returns what was recorded, to say."""
    refuse_migrated(store)
    lineage = store.give_lineage()
    file = LineageFile(config.directory)
    environment = getattr(config, "environment", None)
    recorded = file.get(environment)
    if recorded == lineage:
        return None
    if recorded is not None:  # changed since the check: another run, another state
        raise _refusal(store, held(store), lineage, recorded, environment)
    file.write(environment, lineage)
    return (f"Recorded the state's lineage {lineage}{_env_words(environment)} in "
            f"{file.path}: commit it, so that plan and apply refuse any other state.")


def start_workspace(directory: Path) -> Path:
    """`campaignctl init`: the new workspace's state (the default SQLite one) is created
    with its lineage, and the workspace records it."""
    from reconciler.environments import default_state_path
    from reconciler.state.store import SqliteStore

    with closing(SqliteStore(Path(directory) / default_state_path(None))) as store:
        lineage = store.give_lineage()
    file = LineageFile(directory)
    file.write(None, lineage)
    return file.path


def now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
