"""The engine's identity rule (engine/identity.py), the same for every kind and vendor:
bound is that manifest's; an unbound live object with a manifest's natural key is adopted
by one manifest at most; a bound object gone is re-created only when none has its key."""

from __future__ import annotations

import pytest

from reconciler.engine.identity import (
    FORMER_IDS,
    BindingConflict,
    Bindings,
    LiveObject,
    Match,
    resolve,
)
from reconciler.state.store import Binding, SqliteStore


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


def bindings(store, *rows: tuple[str, str, str]) -> Bindings:
    for kind, name, remote_id in rows:
        store.put_binding(Binding("mail", kind, name, remote_id))
    return Bindings(store, "mail")


def test_bound_adopted_gone_and_new(store):
    b = bindings(store, ("Sender", "news", "s1"), ("Sender", "promo", "s2"),
                 ("Sender", "old", "s3"))
    live = [LiveObject("Sender", "s1", "news@x"), LiveObject("Sender", "s9", "promo@x"),
            LiveObject("Sender", "s8", "fresh@x")]
    found = resolve([("Sender", "news", "news@x"), ("Sender", "promo", "promo@x"),
                     ("Sender", "old", "old@x"), ("Sender", "fresh", "fresh@x"),
                     ("Sender", "brand-new", "new@x")], live, b)
    assert found == {
        ("Sender", "news"): Match("s1", "bound"),
        ("Sender", "promo"): Match("s9", "adopt", previous="s2"),  # deleted, re-created
        ("Sender", "old"): Match(None, "gone", previous="s3"),
        ("Sender", "fresh"): Match("s8", "adopt"),                  # first plan
        ("Sender", "brand-new"): Match(None, "new"),
    }
    assert "bound id s2 was deleted outside campaignctl; live id s9 has the same email" \
        in found[("Sender", "promo")].reason("email address")


def test_one_live_object_is_adopted_by_one_manifest_and_a_bound_one_never(store):
    b = bindings(store, ("Sender", "news", "s1"))
    live = [LiveObject("Sender", "s1", "a@x"), LiveObject("Sender", "s2", "a@x")]
    found = resolve([("Sender", "one", "a@x"), ("Sender", "two", "a@x")], live, b,
                    present={("Sender", "news"), ("Sender", "one"), ("Sender", "two")})
    assert found[("Sender", "one")] == Match("s2", "adopt")
    assert found[("Sender", "two")] == Match(None, "new")  # s1 is news's, s2 is one's


def test_a_retired_object_is_replaced_only_by_a_live_one_with_its_key(store):
    b = bindings(store, ("Campaign", "sale", "c1"), ("Campaign", "launch", "c5"))
    live = [LiveObject("Campaign", "c1", None, retired=True),
            LiveObject("Campaign", "c2", "Sale"),
            LiveObject("Campaign", "c5", None, retired=True)]
    found = resolve([("Campaign", "sale", "Sale"), ("Campaign", "launch", "Launch")], live, b)
    assert found[("Campaign", "sale")] == Match("c2", "adopt", previous="c1")
    # Cancelled and nothing in its place: still that one (never re-created on a guess).
    assert found[("Campaign", "launch")] == Match("c5", "bound")


def test_a_re_adoption_remembers_the_id_it_replaced_and_never_overwrites(store):
    b = bindings(store, ("Sender", "news", "s1"))
    b.bind("Sender", "news", "s2", expected="s1", replaces="s1")
    again = Bindings(store, "mail")
    assert again.get("Sender", "news").data == {FORMER_IDS: ["s1"]}
    assert again.owner("Sender", "s1") == again.owner("Sender", "s2") == "news"
    with pytest.raises(BindingConflict, match="bound meanwhile to live id s2"):
        again.bind("Sender", "news", "s3", expected="s1")
    assert Bindings(store, "mail").get("Sender", "news").remote_id == "s2"


def test_a_manifest_renamed_takes_its_old_binding_only_when_the_old_one_is_gone(store):
    b = bindings(store, ("Campaign", "sale", "c1"), ("Campaign", "kept", "c2"))
    live = [LiveObject("Campaign", "c1", "Sale", adoptable=False),  # sent: never adopted
            LiveObject("Campaign", "c2", "Kept")]
    found = resolve([("Campaign", "sale-2027", "Sale"), ("Campaign", "kept-2", "Kept")],
                    live, b, present={("Campaign", "sale-2027"), ("Campaign", "kept-2"),
                                      ("Campaign", "kept")})
    assert found[("Campaign", "sale-2027")] == Match("c1", "rename", previous="sale")
    assert "renamed from Campaign/sale (live id c1" in \
        found[("Campaign", "sale-2027")].reason("name", "Campaign")
    # Campaign/kept is still a manifest (not targeted by this plan): not a rename.
    assert found[("Campaign", "kept-2")] == Match(None, "new")
    b.rename("Campaign", "sale", "sale-2027")
    assert Bindings(store, "mail").get("Campaign", "sale-2027").remote_id == "c1"
    assert b.get("Campaign", "sale") is None
