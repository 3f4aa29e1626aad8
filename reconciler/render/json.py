"""The plan as JSON: the documented, versioned format (docs/plans.md, plan.schema.json).

The same document is what `plan --format json` prints and what `plan -o FILE` saves; `apply
FILE` reads it back with `plan_from_document`. Field names are stable within a
`format_version`; a change that would break a reader bumps it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from reconciler.engine.actions import ORIGIN_LABELS, Action
from reconciler.engine.plan import PLAN_FORMAT_VERSION, Plan
from reconciler.errors import CampaignctlError
from reconciler.render.view import OP_ORDER, PlanView

DOCUMENT_KIND = "campaignctl-plan"


def plan_document(view: PlanView) -> dict[str, Any]:
    plan = view.plan
    counts = view.counts
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "kind": DOCUMENT_KIND,
        "created_at": plan.created_at,
        "workspace": {"directory": view.directory, "digest": plan.workspace_digest},
        "environment": plan.environment,
        "live_fingerprint": plan.live_fingerprint,
        "checksum": plan.checksum,
        "partial": view.partial,
        "targets": list(plan.targets),
        "accounts": dict(sorted(plan.accounts.items())),
        **({"policy": dict(plan.policy)} if plan.policy else {}),  # send-window pack
        "summary": {
            **{op: counts[op] for op in OP_ORDER},
            "changes": view.changes,
            "irreversible": len(view.irreversible),
            "drift": len(view.drift),
            "has_changes": view.has_changes,
            "text": view.summary_line,
            "refused": [{"address": r.address, "account": r.action.account,
                         "reason": r.action.reason} for r in view.refused],
            "refused_text": view.refused_line,
        },
        "campaigns": [c.to_dict() for c in view.campaigns],
        "safety": list(view.safety),
        # plan --show-contacts on a terminal only: save_plan's view never has them
        **({"contacts": dict(view.contacts)} if view.show_contacts and view.contacts else {}),
        "actions": [_action(row.action, row.irreversible, row.template) for row in view.rows],
    }


def _action(a: Action, irreversible: bool, template: str | None) -> dict[str, Any]:
    d = a.to_dict()
    # `irreversible` is the effective mark (a send, or a set removal that cannot be
    # undone); `irreversible_declared` is the provider's own flag, kept for the checksum.
    return {"address": a.address, "symbol": a.symbol, **d,
            "irreversible": irreversible, "irreversible_declared": a.irreversible,
            "origin_label": ORIGIN_LABELS[a.origin], "template": template}


def render_json(plan: Plan | PlanView, indent: int | None = 2) -> str:
    view = plan if isinstance(plan, PlanView) else PlanView(plan)
    return json.dumps(plan_document(view), indent=indent, default=str, ensure_ascii=False)


def plan_from_document(doc: Any, source: str = "plan file") -> tuple[Plan, str | None]:
    """(Plan, workspace directory) from a saved document; refuses other versions and files
    whose actions do not match their own checksum (edited or truncated by hand)."""
    if not isinstance(doc, dict) or doc.get("kind") != DOCUMENT_KIND:
        raise CampaignctlError(f"{source}: not a campaignctl plan file")
    version = doc.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        raise CampaignctlError(f"{source}: plan format_version {version!r} is not supported "
                               f"(this campaignctl reads {PLAN_FORMAT_VERSION}); plan again")
    try:
        actions = [Action.from_dict({k: v for k, v in a.items() if k in _ACTION_FIELDS}
                                    | {"irreversible": a["irreversible_declared"]})
                   for a in doc["actions"]]
        workspace = doc["workspace"]
        plan = Plan(actions=actions, live_fingerprint=doc["live_fingerprint"],
                    workspace_digest=workspace["digest"], created_at=doc["created_at"],
                    targets=list(doc.get("targets") or []),
                    accounts=dict(doc.get("accounts") or {}),
                    environment=doc.get("environment"),
                    templates={a["address"]: a["template"] for a in doc["actions"]
                               if a.get("template")},
                    policy=dict(doc.get("policy") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise CampaignctlError(f"{source}: malformed plan file ({exc})") from None
    if plan.checksum != doc.get("checksum"):
        raise CampaignctlError(f"{source}: its actions do not match its checksum (the file "
                               "was edited or damaged); plan again")
    return plan, workspace.get("directory")


_ACTION_FIELDS = ("op", "kind", "name", "account", "reason", "changes", "sets", "path", "send",
                  "depends_on", "data", "cancels_send", "origin", "content")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of this format, shipped in the package."""
    text = resources.files("reconciler.render").joinpath("plan.schema.json").read_text()
    return json.loads(text)
