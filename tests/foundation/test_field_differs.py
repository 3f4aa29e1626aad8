"""A field's change is found by comparing the vendor's value with the manifest's, types
included, at every depth: what the plan shows as `~` is exactly what differs."""

from __future__ import annotations

from reconciler.engine.diff import field_changes
from reconciler.engine.fields import differs


def test_a_type_change_is_a_change_at_any_depth():
    assert differs(1, 1.0) and differs(True, 1) and differs(None, 0) and differs("1", 1)
    assert differs([0, 0, 0], [0, 0, 0.0])
    assert differs([False], [0])
    assert differs({"a": [{"b": 1}]}, {"a": [{"b": 1.0}]})
    assert differs({"vendor": {"limit": 5}}, {"vendor": {"limit": "5"}})


def test_key_order_does_not_count_list_order_does():
    assert not differs({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1})
    assert differs([1, 2], [2, 1])
    assert differs({"a": 1}, {"a": 1, "b": None})
    assert differs([1], [1, 1])


def test_equal_values_are_not_a_change():
    value = {"subject": "Hi", "tags": ["a"], "block": {"x": [1, {"y": None}]}}
    assert not differs(value, {"subject": "Hi", "tags": ["a"], "block": {"x": [1, {"y": None}]}})
    nan = float("nan")
    assert not differs(nan, nan)  # the same object: unchanged


def test_field_changes_name_only_the_fields_that_differ():
    live = {"subject": "Hi", "block": {"x": 1}, "count": 3}
    desired = {"subject": "Hi", "block": {"x": 2}, "count": 3.0}
    changes = field_changes(live, desired)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("block", {"x": 1}, {"x": 2}), ("count", 3, 3.0)]
