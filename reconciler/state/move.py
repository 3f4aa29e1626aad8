"""`campaignctl state mv KIND/OLD KIND/NEW`: a manifest was renamed, and what the state
knows under the old name moves to the new one, so the next plan sees the same resource
(not a new one to create or send again). Bindings, the send ledger (batches, recipients
and the content they were sent with), remembered opt-outs and the prevent_destroy record
(and the vendor events received for a campaign) move in one transaction, under the apply
lock."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from reconciler.errors import CampaignctlError
from reconciler.state.store import Store
from reconciler.words import plural


@dataclass
class Moved:
    bindings: int = 0
    batches: int = 0
    recipients: int = 0
    optouts: int = 0

    @property
    def total(self) -> int:
        return self.bindings + self.batches + self.optouts


def _count(db: Store, sql: str, args: tuple) -> int:
    return db.execute(sql, args).fetchone()[0]


def held_under(db: Store, kind: str, name: str) -> Moved:
    """What the state holds under KIND/NAME (every account)."""
    out = Moved(bindings=_count(db, "SELECT count(*) FROM bindings WHERE kind=? AND name=?",
                                (kind, name)))
    if kind == "Campaign":
        out.batches = _count(db, "SELECT count(*) FROM ledger_batches WHERE campaign=?", (name,))
        out.recipients = _count(db, "SELECT count(*) FROM ledger_recipients WHERE campaign=?",
                                (name,))
    if kind == "OptOutList":
        out.optouts = _count(db, "SELECT count(*) FROM optouts WHERE list=?", (name,))
    return out


def move(store: Store, kind: str, old: str, new: str) -> Moved:
    if old == new:
        raise CampaignctlError(f"{kind}/{old}: the old and the new name are the same")
    with store.locked(), store.transaction() as db:
        there = held_under(db, kind, new)
        if there.total:
            raise CampaignctlError(
                f"{kind}/{new} is already in the state ({describe(there)}); refusing to merge "
                "what two resources hold (a send ledger is never dropped or mixed)")
        moved = held_under(db, kind, old)
        if not moved.total:
            raise CampaignctlError(f"{kind}/{old} is not in the state (no binding"
                                   + (", no send ledger" if kind == "Campaign" else "")
                                   + (", no remembered opt-outs" if kind == "OptOutList" else "")
                                   + ")")
        db.execute("UPDATE bindings SET name=? WHERE kind=? AND name=?", (new, kind, old))
        if kind == "Campaign":
            db.execute("UPDATE ledger_batches SET campaign=? WHERE campaign=?", (new, old))
            db.execute("UPDATE ledger_recipients SET campaign=? WHERE campaign=?", (new, old))
            db.execute("UPDATE callback_events SET campaign=? WHERE campaign=?", (new, old))
            # The content each batch was sent with (sending/sendonly.py's key).
            pattern = re.compile(r"^ledger-content:(.*):" + re.escape(old) + r":([^:]+)$")
            for key, value in db.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                                         ("ledger-content:%",)).fetchall():
                m = pattern.match(key)
                if m:
                    db.execute("DELETE FROM meta WHERE key=?", (key,))
                    db.set_meta(f"ledger-content:{m.group(1)}:{new}:{m.group(2)}", value)
        if kind == "OptOutList":
            db.execute("UPDATE optouts SET list=? WHERE list=?", (new, old))
        from reconciler.engine.safety import PROTECTED_META  # keys "account:KIND/NAME"

        raw = db.get_meta(PROTECTED_META)
        if raw:
            suffix = f":{kind}/{old}"
            keys = [k[: -len(suffix)] + f":{kind}/{new}" if k.endswith(suffix) else k
                    for k in json.loads(raw)]
            db.set_meta(PROTECTED_META, json.dumps(sorted(keys)))
        return moved


def describe(m: Moved) -> str:
    parts = [plural(m.bindings, "binding")] if m.bindings or not m.total else []
    if m.batches:
        parts.append(f"{plural(m.batches, 'send-ledger batch')} "
                     f"({plural(m.recipients, 'recipient')})")
    if m.optouts:
        parts.append(plural(m.optouts, "remembered opt-out"))
    return ", ".join(parts)
