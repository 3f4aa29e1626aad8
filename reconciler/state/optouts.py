"""Opt-outs remembered for send-only accounts (Octopush, Connectly).

Those APIs hold no opt-out list we could read back: the only record of who opted out is
what campaignctl applied. So every address an OptOutList ever listed is kept here, per
account and list, and stays in force when it disappears from the manifest or its CSV (an
old CSV restored, a line deleted by mistake). Only an explicit `opt_in:` entry removes one,
the same rule as the email-campaigns account's live opt-outs.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from reconciler.state.store import Store


class OptOutMemory:
    def __init__(self, store: Store):
        self.store = store

    def recorded(self, account: str, list_name: str) -> set[str]:
        return {row[0] for row in self.store.execute(
            "SELECT address FROM optouts WHERE account=? AND list=?", (account, list_name))}

    def apply(self, account: str, list_name: str, add: Iterable[str],
              remove: Iterable[str]) -> None:
        """Remember `add` (none of them remembered yet: the caller diffed under the apply
        lock) and forget `remove` (explicit opt-ins), in one transaction."""
        now = time.time()
        with self.store.transaction() as db:
            for address in remove:
                db.execute("DELETE FROM optouts WHERE account=? AND list=? AND address=?",
                           (account, list_name, address))
            db.insert_rows("optouts", [(account, list_name, a, now) for a in add])
