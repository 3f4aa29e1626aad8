"""The state operations (`campaignctl state ...`): list, show, rm, mv, unlock, migrate,
lineage and pin. Each opens the workspace's state once; none prints a secret it holds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from reconciler.api.ledger import CampaignLedger, campaign_ledgers
from reconciler.environments import default_state_path
from reconciler.errors import CampaignctlError
from reconciler.kinds import NAME_PATTERN
from reconciler.state import move as moves
from reconciler.state.backend import open_store, open_workspace_store, workspace_config
from reconciler.state.lineage import (
    LINEAGE_META,
    Held,
    LineageFile,
    held,
    migrated_to,
    refuse_migrated,
)
from reconciler.state.migrate import migrate_workspace
from reconciler.state.pins import repin
from reconciler.state.store import Binding, LockInfo, Store
from reconciler.suggest import did_you_mean
from reconciler.vendors import ALL_KINDS


def _bound(store: Store, address: str) -> list[Binding]:
    """The bindings at KIND/NAME (one per account that has it); refused when none."""
    kind, _, name = address.partition("/")
    found = [b for b in store.bindings() if (b.kind, b.name) == (kind, name)]
    if not found:
        known = {f"{b.kind}/{b.name}" for b in store.bindings()}
        raise CampaignctlError(f"{address} is not in the state{did_you_mean(address, known)}")
    return found


def bindings(directory: Path, *, environment: str | None = None) -> list[Binding]:
    """Every bound resource: kind, name, account, remote id."""
    with closing(open_workspace_store(Path(directory), environment)) as store:
        return store.bindings()


@dataclass
class Entry:
    address: str
    ledgers: list[CampaignLedger]  # a send-only campaign's record, per account
    bindings: list[Binding]


def show(address: str, directory: Path, *, environment: str | None = None) -> Entry:
    """One binding (KIND/NAME), or a send-only campaign's batches and counts."""
    kind, _, name = address.partition("/")
    with closing(open_workspace_store(Path(directory), environment)) as store:
        ledgers = campaign_ledgers(store, kind, name)
        bound = [b for b in store.bindings() if (b.kind, b.name) == (kind, name)]
        return Entry(address, ledgers, bound if ledgers else _bound(store, address))


def rm(address: str, directory: Path, *, environment: str | None = None) -> list[Binding]:
    """Forget the bindings at `address` (the live objects are left alone)."""
    with closing(open_workspace_store(Path(directory), environment)) as store:
        found = _bound(store, address)
        for b in found:
            store.remove_binding(b.account, b.kind, b.name)
    return found


def mv(source: str, destination: str, directory: Path, *,
       environment: str | None = None) -> moves.Moved:
    """Move what the state holds under KIND/OLD to KIND/NEW (bindings, send ledger,
    opt-outs): one transaction, under the apply lock."""
    (kind, old), (new_kind, new) = (a.partition("/")[::2] for a in (source, destination))
    if kind not in ALL_KINDS or not old or not new:
        raise CampaignctlError(f"expected KIND/OLD KIND/NEW with KIND one of "
                               f"{', '.join(ALL_KINDS)}, e.g. `campaignctl state mv "
                               "Campaign/spring Campaign/spring-2027`")
    if new_kind != kind:
        raise CampaignctlError(f"{source} -> {destination}: a move keeps the kind ({kind})")
    if not re.match(NAME_PATTERN, new):
        raise CampaignctlError(f"{destination}: {new!r} is not a valid name (lower-case "
                               "letters, digits, '.', '_', '-')")
    with closing(open_workspace_store(Path(directory), environment)) as store:
        return moves.move(store, kind, old, new)


def lock(directory: Path, *, environment: str | None = None) -> LockInfo | None:
    """The apply lock's record (its ID, holder, since, whether the holder is alive)."""
    with closing(open_workspace_store(Path(directory), environment)) as store:
        return store.lock_info()


def unlock(lock_id: str, directory: Path, *, environment: str | None = None,
           ) -> LockInfo | None:
    """Break the lock `lock_id` once its holder is gone (refused while it is alive: two
    applies at once could send twice). The record removed; None when nothing is locked."""
    with closing(open_workspace_store(Path(directory), environment)) as store:
        return store.break_lock(lock_id)


def migrate(directory: Path, *, source: Path | None = None,
            environment: str | None = None) -> list[str]:
    """Copy a SQLite state (default: the workspace's own) into the backend campaignctl.yaml
    names, all or nothing, into an empty target; the lines that say what moved."""
    directory = Path(directory)
    return migrate_workspace(directory, Path(source) if source else
                             directory / default_state_path(environment), environment)


@dataclass
class Lineage:
    where: str  # the state store, for people
    state: str | None  # the lineage the state holds
    recorded: str | None  # the lineage the workspace records for this environment
    file: Path  # campaignctl.lineage
    contents: Held
    migrated: dict | None  # where the state was migrated to, if it was

    @property
    def verdict(self) -> str:
        if self.recorded and self.state == self.recorded:
            return "the same: plan and apply use this state"
        if self.recorded is None:
            return "none recorded: the next apply records the state's lineage"
        return "DIFFERENT: plan and apply refuse this state"


def _lineage(store: Store, file: LineageFile, environment: str | None) -> Lineage:
    return Lineage(store.where, store.get_meta(LINEAGE_META), file.get(environment),
                   file.path, held(store), migrated_to(store))


def lineage(directory: Path, *, environment: str | None = None) -> Lineage:
    """The state's lineage and the workspace's record of it (campaignctl.lineage)."""
    config = workspace_config(Path(directory), environment)
    with closing(open_store(config)) as store:
        return _lineage(store, LineageFile(config.directory), environment)


def new_lineage(directory: Path, *, environment: str | None = None,
                on_report: Callable[[Lineage], None] | None = None,
                confirm: Callable[[Lineage], bool] | None = None) -> str | None:
    """Give the state a new lineage and record it for the workspace, forgetting the old
    history. `on_report` sees the lineages first; a state migrated away is then refused;
    `confirm` is asked last (None: approved). The new lineage, or None when not confirmed."""
    config = workspace_config(Path(directory), environment)
    file = LineageFile(config.directory)
    with closing(open_store(config)) as store:
        report = _lineage(store, file, environment)
        if on_report is not None:
            on_report(report)
        refuse_migrated(store)
        if confirm is not None and not confirm(report):
            return None
        fresh = str(uuid.uuid4())
        with store.locked():
            store.set_meta(LINEAGE_META, fresh)
            file.write(environment, fresh)
    return fresh


@dataclass
class Pinned:
    account: str
    old: str | None  # the origin it was pinned to
    new: str | None  # the origin pinned now (None: the sandbox, which needs no pin)
    moved: dict[str, list[str]]  # credential key -> the origins its value was pinned to


def pin(account: str, directory: Path, *, environment: str | None = None) -> Pinned:
    """Pin `account` and each of its credential values to its base_url's origin now: the
    explicit, reviewed step after a base_url or a credential really moved."""
    config = workspace_config(Path(directory), environment)
    with closing(open_store(config)) as store:
        with store.locked():
            old, new, moved = repin(store, config, account)
    return Pinned(account, old, new, moved)
