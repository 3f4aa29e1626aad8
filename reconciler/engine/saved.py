"""Saved plans: `plan -o FILE` writes the JSON plan document; `apply FILE` executes exactly
the reviewed actions, or refuses (exit 1, nothing written) when what was reviewed no longer
holds: the workspace changed, a fresh plan does something else, or a send time passed."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler.engine.plan import Plan
from reconciler.engine.review import compare_plans
from reconciler.errors import CampaignctlError
from reconciler.render.json import plan_document, plan_from_document
from reconciler.render.view import PlanView, scheduled_times


class StalePlan(CampaignctlError):
    """The saved plan no longer describes what apply would do."""


AGAIN = "Run `campaignctl plan` again and review the new plan."


def save_plan(plan: Plan, path: Path, directory: Path, safety: list[str] = ()) -> None:
    """Write the plan file atomically (a CI job killed mid-write leaves no half file).
    `safety`: what the plan printed would stop apply without --force (shown again by
    `campaignctl show`; apply checks the thresholds afresh)."""
    view = PlanView(plan, directory=str(Path(directory).resolve()), safety=list(safety))
    text = json.dumps(plan_document(view), indent=2, default=str, ensure_ascii=False)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n")
    os.replace(tmp, path)


def _read_document(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignctlError(f"{path}: cannot read the plan file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise CampaignctlError(f"{path}: not a JSON plan file ({exc.msg} at line "
                               f"{exc.lineno})") from None


def load_plan(path: Path) -> tuple[Plan, str | None]:
    """(the saved plan, its workspace directory); refuses a damaged or edited file."""
    return plan_from_document(_read_document(path), str(path))


def load_view(path: Path) -> PlanView:
    """The saved plan as `plan` printed it (`campaignctl show`): read from the file alone,
    no API, no credentials; refused like `apply FILE` when its checksum does not match."""
    doc = _read_document(path)
    plan, directory = plan_from_document(doc, str(path))
    safety = doc.get("safety")
    return PlanView(plan, directory=directory,
                    safety=[str(s) for s in safety] if isinstance(safety, list) else [])


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
    if fresh.workspace_digest != expected.workspace_digest:
        found = ("; apply would now do:\n  " + "\n  ".join(review.problems) + "\n"
                 if review.problems else ". ")
        raise StalePlan("the workspace changed since the plan was saved (manifests or CSV "
                        f"files differ), nothing was changed{found}" + AGAIN)
    if review.problems:
        raise StalePlan("the live state changed since the plan was saved and apply would no "
                        "longer do what was reviewed, nothing was changed:\n  "
                        + "\n  ".join(review.problems) + "\n" + AGAIN)
    return Plan(actions=review.run, live_fingerprint=fresh.live_fingerprint,
                workspace_digest=fresh.workspace_digest, created_at=fresh.created_at,
                targets=fresh.targets, accounts=fresh.accounts,
                environment=fresh.environment, templates=fresh.templates,
                policy=fresh.policy, notes=review.notes,
                left_alone=review.left_alone)
