"""`campaignctl state migrate`: a workspace that sent from a laptop (SQLite) moves to the
team's PostgreSQL without losing what it sent: after the move nothing is planned again."""

from __future__ import annotations

from conftest import run_cli
from send_helpers import sms_workspace

from reconciler.state.ledger import SendLedger
from reconciler.state.migrate import migrate
from reconciler.state.postgres import PostgresStore
from reconciler.state.store import Binding, SqliteStore

STATE = "state:\n  backend: postgres\n  dsn: ${CAMPAIGNCTL_STATE_DSN}\n"


def test_migrate_moves_the_send_ledger_so_nothing_is_sent_again(
        tmp_path, sandbox_server, postgres_dsn):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 1_200, batch_size=500)
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()["total"]
    assert delivered == 1_200

    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text() + STATE)
    env = {"CAMPAIGNCTL_STATE_DSN": postgres_dsn}
    # Switching the backend alone would forget the ledger: the empty state is refused.
    lineage = (ws / "campaignctl.lineage").read_text().split()[-1]
    before = run_cli("plan", str(ws), "--detailed-exitcode", env=env)
    assert before.returncode == 1 and "is empty" in before.stderr, before.stdout + before.stderr
    assert lineage in before.stderr and "state migrate" in before.stderr

    moved = run_cli("state", "migrate", str(ws), env=env)
    assert moved.returncode == 0, moved.stderr
    assert "3 send-ledger batches (1,200 recipients)" in moved.stdout
    assert f"lineage {lineage}" in moved.stdout and "marked as migrated" in moved.stdout
    assert "postgresql://campaignctl@127.0.0.1:" in moved.stdout
    password = postgres_dsn.split(":")[2].split("@")[0]
    assert password not in moved.stdout + moved.stderr

    after = run_cli("plan", str(ws), "--detailed-exitcode", env=env)
    assert after.returncode == 0 and "No changes" in after.stdout, after.stdout
    assert run_cli("apply", str(ws), "--auto-approve", env=env).returncode == 0
    assert sandbox_server.get("/_sandbox/octopush/deliveries").json()["total"] == delivered

    # A second migrate finds its own copy: done already, nothing written.
    again = run_cli("state", "migrate", str(ws), env=env)
    assert again.returncode == 0 and "already done" in again.stdout, again.stderr
    assert "1,200 recipients" in again.stdout
    # The SQLite source refuses to apply from now on, naming where it went.
    config.write_text(config.read_text().replace(STATE, ""))
    old = run_cli("apply", str(ws), "--auto-approve")
    assert old.returncode == 1 and "was migrated to postgresql://" in old.stderr, old.stderr
    assert sandbox_server.get("/_sandbox/octopush/deliveries").json()["total"] == delivered
    config.write_text(config.read_text() + STATE)
    # A file that is not a state is refused without being touched.
    other = ws / "customers.csv"
    before = other.read_bytes()
    wrong = run_cli("state", "migrate", str(ws), "--from", str(other), env=env)
    assert wrong.returncode == 1 and "is not a campaignctl SQLite state" in wrong.stderr
    assert "Traceback" not in wrong.stderr and other.read_bytes() == before


def test_migrate_keeps_every_batch_status_and_binding(tmp_path, postgres_dsn):
    source = SqliteStore(tmp_path / "state.db")
    ledger = SendLedger(source)
    sent = ledger.begin("sms", "promo", "id1", ["+1", "+2"])
    ledger.sent(sent, "ticket-1")
    ledger.unknown(ledger.begin("sms", "promo", "id1", ["+3"]), "ReadTimeout")
    ledger.rejected(ledger.begin("sms", "promo", "id1", ["+4"]), "HTTP 400")
    ledger.begin("wa", "launch", "id2", ["+5"])  # left in flight by a run that died
    source.put_binding(Binding("mail", "Campaign", "spring", "77", "d", {"since": 1}))
    source.set_meta("fingerprint", "abc")
    target = PostgresStore(postgres_dsn)
    try:
        moved = migrate(source, target)
        assert (moved.bindings, moved.batches, moved.recipients) == (1, 4, 4)
        for account in ("sms", "wa"):
            old, new = SendLedger(source).account(account), SendLedger(target).account(account)
            assert old.keys() == new.keys()
            for name in old:
                assert (old[name].sent, old[name].unknown, old[name].identities) == (
                    new[name].sent, new[name].unknown, new[name].identities)
                assert ([(b.status, b.recipients, b.ticket, b.error) for b in old[name].batches]
                        == [(b.status, b.recipients, b.ticket, b.error)
                            for b in new[name].batches])
        assert target.get_binding("mail", "Campaign", "spring").data == {"since": 1}
        assert target.get_meta("fingerprint") == "abc"
        assert target.lock_info() is None and source.lock_info() is None
    finally:
        source.close()
        target.close()
