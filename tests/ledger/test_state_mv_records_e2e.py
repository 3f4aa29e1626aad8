"""`state mv` moves every record the state keeps per resource, found by iterating over the
typed records (state/records.py), not by key names: the record of what was applied
(`applied.manifests`) included, so after a rename a live edit is still told apart from a
manifest edit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from reconciler.state.move import move
from reconciler.state.records import APPLIED, RECORDS
from reconciler.state.store import Binding, SqliteStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adoption"))
from test_natural_key_identity_e2e import apply, cli, dashboard, workspace  # noqa: E402


def test_every_per_resource_record_moves(tmp_path):
    store = SqliteStore(tmp_path / "state.db")
    try:
        store.put_binding(Binding("mail", "Sender", "news", "s1"))
        store.set_meta("applied.manifests", json.dumps({"mail:Sender/news": "d1",
                                                        "mail:Sender/other": "d2"}))
        moved = move(store, "Sender", "news", "newsletter")
        assert moved.bindings == 1
        assert APPLIED.read(store) == {"mail:Sender/newsletter": "d1", "mail:Sender/other": "d2"}
        for record in RECORDS:  # nothing left under the old name, in any record
            assert record.held(store, "Sender", "news") == 0, record.what
    finally:
        store.close()


def test_renamed_sender_edited_live_is_drift_after_state_mv(tmp_path, sandbox_server):
    ws = workspace(tmp_path, sandbox_server)
    apply("--auto-approve", str(ws))
    for name in ("senders.yaml", "campaigns.yaml"):
        path = ws / name
        path.write_text(path.read_text().replace("name: newsletter", "name: news")
                        .replace("sender: newsletter", "sender: news"))
    moved = cli("state", "mv", "Sender/newsletter", "Sender/news", str(ws))
    assert moved.returncode == 0, moved.stdout + moved.stderr

    async def edit(client):
        (sender,) = await client.list_senders()
        from reconciler.providers.email_campaigns.client import oid
        await client.update_sender(oid(sender), "Edited in the dashboard", sender["email"])
    dashboard(sandbox_server, edit)

    plan = cli("plan", str(ws))
    line = next(x for x in plan.stdout.splitlines() if "Sender/news" in x)
    assert line.startswith("~ update Sender/news (mail) [changed outside campaignctl]"), \
        plan.stdout
    assert "Campaign/spring-sale" not in plan.stdout
