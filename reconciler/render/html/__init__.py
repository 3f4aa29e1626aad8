"""The plan as one self-contained HTML report (`plan --format html`, `show --format html`):
what stops the plan first, then each send as its recipients would see it. Built from the
same view model as the other formats (render/view.py)."""

from __future__ import annotations

from reconciler.engine.plan import Plan
from reconciler.render.html.escape import text
from reconciler.render.html.page import page
from reconciler.render.html.sends import sends_section
from reconciler.render.html.summary import actions_section, alerts, campaign_table, header
from reconciler.render.view import PlanView


def render_html(plan: Plan | PlanView, verdict: str | None = None) -> str:
    """`verdict`: how a saved plan's signature checked (`show`), shown at the top."""
    view = plan if isinstance(plan, PlanView) else PlanView(plan)
    env = f" ({view.plan.environment})" if view.plan.environment else ""
    body = "".join([header(view, verdict), alerts(view), campaign_table(view),
                    sends_section(view), actions_section(view)])
    return page(text(f"campaignctl plan{env}"), f"<main>{body}</main>")
