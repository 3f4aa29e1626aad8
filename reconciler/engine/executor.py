"""apply: execute a plan's actions in dependency order, stop cleanly at the first failure,
and report what was done."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from reconciler.engine.actions import Action
from reconciler.engine.halting import check_not_halted
from reconciler.engine.plan import KIND_ORDER, Plan
from reconciler.engine.planner import Session
from reconciler.errors import CampaignctlError

MAX_PARALLEL_ACTIONS = 4


@dataclass
class ApplyResult:
    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    skipped: list[Action] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _stages(actions: list[Action]) -> list[list[Action]]:
    """Actions that may run together: same op family and kind rank, in plan order."""
    stages: list[list[Action]] = []
    last = None
    for a in actions:
        key = (a.op == "delete", KIND_ORDER.index(a.kind) if a.kind in KIND_ORDER else 9)
        if key != last:
            stages.append([])
            last = key
        stages[-1].append(a)
    return stages


async def execute_plan(session: Session, plan: Plan) -> ApplyResult:
    """Run the plan's changes; each start, finish and failure goes to the run's reporter."""
    result = ApplyResult()
    gate = asyncio.Semaphore(MAX_PARALLEL_ACTIONS)
    progress = session.ctx.reporter

    async def run(action: Action) -> None:
        provider = session.providers[action.account]
        async with gate:
            progress.action("start", action)
            try:
                check_not_halted(session.ctx, action)  # a halt recorded since the plan
                if action.data.get("moved_from"):
                    # A renamed manifest: the engine moves its state first (identity.py).
                    session.ctx.bindings(action.account).rename(
                        action.kind, action.data["moved_from"], action.name)
                if action.op != "adopt" or not action.data.get("moved_from"):
                    await provider.execute(action, session.live[action.account])
            except CampaignctlError as exc:
                result.failed.append((action, str(exc)))
                progress.action("failed", action, str(exc))
                return
            result.done.append(action)
            progress.action("done", action)

    pending = [a for a in plan.actions if a.is_change]
    progress.actions(len(pending))
    for stage in _stages(pending):
        if result.failed:
            result.skipped.extend(stage)
            continue
        await asyncio.gather(*(run(a) for a in stage))
    return result
