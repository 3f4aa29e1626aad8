"""`campaignctl state ledger unknown`: the send ledger's batches of unknown outcome, each a
row (account, vendor, campaign, batch, status, recipients, ticket, times, why), for a
person (with what to ask the vendor) or as JSON."""

from __future__ import annotations

import json
from typing import Any

from reconciler.words import plural


def render_unknown_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No batch has an unknown outcome."
    out = []
    for row in rows:
        out.append(f"batch {row['batch']}: Campaign/{row['campaign']} on {row['account']} "
                   f"({row['vendor']}), {plural(row['recipients'], 'recipient')}, "
                   f"{row['status']}")
        out.append(f"  requested at {row['requested_at']} (last update {row['updated_at']})"
                   + (f", ticket {row['ticket']}" if row["ticket"] else ", no ticket"))
        if row["note"]:
            out.append(f"  why unknown: {row['note']}")
        out.append(f"  check with {row['vendor']}: was a send of "
                   f"{plural(row['recipients'], 'recipient')} accepted on account "
                   f"{row['account']} around {row['requested_at']}?")
    out.append(f"{plural(len(rows), 'batch')}. When you know: `campaignctl state ledger settle "
               "BATCH --sent` (they received it: never sent again) or `--not-sent` (the "
               "next apply sends to them).")
    return "\n".join(out)


#: `state ledger unknown --format json` (schemas/ledger-unknown.schema.json)
LEDGER_FORMAT_VERSION = 1


def render_unknown_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps({"format_version": LEDGER_FORMAT_VERSION, "unknown_batches": rows},
                      indent=2)
