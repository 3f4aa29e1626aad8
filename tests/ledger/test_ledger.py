import pytest

from reconciler.state.ledger import (
    NOT_SENT,
    REJECTED,
    RESENT,
    SENT,
    UNKNOWN,
    LedgerError,
    SendLedger,
    identity_of,
)
from reconciler.state.store import SqliteStore


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request, tmp_path):
    """The same guarantees on both state backends."""
    if request.param == "postgres":
        from reconciler.state.postgres import PostgresStore

        store = PostgresStore(request.getfixturevalue("postgres_dsn"))
    else:
        store = SqliteStore(tmp_path / "state.db")
    yield SendLedger(store)
    store.close()


def status(ledger, batch_id):
    return {b.id: b.status for b in ledger.batches("acc")}[batch_id]


def test_write_ahead_then_sent(ledger):
    b = ledger.begin("acc", "promo", "id1", ["+1", "+2"])
    view = ledger.campaign("acc", "promo")
    assert view.unknown == {"+1", "+2"} and not view.sent  # in flight counts as unknown
    ledger.sent(b, "sms_abc")
    view = ledger.campaign("acc", "promo")
    assert view.sent == {"+1", "+2"} and not view.unknown
    assert view.identities == {"id1"}
    assert ledger.batches("acc")[0].ticket == "sms_abc"


def test_a_recipient_can_never_be_recorded_twice(ledger):
    b = ledger.begin("acc", "promo", "id1", ["+1", "+2"])
    ledger.sent(b, "t")
    with pytest.raises(LedgerError):
        ledger.begin("acc", "promo", "id1", ["+3", "+2"])
    # Nothing of the refused batch was recorded.
    assert len(ledger.batches("acc")) == 1
    assert ledger.campaign("acc", "promo").holding == {"+1", "+2"}
    # Another campaign is another identity: the same person may get it.
    ledger.begin("acc", "other", "id2", ["+2"])


@pytest.mark.parametrize("finish,state", [("rejected", REJECTED), ("not_sent", NOT_SENT)])
def test_rejected_or_not_sent_frees_recipients_and_keeps_the_record(ledger, finish, state):
    b = ledger.begin("acc", "promo", "id1", ["+1", "+2"])
    getattr(ledger, finish)(b, "octopush: HTTP 400: Mention STOP is missing. (code 121)")
    view = ledger.campaign("acc", "promo")
    assert not view.holding and not view.identities
    assert view.batches[0].status == state and "STOP" in view.batches[0].error
    ledger.sent(ledger.begin("acc", "promo", "id2", ["+1", "+2"]), "t")  # a fixed retry


def test_unknown_is_held_and_only_taken_over_explicitly(ledger):
    b = ledger.begin("acc", "promo", "id1", ["+1", "+2"])
    ledger.unknown(b, "RemoteProtocolError")
    assert ledger.campaign("acc", "promo").unknown == {"+1", "+2"}
    with pytest.raises(LedgerError):
        ledger.begin("acc", "promo", "id1", ["+1"])
    b2 = ledger.begin("acc", "promo", "id1", ["+1"], take_over_unknown=True)
    assert status(ledger, b) == UNKNOWN  # +2 still there
    b3 = ledger.begin("acc", "promo", "id1", ["+2"], take_over_unknown=True)
    assert status(ledger, b) == RESENT
    ledger.sent(b2, "t2")
    ledger.sent(b3, "t3")
    assert ledger.campaign("acc", "promo").sent == {"+1", "+2"}
    # A sent recipient is never taken over, even with the flag.
    with pytest.raises(LedgerError):
        ledger.begin("acc", "promo", "id1", ["+1"], take_over_unknown=True)


def test_in_flight_left_by_a_dead_run_expires_to_unknown(ledger):
    b = ledger.begin("acc", "promo", "id1", ["+1"])
    assert ledger.expire_in_flight("acc", "promo") == 1
    assert status(ledger, b) == UNKNOWN
    assert "in flight" in ledger.batches("acc")[0].error


def test_group_commit_isolates_a_failing_op(ledger):
    first = ledger.begin("acc", "promo", "id1", ["+1"])
    results = ledger.group([("finish", first, SENT, "t", None),
                            ("begin", "acc", "promo", "id1", ["+1"], False),
                            ("begin", "acc", "promo", "id1", ["+2"], False)])
    assert results[0] is None and isinstance(results[1], LedgerError)
    assert isinstance(results[2], int)
    view = ledger.campaign("acc", "promo")
    assert view.sent == {"+1"} and view.unknown == {"+2"}


def test_identity_ignores_key_order():
    assert identity_of({"a": 1, "b": 2}) == identity_of({"b": 2, "a": 1})
    assert identity_of({"a": 1}) != identity_of({"a": 2})
