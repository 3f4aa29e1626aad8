"""Which side moved: every action is labelled "changed in the manifests" (an edit to review)
or "changed outside campaignctl" (drift: someone edited the live object).

After each apply the state store keeps, per resource, a digest of what its manifests said
(its own spec and CSV, and those of everything it references). At plan time a resource
whose manifests still have that digest did not move on our side: whatever the plan does to
it undoes a live change. A resource never applied, or edited since, moved in the manifests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reconciler.engine.actions import Action
from reconciler.engine.plan import digest
from reconciler.kinds import REFERENCES
from reconciler.state.records import APPLIED  # {"account:KIND/NAME": digest at the last apply}
from reconciler.workspace import Resource, Workspace


def manifest_item(r: Resource, ws: Workspace) -> list[Any]:
    """What one manifest says: spec, lifecycle and the content (not mtime: a CI checkout
    of the same commit gives the same item) of the files it names (CSV, message body)."""
    spec = r.spec.model_dump(mode="json", by_alias=True)
    files = [ws.file_digest(f) if f.is_file() else None for f in r.files()]
    return [r.address, r.provider, spec, r.lifecycle.model_dump(), *(files or [None])]


def referenced(r: Resource) -> Iterable[tuple[str, str]]:
    for fname, kind in REFERENCES.get(r.kind, ()):
        value = getattr(r.spec, fname)
        for name in value if isinstance(value, list) else [value] if value else []:
            yield kind, name


def closure(ws: Workspace, start: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """These resources and everything they reference, transitively."""
    chosen: set[tuple[str, str]] = set()
    stack = list(start)
    while stack:
        key = stack.pop()
        if key in chosen or key not in ws.resources:
            continue
        chosen.add(key)
        stack.extend(referenced(ws.resources[key]))
    return chosen


def _key(account: str, address: str) -> str:
    return f"{account}:{address}"


class ManifestDigests:
    """Per-resource digests of the workspace, each manifest read (and CSV hashed) once."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self.items = {(r.kind, r.name): manifest_item(r, ws) for r in ws.ordered()}
        # Each item serialised once, however many campaigns reference it.
        self.item_digests = {k: digest(item) for k, item in self.items.items()}

    def workspace(self) -> str:
        """Changes whenever a manifest or a CSV it names changes."""
        return digest([self.items[(r.kind, r.name)] for r in self.ws.ordered()])

    def of(self, r: Resource) -> str:
        """The resource's own manifest without its name (a rename moved by `state mv` is
        the same resource), and every manifest it references, with theirs."""
        own = (r.kind, r.name)
        keys = sorted(closure(self.ws, [own]) - {own})
        return digest([digest(manifest_item(r, self.ws)[1:]),
                       *(self.item_digests[k] for k in keys)])

    def all(self) -> dict[str, str]:
        return {_key(r.provider, r.address): self.of(r) for r in self.ws.ordered()}


def recorded(store) -> dict[str, str]:
    return APPLIED.read(store)


def label_origins(actions: list[Action], digests: ManifestDigests,
                  applied: dict[str, str]) -> list[Action]:
    """Set each action's origin (in place; returns the list)."""
    ws = digests.ws
    for a in actions:
        r = ws.get(a.kind, a.name)
        if r is None or a.op == "send":
            # Removed from the manifests; or a send, which only the manifests ask for.
            a.origin = "manifests"
            continue
        before = applied.get(_key(a.account, a.address))
        a.origin = "outside" if before is not None and before == digests.of(r) else "manifests"
    return actions


def record_applied(store, ws: Workspace, *, only: set[tuple[str, str]] | None = None,
                   not_applied: set[str] = frozenset()) -> None:
    """After an apply: remember what the manifests said for every resource now in sync.
    `only` limits it to targeted resources; `not_applied` (addresses) are resources whose
    action failed, was skipped, or was left alone: their previous record stays."""
    digests = ManifestDigests(ws)
    kept = recorded(store)
    present = set()
    for r in ws.ordered():
        key = _key(r.provider, r.address)
        present.add(key)
        if (only is not None and (r.kind, r.name) not in only) or r.address in not_applied:
            continue
        kept[key] = digests.of(r)
    if only is None:
        kept = {k: v for k, v in kept.items() if k in present}
    APPLIED.write(store, kept)
