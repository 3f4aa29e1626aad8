"""A Plan: ordered actions, the live-state fingerprint they were computed from, and what
they were planned for (workspace digest, environment, targets). A saved plan is bound to
its reviewed content by a keyed signature (engine/signing.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reconciler.engine.actions import Action
from reconciler.kinds.catalog import KIND_ORDER

# 2: signed with the state's key (engine/signing.py); 3: field changes named as the
# manifest names them (the vendor's name and values in each change's `vendor`), and each
# action's inputs (binding.py)
PLAN_FORMAT_VERSION = 3


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def digest(obj: Any) -> str:
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


def order_actions(actions: list[Action]) -> list[Action]:
    """Dependencies first (senders, lists, groups, messages, then campaigns); deletes last
    and in reverse order, so nothing is deleted while something still uses it."""
    def key(a: Action) -> tuple:
        rank = KIND_ORDER.index(a.kind) if a.kind in KIND_ORDER else len(KIND_ORDER)
        if a.op == "delete":
            return (1, -rank, a.account, a.name)
        return (0, rank, a.account, a.name)
    return sorted(actions, key=key)


@dataclass
class Plan:
    actions: list[Action]
    live_fingerprint: str
    workspace_digest: str
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    targets: list[str] = field(default_factory=list)
    accounts: dict[str, str] = field(default_factory=dict)  # account -> vendor type
    environment: str | None = None  # campaignctl.yaml's environment it was made for
    templates: dict[str, str] = field(default_factory=dict)  # address -> for_each template
    policy: dict[str, Any] = field(default_factory=dict)  # send-window pack version, waivers
    # manifest variables --var / CAMPAIGNCTL_VAR_NAME set (reconciler/var_overrides.py)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What apply of a saved plan says about the fresh plan it executes (smaller audiences,
    # drift left alone). Not part of the document.
    notes: list[str] = field(default_factory=list, compare=False)
    left_alone: list[str] = field(default_factory=list, compare=False)  # addresses

    @property
    def changes(self) -> list[Action]:
        return [a for a in self.actions if a.is_change]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.actions:
            out[a.op] = out.get(a.op, 0) + 1
        return out
