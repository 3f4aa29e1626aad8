"""What frequency caps cost a plan: a second SMS campaign to the N US numbers (half in
Florida) a first campaign already reached, planned against the sandbox served over real
HTTP, with the pack's caps in force (every recipient has history, so each is checked)
and with them waived (the caps pass returns at once).

    python benchmarks/frequency_caps.py [--contacts 100000] [--repeat 3]

Prints the best wall time of each plan, the difference, and how many recipients the caps
held back (none: two messages are under every cap).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import SandboxServer, sandbox_accounts, write_workspace  # noqa: E402

from reconciler import api  # noqa: E402

NOON = datetime(2027, 3, 23, 16, tzinfo=UTC)
WAIVE = """policy:
  waive:
""" + "".join(f"    - {{rule: {n}, reason: benchmark}}\n"
              for n in ("us-fl-frequency", "us-ok-frequency", "us-md-frequency"))


def campaign(name: str) -> str:
    return f"""
---
kind: Campaign
name: {name}
provider: sms
spec:
  message: promo
  sender: acme
  contact_groups: [people]
  send_at: now
  octopush: {{purpose: wholesale, batch_size: 500}}
"""


def workspace(root: Path, url: str, names: list[str], policy: str = "") -> Path:
    write_workspace(root, {
        "campaignctl.yaml": f"""
providers:
  sms: {{type: octopush, base_url: "{url}", api_login: "${{TEST_LOGIN}}", api_key: "${{TEST_KEY_123}}"}}
""" + policy,
        "sms.yaml": """
kind: Sender
name: acme
provider: sms
spec: {sms_id: ACME}
---
kind: Message
name: promo
provider: sms
spec: {channel: sms, text: "Acme: 20% off. STOP au 36111"}
---
kind: ContactGroup
name: people
provider: sms
spec: {file: people.csv}
""" + "".join(campaign(n) for n in names),
    })
    return sandbox_accounts(root)


def best_plan(ws: Path, repeat: int) -> tuple[float, int]:
    times, held = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        plan = api.plan(ws, now=NOON + timedelta(hours=1)).plan
        times.append(time.perf_counter() - start)
        held = sum(r["held_back"] for a in plan.actions for r in a.data.get("frequency", []))
    return min(times), held


def main() -> int:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("TEST_LOGIN", "login")
    os.environ.setdefault("TEST_KEY_123", "key-123")
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        server = SandboxServer(tmp / "sandbox").start()
        try:
            ws = tmp / "ws"
            workspace(ws, server.url, ["first"])
            codes = ("305", "212")  # Miami (a cap applies), New York (none does)
            (ws / "people.csv").write_text("phone\n" + "".join(
                f"+1{codes[i % 2]}{2000000 + i // 2}\n" for i in range(args.contacts)))
            outcome = api.apply(ws, now=NOON, clock=lambda: NOON)
            assert outcome.result is not None and outcome.result.ok, outcome.result
            workspace(ws, server.url, ["first", "second"])
            with_caps, held = best_plan(ws, args.repeat)
            workspace(ws, server.url, ["first", "second"], WAIVE)
            without, _ = best_plan(ws, args.repeat)
        finally:
            server.stop()
    print(f"second campaign to {args.contacts} recipients who all got the first "
          f"(best of {args.repeat}):")
    print(f"  plan with the pack's caps: {with_caps:.2f} s (held back: {held})")
    print(f"  plan with the caps waived: {without:.2f} s")
    print(f"  the caps pass:             {with_caps - without:+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
