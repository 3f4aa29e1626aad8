"""Which plan action waits for which (engine/dependencies.py): what apply runs at once and
what it keeps in order, on plans as the planner orders them."""

from __future__ import annotations

from reconciler.engine.actions import Action
from reconciler.engine.dependencies import dependency_graph
from reconciler.engine.plan import order_actions


def act(op: str, address: str, account: str = "mail", depends_on=()) -> Action:
    kind, name = address.split("/")
    return Action(op, kind, name, account, "", depends_on=list(depends_on))


def waits(actions: list[Action]) -> dict[str, set[str]]:
    """Each action's address and op -> every action it waits for, directly or through
    other actions and barriers."""
    nodes = dependency_graph(actions, None)
    before: dict[int, set[int]] = {i: set() for i in range(len(nodes))}
    for i, node in enumerate(nodes):  # a node's `then` come after it (barriers: last)
        for j in node.then:
            before[j].add(i)

    def closure(i: int, seen: set[int]) -> set[int]:
        for j in before[i]:
            if j not in seen:
                seen.add(j)
                closure(j, seen)
        return seen
    label = {i: f"{a.op} {a.address}" for i, a in enumerate(actions)}
    return {label[i]: {label[j] for j in closure(i, set()) if j in label}
            for i in label}


def test_independent_creates_wait_for_nothing_and_a_campaign_for_what_it_uses():
    plan = order_actions([
        act("create", "Sender/s"), act("create", "Message/m"), act("create", "ContactGroup/g"),
        act("create", "Message/other"),
        act("create", "Campaign/c", depends_on=["Sender/s", "Message/m", "ContactGroup/g"]),
        act("transition", "Campaign/c"), act("send", "Campaign/c")])
    w = waits(plan)
    assert w["create Sender/s"] == w["create Message/m"] == w["create Message/other"] == set()
    assert w["create Campaign/c"] == {"create Sender/s", "create Message/m",
                                      "create ContactGroup/g"}
    # one resource's actions in plan order
    assert w["send Campaign/c"] == w["create Campaign/c"] | {"create Campaign/c",
                                                              "transition Campaign/c"}


def test_opt_out_lists_come_before_groups_and_campaigns_of_every_account():
    plan = order_actions([act("update", "OptOutList/stop", "mail"),
                          act("create", "ContactGroup/g", "sms"),
                          act("send", "Campaign/c", "sms"), act("create", "Message/m", "sms")])
    w = waits(plan)
    assert "update OptOutList/stop" in w["create ContactGroup/g"]
    assert "update OptOutList/stop" in w["send Campaign/c"]
    assert w["create Message/m"] == set()


def test_deletes_come_last_campaigns_first():
    plan = order_actions([act("delete", "Message/old"), act("delete", "Sender/old"),
                          act("delete", "Campaign/a"), act("delete", "Campaign/b"),
                          act("update", "Campaign/c"), act("create", "Message/new")])
    w = waits(plan)
    for kind in ("Message", "Sender"):
        assert {"delete Campaign/a", "delete Campaign/b", "update Campaign/c",
                "create Message/new"} <= w[f"delete {kind}/old"]
    assert "delete Message/old" in w["delete Sender/old"]
    assert w["delete Campaign/a"] == {"update Campaign/c", "create Message/new"}
    assert "delete Campaign/a" not in w["delete Campaign/b"]  # same kind: side by side
