"""The kind list, written once: every kind in its order (what a kind references comes
before it), and the tables derived from it."""

from __future__ import annotations

from reconciler.kinds import campaign, contact_group, message, opt_out_list, sender
from reconciler.kinds.base import Kind, Strict

KINDS: tuple[Kind, ...] = (sender.KIND, opt_out_list.KIND, contact_group.KIND, message.KIND,
                           campaign.KIND)
#: the kind names in order: plans, applies, listings, schemas and imports follow it
KIND_ORDER: tuple[str, ...] = tuple(k.name for k in KINDS)
BASE_SPECS: dict[str, type[Strict]] = {k.name: k.model for k in KINDS}
#: per kind, its spec fields that name other manifests (field -> the kind it names)
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {k.name: k.references for k in KINDS
                                                      if k.references}
