"""What each action was planned from, so that a saved plan binds to what it reviewed and
not to the whole workspace.

Every action records its inputs (`Action.inputs`, the plan file's `actions[].inputs`):

    manifests  {"KIND/NAME": sha256 | null}  its own manifest and every manifest it
               references, transitively, as expanded (variables, for_each); null: the
               manifest is absent (a delete)
    files      {"path/in/workspace": sha256 | null}  the CSV and body files they read
    live       sha256 | null  the live object it was planned against (the provider's
               `live_item` stamp); null: nothing live

`apply FILE` plans again and compares, action by action (engine/review.py): other pull
requests merged and applied in between change other actions' inputs, not these, so the
reviewed plan still applies; a change to one of these inputs refuses it, naming the input.
"""

from __future__ import annotations

import os
from typing import Any

from reconciler.engine.actions import Action, no_inputs
from reconciler.engine.drift import closure, manifest_item
from reconciler.engine.plan import digest
from reconciler.kinds.catalog import KIND_ORDER
from reconciler.workspace import Workspace

#: (account, kind, name) -> the provider's live_item stamp
LiveItems = dict[tuple[str, str, str], Any]


class InputDigests:
    """Digests of the workspace's manifests and files, each computed once per plan."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._manifests: dict[tuple[str, str], str] = {}
        self._files: dict[tuple[str, str], dict[str, str | None]] = {}

    def manifest(self, key: tuple[str, str]) -> str:
        if key not in self._manifests:
            r = self.ws.resources[key]
            # Without the files' digests: a CSV change is named as that file, below.
            self._manifests[key] = digest(manifest_item(r, self.ws)[:4])
        return self._manifests[key]

    def files(self, key: tuple[str, str]) -> dict[str, str | None]:
        if key not in self._files:
            out: dict[str, str | None] = {}
            for f in self.ws.resources[key].files():
                name = os.path.relpath(f, self.ws.directory).replace(os.sep, "/")
                out[name] = self.ws.file_digest(f) if f.is_file() else None
            self._files[key] = out
        return self._files[key]

    def of(self, action: Action, live: Any) -> dict[str, Any]:
        own = (action.kind, action.name)
        manifests: dict[str, str | None] = {}
        files: dict[str, str | None] = {}
        if own not in self.ws.resources:
            manifests[action.address] = None  # planned on its absence (a delete)
        for key in sorted(closure(self.ws, [own])):
            manifests[f"{key[0]}/{key[1]}"] = self.manifest(key)
            files.update(self.files(key))
        return {"manifests": manifests, "files": dict(sorted(files.items())),
                "live": None if live is None else digest(live)}


def bind_inputs(actions: list[Action], ws: Workspace, live: LiveItems) -> None:
    """Record each action's inputs (in place). Engine actions that are no manifest's (an
    account warning, the lineage note) have none of the workspace's."""
    digests = InputDigests(ws)
    for a in actions:
        a.inputs = (digests.of(a, live.get((a.account, a.kind, a.name)))
                    if a.kind in KIND_ORDER else no_inputs())


def changed_inputs(old: Action, new: Action) -> list[str]:
    """What differs between the inputs the reviewed action was planned from and those of
    the same action planned now: `manifest KIND/NAME`, `file PATH`, `the live object`."""
    before, after = old.inputs or {}, new.inputs or {}
    out = []
    m_old, m_new = before.get("manifests") or {}, after.get("manifests") or {}
    for name in sorted(set(m_old) | set(m_new)):
        was, now = m_old.get(name), m_new.get(name)
        if was == now:
            continue
        if was is None:
            out.append(f"manifest {name} (added, or now referenced)")
        elif now is None:
            out.append(f"manifest {name} (removed, or no longer referenced)")
        else:
            out.append(f"manifest {name}")
    f_old, f_new = before.get("files") or {}, after.get("files") or {}
    for name in sorted(set(f_old) | set(f_new)):
        if f_old.get(name, "") != f_new.get(name, ""):
            out.append(f"file {name}")
    if before.get("live") != after.get("live"):
        out.append("the live object (changed at the vendor since the review)")
    return out
