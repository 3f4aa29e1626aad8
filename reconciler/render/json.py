"""The plan as JSON: `plan --format json` prints the saved plan document, which the
engine defines (engine/saved.py: the documented, versioned format)."""

from __future__ import annotations

import json

from reconciler.engine.plan import Plan
from reconciler.engine.saved import plan_document
from reconciler.render.view import PlanView


def render_json(plan: Plan | PlanView, indent: int | None = 2) -> str:
    view = plan if isinstance(plan, PlanView) else PlanView(plan)
    return json.dumps(plan_document(view), indent=indent, default=str, ensure_ascii=False)
