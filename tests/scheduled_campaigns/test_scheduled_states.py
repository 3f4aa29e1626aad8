import itertools

import pytest

from reconciler.providers.scheduled_campaigns.states import (
    CLIENT_EDGES,
    DESIRABLE,
    FROZEN,
    STATES,
    UnreachableState,
    can_request,
    is_frozen,
    next_states,
    path,
)


def test_sets():
    assert FROZEN == {"SENDING", "DONE", "ERROR"}
    assert DESIRABLE == {"DRAFT", "SCHEDULED", "READY"}
    assert set(STATES) == FROZEN | DESIRABLE
    assert CLIENT_EDGES == {("DRAFT", "SCHEDULED"), ("SCHEDULED", "DRAFT"),
                            ("SCHEDULED", "READY"), ("READY", "SCHEDULED")}


@pytest.mark.parametrize("src,dst,expected", [
    ("DRAFT", "DRAFT", []),
    ("DRAFT", "SCHEDULED", ["SCHEDULED"]),
    ("DRAFT", "READY", ["SCHEDULED", "READY"]),
    ("READY", "DRAFT", ["SCHEDULED", "DRAFT"]),
    ("READY", "SCHEDULED", ["SCHEDULED"]),
    ("SCHEDULED", "READY", ["READY"]),
    ("SCHEDULED", "DRAFT", ["DRAFT"]),
    ("DONE", "DONE", []),
])
def test_shortest_paths(src, dst, expected):
    assert path(src, dst) == expected


def test_every_path_uses_only_client_edges():
    for src, dst in itertools.product(DESIRABLE, DESIRABLE):
        steps = [src, *path(src, dst)]
        assert all(can_request(a, b) for a, b in itertools.pairwise(steps))


@pytest.mark.parametrize("src,dst", [
    ("READY", "SENDING"), ("DRAFT", "DONE"), ("SCHEDULED", "ERROR"),
    ("SENDING", "DONE"), ("SENDING", "READY"), ("DONE", "DRAFT"), ("ERROR", "SCHEDULED"),
])
def test_unreachable(src, dst):
    with pytest.raises(UnreachableState, match=f"from {src} to {dst}"):
        path(src, dst)


def test_frozen_and_next_states():
    assert [s for s in STATES if is_frozen(s)] == ["SENDING", "DONE", "ERROR"]
    assert next_states("SCHEDULED") == ["DRAFT", "READY"]
    assert next_states("SENDING") == []
    assert not can_request("DRAFT", "READY")


def test_unknown_state():
    with pytest.raises(ValueError, match="unknown campaign state 'draft'"):
        path("draft", "READY")
