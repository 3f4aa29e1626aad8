"""Plan actions: plain data produced by providers' diffs and consumed by renderers and the
executor. An action carries everything needed to show it; `data` holds what its provider
needs to execute it (JSON-serialisable, no secrets, no contact data)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Op = Literal["create", "update", "replace", "delete", "transition", "send", "refuse", "adopt",
             "warn"]

Origin = Literal["manifests", "outside"]
ORIGIN_LABELS = {"manifests": "changed in the manifests", "outside": "changed outside campaignctl"}

SYMBOLS = {"create": "+", "update": "~", "replace": "-/+", "delete": "-", "transition": ">",
           "send": "send", "refuse": "!", "adopt": "=", "warn": "?"}


def no_inputs() -> dict[str, Any]:
    """The inputs of an action that no manifest or live object planned (see binding.py)."""
    return {"manifests": {}, "files": {}, "live": None}


@dataclass
class FieldChange:
    """One field's change, named and valued as the manifest writes it (`field` is its path
    under `spec:`); `vendor` keeps the vendor's name and values (`field before after`), or
    None where the field is the manifest's alone (reconciler/engine/fields.py)."""

    field: str
    before: Any
    after: Any
    forces_replace: bool = False
    vendor: dict[str, Any] | None = None


@dataclass
class SetChange:
    """A keyed-set change (contacts, opt-outs): counts, never addresses, in the plan."""

    field: str
    add: int = 0
    remove: int = 0
    update: int = 0
    kept_live: int = 0  # live entries we do not remove (opt-outs recorded live)
    total_after: int = 0
    irreversible: bool = False
    note: str = ""


@dataclass
class SendSummary:
    recipients: int
    batches: int
    send_at: str | None  # ISO 8601 in the recipient-facing time zone, or None for now
    timezone: str | None = None
    suppressed: int = 0  # removed by opt-out lists
    already_sent: int = 0
    unknown: int = 0  # batches whose outcome is unknown (not resent)
    estimated_messages: int | None = None
    estimated_cost: float | None = None
    currency: str | None = None
    estimate_basis: str | None = None  # e.g. "local: segments x recipients x price"


@dataclass
class Action:
    op: Op
    kind: str
    name: str
    account: str
    reason: str
    changes: list[FieldChange] = field(default_factory=list)
    sets: list[SetChange] = field(default_factory=list)
    path: list[str] = field(default_factory=list)  # transition: the states, first = current
    send: SendSummary | None = None
    irreversible: bool = False
    depends_on: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    # A delete that stops a campaign scheduled to send (cancel, DELETE): always a safety
    # gate, whatever the number of managed resources (see reconciler/engine/safety.py).
    cancels_send: bool = False
    # Which side moved: "manifests" (an edit to review) or "outside" (drift: the live
    # object was changed outside campaignctl since the last apply). See engine/drift.py.
    origin: Origin = "manifests"
    # What goes out, for sends and email campaign creates (engine/content.py): text or
    # subject + first lines, sender, SMS segments, a placeholder sample. Never a contact.
    content: dict[str, Any] | None = None
    # What it was planned from (engine/binding.py): digests of its manifests as expanded,
    # the files they read and the live object; a saved plan applies only on the same ones.
    inputs: dict[str, Any] = field(default_factory=lambda: no_inputs(), compare=False)

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.op]

    @property
    def is_change(self) -> bool:
        """Does executing it call a vendor (or write the state)?"""
        return self.op not in ("refuse", "warn")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Action:
        d = dict(d)
        d["changes"] = [FieldChange(**c) for c in d.get("changes", [])]
        d["sets"] = [SetChange(**s) for s in d.get("sets", [])]
        d["send"] = SendSummary(**d["send"]) if d.get("send") else None
        return cls(**d)
