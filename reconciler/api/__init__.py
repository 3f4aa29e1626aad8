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
applying.py (apply), halting.py (halt, resume), proof.py (proof), live.py (status, import_account),
state.py and ledger.py (the state
operations), init.py (init), manifests.py (fmt, render, schema).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: name -> the module of this package that defines it. Loaded on first use (PEP 562), so a
#: command loads only what it calls: `validate` never imports the HTTP layer or a vendor.
_HOMES = {
    "UNCOUNTED": "applying", "Applied": "applying", "Review": "applying", "apply": "applying",
    "halt": "halting", "resume": "halting",
    "init_ci": "init", "init_workspace": "init",
    "import_account": "live", "status": "live",
    "proof": "proof",
    "fmt": "manifests", "render": "manifests", "schema": "manifests",
    "PlanResult": "planning", "ShownPlan": "planning", "Validation": "planning",
    "plan": "planning", "show": "planning", "validate": "planning",
}
_SUBMODULES = ("ledger", "state")

__all__ = sorted([*_HOMES, *_SUBMODULES])


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # for readers and type checkers; the layering check counts these too
    from reconciler.api import ledger, state  # noqa: F401
    from reconciler.api.applying import UNCOUNTED, Applied, Review, apply  # noqa: F401
    from reconciler.api.halting import halt, resume  # noqa: F401
    from reconciler.api.init import init_ci, init_workspace  # noqa: F401
    from reconciler.api.live import import_account, status  # noqa: F401
    from reconciler.api.manifests import fmt, render, schema  # noqa: F401
    from reconciler.api.planning import (  # noqa: F401
        PlanResult,
        ShownPlan,
        Validation,
        plan,
        show,
        validate,
    )
    from reconciler.api.proof import proof  # noqa: F401
