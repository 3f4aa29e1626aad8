"""The document around every spec: kind, name, provider account, lifecycle."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from reconciler.kinds.base import NAME_PATTERN, Strict
from reconciler.kinds.catalog import KIND_ORDER


class Lifecycle(Strict):
    prevent_destroy: bool = Field(False, description="Refuse any plan that deletes or replaces this resource")
    ignore_changes: list[str] = Field(
        default_factory=list,
        description="Spec fields (dotted paths) whose live drift is not planned as an update")
    new_send: bool = Field(
        False, description="This Campaign really is a new send, although a campaign no longer "
                           "in the manifests already sent the same content to some of the same "
                           "people (without it the plan refuses: was it a rename? see "
                           "`campaignctl state mv`)")
    require_proof: bool = Field(
        False, description="A Campaign's send is refused until a proof of its exact content "
                           "was sent (`campaignctl proof Campaign/NAME`)")


#: The envelope's keys in the order manifests are written (`import`) and formatted (`fmt`).
ENVELOPE_ORDER = ("kind", "name", "provider", "for_each", "lifecycle", "spec")


class Envelope(Strict):
    """One YAML document: kind, name, provider account and the kind's spec."""

    kind: Literal[KIND_ORDER]  # type: ignore[valid-type]
    name: str = Field(pattern=NAME_PATTERN, description="Unique per kind in the workspace")
    provider: str = Field(description="An account named in campaignctl.yaml")
    spec: dict[str, Any] = Field(default_factory=dict)
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
