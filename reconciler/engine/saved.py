"""Saved plans: the plan document, and the checks that bind `apply FILE` to it.

The document is the documented, versioned format (docs/plans.md, `plan.schema.json` here):
`plan -o FILE` saves it, signed with the state's key (engine/signing.py: the MAC covers the
whole document), and `plan --format json` prints it unsigned (render/json.py). Field names
are stable within a `format_version`; a change that would break a reader bumps it.
`apply FILE` executes exactly the reviewed actions, or refuses (exit 1, nothing written)
when the file does not verify against the state, or when what was reviewed no longer
holds: a reviewed action's inputs changed (engine/binding.py), a fresh plan does something
else, or a send time passed."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.engine.actions import ORIGIN_LABELS, Action
from reconciler.engine.plan import PLAN_FORMAT_VERSION, Plan
from reconciler.engine.plan_file import load_schema as load_schema  # the format's schema
from reconciler.engine.plan_file import quoted, read_plan_file, validate_document
from reconciler.engine.plan_view import OP_ORDER, PlanView, scheduled_times
from reconciler.engine.review import compare_plans
from reconciler.engine.signing import SIGNATURE_FIELD, PlanKey, signature, verify
from reconciler.errors import CampaignctlError
from reconciler.secrets import redact
from reconciler.words import plural

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
        "partial": view.partial,
        "targets": list(plan.targets),
        "accounts": dict(sorted(plan.accounts.items())),
        **({"policy": dict(plan.policy)} if plan.policy else {}),  # send-window pack
        **({"variables": dict(plan.variables)} if plan.variables else {}),  # --var
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
    # undone); `irreversible_declared` is the provider's own flag, what apply compares.
    return {"address": a.address, "symbol": a.symbol, **d,
            "irreversible": irreversible, "irreversible_declared": a.irreversible,
            "origin_label": ORIGIN_LABELS[a.origin], "template": template}


def plan_from_document(doc: Any, source: str = "plan file") -> tuple[Plan, str | None]:
    """(Plan, workspace directory) from a saved document, NOT verified (`verify_saved`
    does that); refuses other versions and malformed documents."""
    if not isinstance(doc, dict) or doc.get("kind") != DOCUMENT_KIND:
        raise CampaignctlError(f"{source}: not a campaignctl plan file")
    version = doc.get("format_version")
    if version != PLAN_FORMAT_VERSION:
        older = isinstance(version, int) and version < PLAN_FORMAT_VERSION
        raise CampaignctlError(
            f"{source}: plan format_version {quoted(version)} is not supported (this "
            f"campaignctl reads {PLAN_FORMAT_VERSION}" + (", whose plans are signed with the "
                                                          "state's key and bind each action "
                                                          "to its inputs"
                                             if older else "")
            + "); nothing was changed. Plan again: `campaignctl plan -o FILE`")
    # The whole document, typed, before any field is used (engine/plan_file.py).
    validate_document(doc, source)
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
                    policy=dict(doc.get("policy") or {}),
                    variables=dict(doc.get("variables") or {}))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CampaignctlError(f"{source}: malformed plan file ({exc!r})") from None
    directory = workspace.get("directory")
    if directory is not None and not isinstance(directory, str):
        raise CampaignctlError(f"{source}: malformed plan file (workspace.directory)")
    return plan, directory


_ACTION_FIELDS = ("op", "kind", "name", "account", "reason", "changes", "sets", "path", "send",
                  "depends_on", "data", "cancels_send", "origin", "content", "inputs")


class StalePlan(CampaignctlError):
    """The saved plan no longer describes what apply would do."""


AGAIN = "Run `campaignctl plan` again and review the new plan."


def save_plan(plan: Plan, path: Path, directory: Path, safety: list[str] = (), *,
              key: PlanKey) -> None:
    """Write the plan file atomically (a CI job killed mid-write leaves no half file),
    signed with the state's `key`. `safety`: what the plan printed would stop apply without
    --force (shown again by `campaignctl show`; apply checks the thresholds afresh)."""
    view = PlanView(plan, directory=str(Path(directory).resolve()), safety=list(safety))
    # Signed as a reader will parse it (str() of dates, floats as JSON gives them back),
    # after masking any live value or reason that quotes a credential (reconciler.secrets).
    doc = json.loads(redact(json.dumps(plan_document(view), default=str)))
    doc[SIGNATURE_FIELD] = signature(doc, key)
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_document(path: Path) -> Any:
    """The JSON document of a plan file, read within the limits of engine/plan_file.py."""
    return read_plan_file(path)


@dataclass
class SavedPlan:
    """A plan file as read, before (`verify`) and after its signature is checked."""

    source: str
    document: dict[str, Any]
    plan: Plan
    directory: str | None  # the workspace it names (not to be trusted before `verify`)

    @property
    def key_id(self) -> str | None:
        sig = self.document.get(SIGNATURE_FIELD)
        return sig.get("key_id") if isinstance(sig, dict) else None

    def verify(self, key: PlanKey | None, state: str) -> None:
        """UnverifiedPlan unless the whole document is as `key`'s state signed it."""
        verify(self.document, key, self.source, state)

    def view(self) -> PlanView:
        """The saved plan as `plan` printed it (`campaignctl show`)."""
        safety = self.document.get("safety")
        return PlanView(self.plan, directory=self.directory,
                        safety=[str(s) for s in safety] if isinstance(safety, list) else [])


def read_saved(path: Path) -> SavedPlan:
    """The plan file at `path`, parsed; refuses a damaged or old-format file. Its signature
    is checked by `SavedPlan.verify`, against the key of the state it is applied with."""
    doc = read_document(path)
    plan, directory = plan_from_document(doc, str(path))
    return SavedPlan(str(path), doc, plan, directory)


def passed_send_times(plan: Plan, now: datetime) -> list[str]:
    """Sends the saved plan schedules at a time that is now in the past."""
    out = []
    for a in plan.actions:
        if not a.is_change:
            continue
        for what, when in scheduled_times(a):
            if when <= now:
                out.append(f"{a.address}: scheduled {what} time {when.isoformat()} has already "
                           "passed")
    return out


def check_not_expired(plan: Plan, now: datetime) -> None:
    passed = passed_send_times(plan, now)
    if passed:
        raise StalePlan("the saved plan is out of date, nothing was changed: "
                        + "; ".join(passed) + ". Set a future send_at. " + AGAIN)


def check_not_refused(plan: Plan) -> None:
    """A plan with a refused action failed as a whole (exit 1): applying its other actions
    would apply it partially, which nothing said would happen."""
    refused = [f"{a.address}: {a.reason.rstrip('.')}" for a in plan.actions
               if a.op == "refuse"]
    if refused:
        raise StalePlan(f"the saved plan holds {plural(len(refused), 'refused action')}, so it "
                        "failed as a whole and is never applied in part, nothing was changed: "
                        + "; ".join(refused) + ". Fix the manifests, then " + AGAIN[0].lower()
                        + AGAIN[1:])


def _environment(name: str | None) -> str:
    return f"environment {name}" if name else "a workspace without environments"


def check_environment(saved: Plan, environment: str | None, source: Path | str) -> None:
    """A plan reviewed for staging is never applied to production (nor the reverse)."""
    if saved.environment != environment:
        again = (f"`campaignctl plan --env {environment} -o FILE`" if environment
                 else "`campaignctl plan -o FILE`")
        raise StalePlan(f"{source} was planned for {_environment(saved.environment)}, not "
                        f"{_environment(environment)}: nothing was changed. Plan for "
                        f"{environment or 'this workspace'} and review that plan: {again}.")


def check_saved(expected: Plan, fresh: Plan) -> Plan:
    """Compare the saved plan with the one made now, under the apply lock. Returns what to
    execute: the fresh versions of the reviewed actions (a send whose audience only shrank
    by new opt-outs included, with a note), without unreviewed drift of unrelated objects
    (left alone, with a note). Anything else is refused with a field-level difference."""
    check_environment(expected, fresh.environment, "the saved plan")
    review = compare_plans(expected, fresh)
    if review.problems:
        # Bound per action (engine/binding.py): other merges that left these actions'
        # inputs alone, and were applied, do not matter.
        moved = ("the workspace changed since the plan was saved" if review.workspace_moved
                 else "the live state changed since the plan was saved")
        raise StalePlan(f"{moved} and apply would no longer do what was reviewed, nothing "
                        f"was changed ({plural(len(review.problems), 'difference')}, per "
                        "action):\n  " + "\n  ".join(review.problems) + "\n" + AGAIN)
    return Plan(actions=review.run, live_fingerprint=fresh.live_fingerprint,
                workspace_digest=fresh.workspace_digest, created_at=fresh.created_at,
                targets=fresh.targets, accounts=fresh.accounts,
                environment=fresh.environment, templates=fresh.templates,
                policy=fresh.policy, variables=fresh.variables, notes=review.notes,
                left_alone=review.left_alone)
