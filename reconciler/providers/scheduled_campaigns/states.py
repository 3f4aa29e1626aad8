"""The scheduled-campaigns state machine: DRAFT ⮂ SCHEDULED ⮂ READY ⇒ SENDING ⇒ (DONE | ERROR).

A client may only request the reversible edges (one per PUT). READY -> SENDING happens
when the vendor reaches `when`, and SENDING -> DONE | ERROR when it finishes: nobody can
ask for those, and nothing leaves SENDING, DONE or ERROR except by the vendor.
"""

from __future__ import annotations

from collections import deque

DRAFT, SCHEDULED, READY = "DRAFT", "SCHEDULED", "READY"
SENDING, DONE, ERROR = "SENDING", "DONE", "ERROR"

STATES = (DRAFT, SCHEDULED, READY, SENDING, DONE, ERROR)

# Edges a client may request with a PUT, one per request.
CLIENT_EDGES: frozenset[tuple[str, str]] = frozenset({
    (DRAFT, SCHEDULED), (SCHEDULED, DRAFT), (SCHEDULED, READY), (READY, SCHEDULED),
})
# Edges only the vendor takes, driven by time and delivery.
VENDOR_EDGES: frozenset[tuple[str, str]] = frozenset({
    (READY, SENDING), (SENDING, DONE), (SENDING, ERROR),
})

# Launched: never edited, replaced or deleted (PRODUCT.md, "Launched is frozen").
FROZEN = frozenset({SENDING, DONE, ERROR})
# States a manifest may ask for; also the states a POST may create a campaign in.
DESIRABLE = frozenset({DRAFT, SCHEDULED, READY})


class UnreachableState(ValueError):
    """No sequence of client requests leads from one state to the other."""


def _check(state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown campaign state {state!r}; expected one of "
                         f"{', '.join(STATES)}")


def is_frozen(state: str) -> bool:
    _check(state)
    return state in FROZEN


def can_request(src: str, dst: str) -> bool:
    """True when one PUT may move a campaign from `src` to `dst`."""
    _check(src)
    _check(dst)
    return (src, dst) in CLIENT_EDGES


def next_states(state: str) -> list[str]:
    """States one PUT may move `state` to, in STATES order."""
    _check(state)
    return [dst for dst in STATES if (state, dst) in CLIENT_EDGES]


def path(src: str, dst: str) -> list[str]:
    """The shortest list of states to request, one PUT each, to go from `src` to `dst`
    (excluding `src`; `[]` when they are equal). Raises UnreachableState otherwise."""
    _check(src)
    _check(dst)
    if src == dst:
        return []
    previous: dict[str, str] = {src: src}
    queue = deque([src])
    while queue:
        state = queue.popleft()
        for nxt in next_states(state):
            if nxt in previous:
                continue
            previous[nxt] = state
            if nxt == dst:
                steps = [dst]
                while previous[steps[-1]] != src:
                    steps.append(previous[steps[-1]])
                return steps[::-1]
            queue.append(nxt)
    if src in FROZEN:
        why = f"{src} is frozen: only the vendor moves a launched campaign"
    else:
        why = f"only the vendor moves a campaign into {dst}"
    raise UnreachableState(f"cannot move a campaign from {src} to {dst}: {why}")
