"""The Python API of campaignctl: every command as a function, with every rule the command
line enforces (the CLI, reconciler/cli/, only parses options and renders what these return).

    from reconciler import api

    result = api.plan("campaigns")               # PlanResult: plan, violations, view
    if not result.violations:
        api.apply("campaigns")                   # safety, lock, lineage: as `apply`
    api.apply("plan.json")                       # a saved plan: verified, then exactly it

Refusals raise reconciler.errors.CampaignctlError (ValidationFailed for bad manifests,
UnsafePlan beyond a safety threshold, StalePlan, UnverifiedPlan...).

Modules: pipeline.py (load, open the state once, plan), planning.py (validate, plan, show),
applying.py (apply), live.py (status, import_account), state.py and ledger.py (the state
operations), init.py (init), manifests.py (fmt, render, schema).
"""

from reconciler.api import ledger, state
from reconciler.api.applying import UNCOUNTED, Applied, Review, apply
from reconciler.api.init import init_ci, init_workspace
from reconciler.api.live import import_account, status
from reconciler.api.manifests import fmt, render, schema
from reconciler.api.planning import PlanResult, ShownPlan, Validation, plan, show, validate

__all__ = ["UNCOUNTED", "Applied", "PlanResult", "Review", "ShownPlan", "Validation", "apply",
           "fmt", "import_account", "init_ci", "init_workspace", "ledger", "plan", "render",
           "schema", "show", "state", "status", "validate"]
