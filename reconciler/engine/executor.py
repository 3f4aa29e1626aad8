"""apply: execute a plan's actions, each as soon as what it waits for is done
(engine/dependencies.py), stop launching at the first failure, and report what was done.

How many run at once:
- at most `RunOptions.parallelism` actions in all (`apply --parallelism N`, 10 unless set;
  1 runs them one at a time in plan order);
- per account, at most its provider's `concurrency_limit()` (the account's
  `max_concurrency`, the setting its reads use);
- one send at a time, whichever account: a send's batches keep their own ledger rules and
  in-flight window (providers/sendonly/), and sends never race each other to the ledger.

Among the actions that may start, the first in plan order starts first. An action reports
"start" only once it holds its slots, so a display shows what really runs. After a failure
nothing more starts, the running actions finish, and the rest is reported skipped.
"""

from __future__ import annotations

import asyncio
import heapq
from dataclasses import dataclass, field

from reconciler.engine.actions import Action
from reconciler.engine.dependencies import Node, dependency_graph
from reconciler.engine.halting import check_not_halted, stop_again_if_halted
from reconciler.engine.plan import Plan
from reconciler.engine.planner import Session
from reconciler.errors import CampaignctlError

#: the most actions in flight at once (the default: contract.DEFAULT_PARALLELISM)
MAX_PARALLELISM = 256
#: per account, when its provider does not say (the HTTP layer's own default)
DEFAULT_ACCOUNT_CONCURRENCY = 8


def check_parallelism(value: object) -> int:
    """`apply --parallelism`: a whole number from 1 to MAX_PARALLELISM, or refused."""
    if isinstance(value, bool) or not isinstance(value, int) or not (
            1 <= value <= MAX_PARALLELISM):
        raise CampaignctlError(f"--parallelism must be a whole number from 1 to "
                               f"{MAX_PARALLELISM} (1: one action at a time), not {value!r}")
    return value


@dataclass
class ApplyResult:
    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    skipped: list[Action] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def account_limits(session: Session, actions: list[Action]) -> dict[str, int]:
    """Per account of `actions`, how many of its actions may run at once."""
    limits = {}
    for account in {a.account for a in actions}:
        ask = getattr(session.providers[account], "concurrency_limit", None)
        limit = ask() if ask is not None else None
        limits[account] = max(1, int(limit or DEFAULT_ACCOUNT_CONCURRENCY))
    return limits


class _Launcher:
    """The actions that may start, queued per (account, send or not), first in plan
    order; `pick` takes the first one whose slots are free."""

    def __init__(self, limits: dict[str, int], parallelism: int):
        self.limits, self.parallelism = limits, parallelism
        self.queues: dict[tuple[str, bool], list[tuple[int, Action]]] = {}
        self.running: dict[str, int] = dict.fromkeys(limits, 0)
        self.in_flight = 0
        self.sending = False

    def ready(self, index: int, action: Action) -> None:
        heapq.heappush(self.queues.setdefault((action.account, action.op == "send"), []),
                       (index, action))

    def pick(self) -> tuple[int, Action] | None:
        if self.in_flight >= self.parallelism:
            return None
        best = None
        for (account, send), queue in self.queues.items():
            if not queue or self.running[account] >= self.limits[account] or (
                    send and self.sending):
                continue
            if best is None or queue[0][0] < best[0][0]:
                best = queue
        if best is None:
            return None
        index, action = heapq.heappop(best)
        self.running[action.account] += 1
        self.in_flight += 1
        self.sending = self.sending or action.op == "send"
        return index, action

    def release(self, action: Action) -> None:
        self.running[action.account] -= 1
        self.in_flight -= 1
        if action.op == "send":
            self.sending = False


async def execute_plan(session: Session, plan: Plan) -> ApplyResult:
    """Run the plan's changes; each start, finish and failure goes to the run's reporter."""
    progress = session.ctx.reporter
    pending = [a for a in plan.actions if a.is_change]
    parallelism = session.ctx.options.parallelism
    progress.actions(len(pending))
    progress.parallelism(parallelism)
    nodes = dependency_graph(pending, session.ctx.workspace)
    launcher = _Launcher(account_limits(session, pending), parallelism)
    done: list[tuple[int, Action]] = []
    failed: list[tuple[int, Action, str]] = []
    started: set[int] = set()
    running: dict[asyncio.Task, tuple[int, Action]] = {}
    crashed: BaseException | None = None

    def finished(node: Node) -> None:
        """`node` is done: what waited only for it may start (barriers pass at once)."""
        for j in node.then:
            nodes[j].waits -= 1
            if nodes[j].waits == 0:
                if nodes[j].action is None:
                    finished(nodes[j])
                else:
                    launcher.ready(j, nodes[j].action)

    for node in nodes:
        if node.waits == 0:
            if node.action is None:
                finished(node)
            else:
                launcher.ready(node.index, node.action)
    while True:
        while not failed and crashed is None and (picked := launcher.pick()) is not None:
            started.add(picked[0])
            running[asyncio.create_task(_run(session, picked[1]))] = picked
        if not running:
            break
        ended, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        for task in ended:
            index, action = running.pop(task)
            launcher.release(action)
            if task.exception() is not None:
                crashed = crashed or task.exception()  # raised once the others finished
                continue
            error = task.result()
            if error is None:
                done.append((index, action))
                finished(nodes[index])
            else:
                failed.append((index, action, error))
    if crashed is not None:
        raise crashed
    return ApplyResult(done=[a for _, a in sorted(done, key=lambda d: d[0])],
                       failed=[(a, e) for _, a, e in sorted(failed, key=lambda f: f[0])],
                       skipped=[a for i, a in enumerate(pending) if i not in started])


async def _run(session: Session, action: Action) -> str | None:
    """Execute one action (its slots held); the error that failed it, or None."""
    progress = session.ctx.reporter
    progress.action("start", action)
    try:
        check_not_halted(session.ctx, action)  # a halt recorded since the plan
        if action.data.get("moved_from"):
            # A renamed manifest: the engine moves its state first (identity.py).
            session.ctx.bindings(action.account).rename(
                action.kind, action.data["moved_from"], action.name)
        if action.op != "adopt" or not action.data.get("moved_from"):
            provider = session.providers[action.account]
            await provider.execute(action, session.live[action.account])
            await stop_again_if_halted(session.ctx, action, provider)
    except CampaignctlError as exc:
        progress.action("failed", action, str(exc))
        return str(exc)
    progress.action("done", action)
    return None
