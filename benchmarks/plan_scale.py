"""Plan and apply at scale against the sandbox (in-process emulator, `base_url: sandbox`).

    python benchmarks/plan_scale.py [--resources 500] [--contacts 200000]
                                    [--state sqlite|postgres]

Part 1, the example workspace's email-campaigns part: API calls of plan, apply, plan again
and a second apply. Part 2, a generated email-campaigns workspace of N resources (senders,
contact groups sharing the contacts as CSV files, messages, campaigns): wall time and API
calls of the first plan, the apply, and the no-change plan after it. `--state postgres`
keeps the state in a throwaway PostgreSQL server (benchmarks/pgstate.py).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pgstate import state_backend, state_config

from reconciler import api

ROOT = Path(__file__).resolve().parents[1]
#: the postal address every marketing email shows, and its footer (the pack's CAN-SPAM rules)
POLICY = 'policy: {email: {postal_address: "Acme Inc., 1 Main St, Springfield"}}\n'
FOOTER = "Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"
CONFIG = POLICY + "providers:\n  mail:\n    type: email-campaigns\n    base_url: sandbox\n"
EMAIL_FILES = ("campaigns.yaml", "groups.yaml", "messages.yaml", "optouts.yaml",
               "senders.yaml", "subscribers.csv")


def generate(ws: Path, resources: int, contacts: int, state: str) -> dict[str, int]:
    n = resources // 5  # senders, groups, messages: n each; campaigns: 2n
    docs = []
    for i in range(n):
        docs.append(f"kind: Sender\nname: s{i}\nprovider: mail\n"
                    f"spec: {{email: sender{i}@acme.example, description: Sender {i}}}\n")
        docs.append(f"kind: ContactGroup\nname: g{i}\nprovider: mail\n"
                    f"spec: {{title: Group {i}, file: g{i}.csv}}\n")
        docs.append(f"kind: Message\nname: m{i}\nprovider: mail\n"
                    f"spec: {{channel: email, subject: Subject {i}, body: 'Body {i}. {FOOTER}'}}\n")
    for i in range(resources - 3 * n):
        docs.append(f"kind: Campaign\nname: c{i}\nprovider: mail\nspec:\n"
                    f"  title: Campaign {i}\n  message: m{i % n}\n  sender: s{i % n}\n"
                    f"  contact_groups: [g{i % n}]\n"
                    f"  send_at: 2030-03-{1 + i % 28:02d}T{9 + i % 8:02d}:00:00-05:00\n"
                    "  timezone: America/New_York\n")
    (ws / "campaignctl.yaml").write_text(CONFIG + state_config(state, "scale"))
    (ws / "all.yaml").write_text("---\n".join(docs))
    per_group = contacts // n
    for g in range(n):
        with open(ws / f"g{g}.csv", "w") as fh:
            fh.write("email,first_name,last_name\n")
            for i in range(per_group):
                fh.write(f"user{g}.{i}@example.com,First{i},Last{i}\n")
    return {"resources": len(docs), "contacts": per_group * n}


def timed(label: str, fn):
    start = time.perf_counter()
    outcome = fn()
    wall = time.perf_counter() - start
    changes = len(outcome.plan.changes)
    print(f"  {label:<22} {wall:7.2f} s   {outcome.reads:5d} reads  {outcome.writes:5d} writes"
          f"   {changes} change(s) planned")
    return outcome


def example(state: str) -> None:
    print("Example workspace (email-campaigns part):")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        for name in EMAIL_FILES:
            shutil.copy(ROOT / "campaigns" / name, ws / name)
        (ws / "campaignctl.yaml").write_text(CONFIG + state_config(state, "example"))
        timed("plan", lambda: api.plan(ws))
        timed("apply", lambda: api.apply(ws))
        timed("plan again", lambda: api.plan(ws))
        timed("apply again", lambda: api.apply(ws))


def scale(resources: int, contacts: int, state: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        made = generate(ws, resources, contacts, state)
        print(f"\nGenerated: {made['resources']} resources, {made['contacts']:,} contacts")
        timed("plan (all creates)", lambda: api.plan(ws))
        outcome = timed("apply", lambda: api.apply(ws))
        if outcome.result is not None and not outcome.result.ok:
            print("  apply failed:", outcome.result.failed[:3])
        timed("plan (no changes)", lambda: api.plan(ws))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--skip-example", action="store_true")
    parser.add_argument("--state", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()
    print(f"state: {args.state}")
    with state_backend(args.state):
        if not args.skip_example:
            example(args.state)
        scale(args.resources, args.contacts, args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
