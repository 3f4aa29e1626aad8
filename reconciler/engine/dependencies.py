"""Which of a plan's actions wait for which, so that apply runs the others at once.

The plan is ordered (engine/plan.order_actions): senders, opt-out lists, groups and
messages before campaigns; deletes last, campaigns' first. Apply keeps every guarantee
that order gives, and only those:

- the actions on one address run in plan order (a create before its transition and send);
- an action runs after the actions on what it uses: its `depends_on` and the manifests its
  manifest names (a Campaign's message, sender, contact groups and opt-out lists);
- every campaign and contact group action runs after every opt-out list change, whichever
  account (an opt-out recorded by this apply is in place before anything that could send
  to, or upload, that address);
- deletes run after every other action (an update that stops using an object comes
  before its delete), and kind by kind in plan order: campaigns' deletes before the
  messages, groups, lists and senders they may have used.

An action waits only for actions before it in the plan, so the graph has no cycle, and
run one at a time in plan order every wait is already met. Waits on whole groups go
through a barrier (a node with no action), which keeps the graph linear in size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.engine.actions import Action
from reconciler.kinds.catalog import KIND_ORDER, REFERENCES

#: kinds whose every action waits for every opt-out list change
AFTER_OPT_OUTS = ("ContactGroup", "Campaign")


@dataclass
class Node:
    """One action (or a barrier: `action` None) and the nodes waiting for it."""

    action: Action | None
    index: int  # plan order (a barrier: after the nodes it waits for)
    waits: int = 0  # how many nodes it still waits for
    then: list[int] = field(default_factory=list)  # nodes that wait for it


def _rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _used_by(action: Action, ws) -> list[str]:
    """The addresses `action` uses: its own `depends_on`, and what its manifest names."""
    used = list(action.depends_on)
    resource = ws.get(action.kind, action.name) if ws is not None else None
    for name_field, kind in REFERENCES.get(action.kind, ()):
        value = getattr(resource.spec, name_field, None) if resource is not None else None
        names = value if isinstance(value, list) else [value] if value else []
        used += [f"{kind}/{n}" for n in names if isinstance(n, str)]
    return used


def dependency_graph(actions: list[Action], ws) -> list[Node]:
    """The actions (in plan order) as nodes, then barriers, each with what it waits for."""
    nodes = [Node(a, i) for i, a in enumerate(actions)]

    def barrier(after: list[int]) -> int:
        nodes.append(Node(None, len(nodes)))
        for i in after:
            wait(len(nodes) - 1, i)
        return len(nodes) - 1

    def wait(node: int, for_node: int) -> None:
        nodes[node].waits += 1
        nodes[for_node].then.append(node)

    changes = [i for i, a in enumerate(actions) if a.op != "delete"]
    optouts = barrier([i for i in changes if actions[i].kind == "OptOutList"])
    last_at: dict[str, int] = {}  # address -> the last action on it so far
    for i in changes:
        a = actions[i]
        if a.address in last_at:
            wait(i, last_at[a.address])
        if _rank(a.kind) >= len(KIND_ORDER):  # a kind without an order: after all before it
            for j in changes:
                if j < i and _rank(actions[j].kind) < _rank(a.kind):
                    wait(i, j)
        for used in dict.fromkeys(_used_by(a, ws)):
            if used != a.address and used in last_at:
                wait(i, last_at[used])
        if a.kind in AFTER_OPT_OUTS and nodes[optouts].waits:
            wait(i, optouts)
        last_at[a.address] = i
    # Deletes: after every other action, then one kind after another (campaigns first).
    groups: list[list[int]] = []
    for i, a in enumerate(actions):
        if a.op == "delete":
            if groups and _rank(actions[groups[-1][-1]].kind) == _rank(a.kind):
                groups[-1].append(i)
            else:
                groups.append([i])
    before = changes
    for group in groups:
        gate = barrier(before)
        for i in group:
            wait(i, gate)
            earlier = last_at.get(actions[i].address)
            if earlier is not None and actions[earlier].op == "delete" and earlier in group:
                wait(i, earlier)  # another delete of the same address and kind
            last_at[actions[i].address] = i
        before = group
    return nodes
