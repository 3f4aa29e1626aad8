"""`state mv` on both backends: bindings, the send ledger (with the content it was sent
with), remembered opt-outs and prevent_destroy records move together, or nothing does."""

from __future__ import annotations

import json

import pytest

from reconciler.engine.safety import PROTECTED_META
from reconciler.errors import CampaignctlError
from reconciler.state.ledger import SendLedger
from reconciler.state.move import move
from reconciler.state.optouts import OptOutMemory
from reconciler.state.store import Binding, SqliteStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "state.db")
    else:
        from reconciler.state.postgres import PostgresStore
        s = PostgresStore(request.getfixturevalue("postgres_dsn"))
    try:
        yield s
    finally:
        s.close()


def test_everything_under_the_old_name_moves_in_one_go(store):
    ledger = SendLedger(store)
    ledger.sent(ledger.begin("sms", "promo", "id1", ["+1", "+2"]), "t1")
    ledger.unknown(ledger.begin("sms", "promo", "id1", ["+3"]), "ReadTimeout")
    store.set_meta("ledger-content:sms:promo:id1", '{"text": "hi"}')
    store.put_binding(Binding("mail", "Campaign", "promo", "77"))
    store.set_meta(PROTECTED_META, json.dumps(["mail:Campaign/promo", "mail:Sender/x"]))
    OptOutMemory(store).apply("sms", "stop", ["+9"], [])

    moved = move(store, "Campaign", "promo", "promo-2027")
    assert (moved.bindings, moved.batches, moved.recipients) == (1, 2, 3)
    new = ledger.campaign("sms", "promo-2027")
    assert (new.sent, new.unknown, new.identities) == ({"+1", "+2"}, {"+3"}, {"id1"})
    assert not ledger.campaign("sms", "promo").batches
    assert store.get_meta("ledger-content:sms:promo-2027:id1") == '{"text": "hi"}'
    assert store.get_meta("ledger-content:sms:promo:id1") is None
    assert store.get_binding("mail", "Campaign", "promo-2027").remote_id == "77"
    assert json.loads(store.get_meta(PROTECTED_META)) == ["mail:Campaign/promo-2027",
                                                          "mail:Sender/x"]
    assert move(store, "OptOutList", "stop", "stop-sms").optouts == 1
    assert OptOutMemory(store).recorded("sms", "stop-sms") == {"+9"}
    assert store.lock_info() is None  # the lock was taken and given back


def test_a_refused_move_changes_nothing(store):
    ledger = SendLedger(store)
    ledger.sent(ledger.begin("sms", "a", "id1", ["+1"]), "t1")
    ledger.sent(ledger.begin("sms", "b", "id1", ["+2"]), "t2")
    with pytest.raises(CampaignctlError, match="Campaign/b is already in the state"):
        move(store, "Campaign", "a", "b")
    with pytest.raises(CampaignctlError, match="Campaign/zzz is not in the state"):
        move(store, "Campaign", "zzz", "c")
    assert ledger.campaign("sms", "a").sent == {"+1"}
    assert ledger.campaign("sms", "b").sent == {"+2"}
