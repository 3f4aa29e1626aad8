"""Which live object is each manifest's: one rule for every kind and every vendor.

- A live object bound to a manifest is that manifest's.
- An unbound live object whose natural key (a sender's address, a group's title...) matches
  a manifest with no live object is adopted (`= adopt`), never duplicated: on a first plan
  against an account that already holds it, and when the bound object was deleted and
  re-created outside campaignctl (then the binding remembers the id it replaces, so what
  still names the old id, a sent campaign, is not taken for a change).
- A bound object that disappeared is re-created only when no unbound live object has its key.
- A manifest with none of these whose key matches a live object bound to a manifest no
  longer in the workspace is that manifest renamed: the plan says so (`= adopt`, "renamed
  from"), and apply moves its state as `campaignctl state mv` would (`Bindings.rename`).

A vendor declares its natural keys (`natural_key(resource)`, `live_objects(live)`); the
engine reads the bindings once per account (`Bindings`), resolves the matches before the
diff, and is the only writer of bindings: providers report what they bound through
`Bindings.bind` / `Bindings.unbind`, never through the state store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.errors import CampaignctlError
from reconciler.state.store import Binding, Store

How = Literal["bound", "adopt", "rename", "gone", "new"]
#: binding data key: the live ids this manifest was bound to before a re-adoption
FORMER_IDS = "former_ids"


class BindingConflict(CampaignctlError):
    """A create for a manifest that is bound to another live object: refused, so that
    object is never orphaned (it would go on sending with nobody managing it)."""


@dataclass(frozen=True)
class LiveObject:
    """A live object as identity sees it. `key` None: it has no natural key; `adoptable`
    False: it is never adopted unbound (a campaign that has sent), though a renamed manifest
    still finds it; `retired`: still listed, but the vendor's form of deleted (a cancelled
    campaign), so a live object with its key takes its place."""

    kind: str
    remote_id: str
    key: Any = None
    retired: bool = False
    adoptable: bool = True


@dataclass(frozen=True)
class Match:
    """The live object a manifest is (None: none), how it was found, and the bound id it
    takes the place of (a re-adoption, or a bound object gone)."""

    remote_id: str | None
    how: How
    previous: str | None = None  # the id it replaces; for a rename, the old manifest name

    def reason(self, key_label: str = "natural key", kind: str = "", name: str = "") -> str:
        if self.how == "rename":
            return (f"renamed from {kind}/{self.previous} (live id {self.remote_id}, same "
                    f"{key_label}): its state moves to the new name, as `campaignctl state "
                    f"mv {kind}/{self.previous} {kind}/{name}` would")
        if self.how == "adopt" and self.previous is not None:
            return (f"bound id {self.previous} was deleted outside campaignctl; live id "
                    f"{self.remote_id} has the same {key_label}: binding it")
        if self.how == "adopt":
            return f"found live as id {self.remote_id} (same {key_label}); binding it"
        if self.how == "gone":
            return "bound object was deleted outside campaignctl; recreating"
        return "not in the account"


class Bindings:
    """One account's bindings, read once per run by the engine; the provider's only way to
    read and write them."""

    def __init__(self, store: Store, account: str):
        self._store = store
        self.account = account
        self._by_key = {(b.kind, b.name): b for b in store.bindings(account)}

    def __iter__(self) -> Iterator[Binding]:
        return iter(list(self._by_key.values()))

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def get(self, kind: str, name: str) -> Binding | None:
        return self._by_key.get((kind, name))

    def of_kind(self, kind: str) -> list[Binding]:
        return [b for b in self._by_key.values() if b.kind == kind]

    def ids(self) -> set[str]:
        return {b.remote_id for b in self._by_key.values()}

    def owner(self, kind: str, remote_id: str | None) -> str | None:
        """The manifest name bound to this id now or before a re-adoption, or None."""
        for b in self._by_key.values():
            if b.kind == kind and (b.remote_id == remote_id
                                   or remote_id in (b.data or {}).get(FORMER_IDS, ())):
                return b.name
        return None

    # writes (during apply) --------------------------------------------------------------
    def check_unbound(self, kind: str, name: str, expected: str | None) -> None:
        """Before a create's first call: refuse if the manifest was bound, since the plan
        was made (e.g. by another apply), to something other than `expected`."""
        current = self._store.get_binding(self.account, kind, name)
        if current is not None and current.remote_id != expected:
            raise BindingConflict(
                f"{kind}/{name} is already bound to live id {current.remote_id} on account "
                f"{self.account!r} (bound since this plan was made, by another run): "
                f"refusing to create a second one, which would orphan {current.remote_id}. "
                "Nothing was created. Run `campaignctl plan` again.")

    def bind(self, kind: str, name: str, remote_id: str, expected: str | None,
             data: dict[str, Any] | None = None, replaces: str | None = None) -> None:
        """Bind what a create made or an adopt found; never overwrites a binding written
        meanwhile. `replaces`: the bound id it takes the place of (remembered)."""
        data = dict(data or {})
        if replaces is not None and replaces != remote_id:
            old = self.get(kind, name)
            former = list((old.data or {}).get(FORMER_IDS, ())) if old else []
            data[FORMER_IDS] = [*former, replaces][-10:]
        found = self._store.bind_created(
            Binding(self.account, kind, name, remote_id, data=data or None), expected)
        if found is not None:
            raise BindingConflict(
                f"{kind}/{name}: created id {remote_id} on account {self.account!r}, "
                f"but the manifest was bound meanwhile to live id {found.remote_id}; that "
                f"binding is kept (overwriting it would orphan {found.remote_id}) and "
                f"{remote_id} is not bound (remove it at the vendor if it is not wanted).")
        self._by_key[(kind, name)] = Binding(self.account, kind, name, remote_id,
                                             data=data or None)

    def rename(self, kind: str, old: str, new: str) -> None:
        """A manifest renamed (a `rename` match): everything the state holds under the old
        name moves to the new one, in one transaction (the caller holds the apply lock)."""
        from reconciler.state.move import move_records

        with self._store.transaction() as db:
            move_records(db, kind, old, new)
        self._by_key = {(b.kind, b.name): b for b in self._store.bindings(self.account)}

    def unbind(self, kind: str, name: str) -> None:
        self._store.remove_binding(self.account, kind, name)
        self._by_key.pop((kind, name), None)


def resolve(wanted: Iterable[tuple[str, str, Any]], live: Iterable[LiveObject],
            bindings: Bindings, present: set[tuple[str, str]] | None = None,
            ) -> dict[tuple[str, str], Match]:
    """(kind, name) -> Match for each manifest `(kind, name, natural key or None)`, in
    manifest order: each unbound live object is adopted by one manifest at most (the first
    listed live object of a key wins, as the vendor lists them). `present`: every manifest
    of the account (a partial plan resolves only some), so only a binding whose manifest
    is gone can be a rename's."""
    wanted = list(wanted)
    objects: dict[tuple[str, str], LiveObject] = {}
    by_key: dict[tuple[str, Any], list[str]] = {}
    bound = bindings.ids()
    for o in live:
        objects[(o.kind, o.remote_id)] = o
        if o.key is not None and not o.retired and o.adoptable and o.remote_id not in bound:
            by_key.setdefault((o.kind, o.key), []).append(o.remote_id)
    # Bindings of manifests no longer in the workspace, by their live object's key.
    present = present if present is not None else {(kind, name) for kind, name, _ in wanted}
    orphans: dict[tuple[str, Any], list[Binding]] = {}
    for b in bindings:
        o = objects.get((b.kind, b.remote_id))
        if (b.kind, b.name) not in present and o is not None and o.key is not None \
                and not o.retired:
            orphans.setdefault((b.kind, o.key), []).append(b)
    taken: set[str] = set()

    def unbound_with(kind: str, key: Any) -> str | None:
        if key is None:
            return None
        for remote_id in by_key.get((kind, key), ()):
            if remote_id not in taken:
                taken.add(remote_id)
                return remote_id
        return None

    out: dict[tuple[str, str], Match] = {}
    for kind, name, key in wanted:
        b = bindings.get(kind, name)
        found = objects.get((kind, b.remote_id)) if b is not None else None
        if found is not None and not found.retired:
            out[(kind, name)] = Match(b.remote_id, "bound")
            continue
        other = unbound_with(kind, key)
        if other is not None:
            out[(kind, name)] = Match(other, "adopt", b.remote_id if b else None)
        elif found is not None:  # retired, and nothing takes its place: still that one
            out[(kind, name)] = Match(b.remote_id, "bound")
        elif b is not None:
            out[(kind, name)] = Match(None, "gone", b.remote_id)
        elif renamed := [o for o in orphans.get((kind, key), ()) if o.remote_id not in taken]:
            taken.add(renamed[0].remote_id)
            out[(kind, name)] = Match(renamed[0].remote_id, "rename", renamed[0].name)
        else:
            out[(kind, name)] = Match(None, "new")
    return out
