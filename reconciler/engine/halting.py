"""The emergency stop, as the engine applies it (the record is reconciler/state/halt.py):

- `refuse_when_halted`: a plan made while the environment is halted turns every change
  that could start a send (a send, a campaign created, updated, replaced or moved to a
  sending state) into a refusal naming who halted and why;
- `check_not_halted`: the executor asks again before each campaign change (send-only
  accounts also before each batch: providers/sendonly/batches.py);
- `stop_again_if_halted`: and after it, since `halt` may have stopped the account's
  campaigns before this one reached the vendor;
- `StopOutcome`: what a provider's `halt` capability (engine/contract.Haltable) says it did
  about one campaign; engine/stopping.py asks every account.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.engine.actions import Action
from reconciler.engine.contract import RunContext
from reconciler.state.halt import Halt, Halted, read_halt

#: manifest states in which nothing is sent: moving a campaign there stays allowed
QUIET_STATES = ("draft", "paused", "cancelled")


def starts_sending(action: Action, ws) -> bool:
    if action.kind != "Campaign" or not action.is_change or action.op == "delete":
        return False
    if action.op == "send":
        return True
    r = ws.get("Campaign", action.name)
    return r is None or getattr(r.spec, "state", None) not in QUIET_STATES


def refuse_when_halted(actions: list[Action], ws, halt: Halt | None) -> list[Action]:
    if halt is None:
        return actions
    out = []
    for a in actions:
        if starts_sending(a, ws):
            out.append(Action("refuse", a.kind, a.name, a.account,
                              f"{a.op} refused: {halt.describe()}"))
        else:
            out.append(a)
    return out


def check_not_halted(ctx: RunContext, action: Action) -> None:
    if starts_sending(action, ctx.workspace) and (halt := read_halt(ctx.store)) is not None:
        raise Halted(f"{action.address}: not executed: {halt.describe()}")


async def stop_again_if_halted(ctx: RunContext, action: Action, provider) -> None:
    """After a campaign change that may start a send: a halt recorded while it was being
    made may have stopped the account's campaigns before this one reached the vendor, so
    they are stopped again (the provider's `halt`) and the action fails, saying so. A send
    is not asked: it reads the halt before each of its batches."""
    if action.op == "send" or not starts_sending(action, ctx.workspace):
        return
    halt = read_halt(ctx.store)
    if halt is None:
        return
    stop = getattr(provider, "halt", None)
    outcomes = list(await stop()) if stop is not None else []
    done = [o for o in outcomes if o.address == action.address]
    said = (f"stopped again: {done[0].detail}" if done and done[0].stopped else
            f"not stopped: {done[0].detail}" if done else
            "its vendor cannot stop it: check it at the vendor")
    raise Halted(f"{action.address}: a halt was recorded while this change was made "
                 f"({halt.describe()}); {said}")


@dataclass(frozen=True)
class StopOutcome:
    """What halt did about one campaign: stopped (how), or not (why)."""

    address: str
    account: str
    stopped: bool
    detail: str

    def line(self) -> str:
        mark = "stopped" if self.stopped else "NOT stopped"
        return f"{mark}: {self.address} ({self.account}): {self.detail}"
