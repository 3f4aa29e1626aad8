"""First apply against a floor: `campaignctl apply` next to a minimal reference client that
makes the same writes.

    python benchmarks/apply_reference.py [--resources 2000] [--contacts 10000]
                                         [--latency 0.02] [--parallelism 10]
                                         [--before DIR] [--rounds 1]

The workspace is scale_reference's (email-campaigns senders, contact groups from CSV files,
messages and campaigns, plus 200 scheduled-campaigns campaigns), served by the sandbox over
real HTTP on 127.0.0.1 with `--latency` seconds injected into every vendor request. In one
run, each in its own sandbox and workspace:

- `campaignctl apply --auto-approve` of every create (`--parallelism N`), then a second
  apply that must write nothing;
- the reference client: httpx and asyncio, the same writes with the request shapes of
  the vendor docs (shared/api-docs: POST /email/senderid/, /email/contact/ then its
  bulk/replace/ CSV, /email/message/, /email/campaign/ reusing them; POST /campaign as a
  DRAFT then PUT it SCHEDULED), at the same concurrency (N in all, 8 per account: the
  accounts' default max_concurrency), each campaign only after its sender, message and
  group (with its contacts) are created;
- with `--before DIR` (e.g. /work/before-29), the same apply by the code in DIR.

Printed: walls, campaignctl / reference ratio, write counts of each and their request
shapes (counted at the sandbox's journal), and the second apply's writes. With `--rounds`
above 1, the steps alternate and the medians are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_reference import (  # noqa: E402
    ROOT,
    Sandbox,
    byte_compile,
    cli,
    generate,
    run_measured,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ACCOUNT_CONCURRENCY = 8  # what each account allows when campaignctl.yaml does not say
API_ZONES = {"America/New_York": "EST5EDT", "America/Chicago": "CST6CDT",
             "America/Denver": "MST7MDT", "America/Los_Angeles": "PST8PDT"}


# -- the reference client ---------------------------------------------------------------------

def manifests(ws: Path) -> list[dict]:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe").load_all((ws / "all.yaml").read_text()) if d]


def reference(ws: Path, url: str, parallelism: int) -> int:
    """The floor: the same creates, in the same order constraints, nothing else."""
    began = time.perf_counter()
    docs = manifests(ws)
    print(f"manifests read in {time.perf_counter() - began:.2f} s")
    key = os.environ["BENCH_KEY"]
    by_kind: dict[str, list[dict]] = {}
    for d in docs:
        by_kind.setdefault(f"{d['provider']}:{d['kind']}", []).append(d)

    def contacts_csv(file: str) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("name", "email"))
        with open(ws / file, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                name = f"{row.get('first_name', '').strip()} {row.get('last_name', '').strip()}"
                writer.writerow((name.strip(), row["email"].strip().lower()))
        return out.getvalue().encode()

    async def go() -> None:
        everyone = asyncio.Semaphore(parallelism)
        per_account = {"mail": asyncio.Semaphore(ACCOUNT_CONCURRENCY),
                       "sched": asyncio.Semaphore(ACCOUNT_CONCURRENCY)}
        async with httpx.AsyncClient(base_url=url, timeout=120, headers={
                "Authorization": f"Token {key}"}) as mail, httpx.AsyncClient(
                base_url=url, timeout=120, headers={"Authorization": f"Bearer {key}"}) as sched:

            async def call(account, client, method, path, **kw) -> dict:
                # The account's slot first: a request waiting for its account never holds
                # one of the N slots another account could use.
                async with per_account[account], everyone:
                    r = await client.request(method, path, **kw)
                    r.raise_for_status()
                    return r.json() if r.content else {}

            def oid(obj: dict) -> str:
                return obj["$_id"]["$oid"]

            async def sender(d):
                s = d["spec"]
                return oid(await call("mail", mail, "POST", "/email/senderid/", json={
                    "description": s["description"], "email": s["email"]}))

            async def group(d):
                s = d["spec"]
                gid = oid(await call("mail", mail, "POST", "/email/contact/",
                                     json={"tag": s["title"]}))
                await call("mail", mail, "POST", f"/email/contact/bulk/replace/?_id={gid}",
                           data={"name_index": "0", "email_index": "1"},
                           files={"csv_file": ("contacts.csv", contacts_csv(s["file"]),
                                               "text/csv")})
                return gid

            async def message(d):
                s = d["spec"]
                return oid(await call("mail", mail, "POST", "/email/message/", json={
                    "description": s["subject"], "email_message": s["body"]}))

            made: dict[str, asyncio.Task] = {}
            for kind, make in (("Sender", sender), ("ContactGroup", group),
                               ("Message", message)):
                for d in by_kind.get(f"mail:{kind}", []):
                    made[f"{kind}/{d['name']}"] = asyncio.ensure_future(make(d))

            async def campaign(d):
                s = d["spec"]
                sid, mid, gid = await asyncio.gather(
                    made[f"Sender/{s['sender']}"], made[f"Message/{s['message']}"],
                    made[f"ContactGroup/{s['contact_groups'][0]}"])
                when = datetime.fromisoformat(str(s["send_at"])).astimezone(
                    ZoneInfo(s["timezone"]))
                attributes = {
                    "message": {"source": "reuse", "_id": {"$oid": mid}},
                    "contact_group": {"type": "reuse", "_id": {"$oid": gid}},
                    "schedule": {"name": s.get("title") or d["name"],
                                 "start_date": f"{when:%Y-%m-%d %H:%M}",
                                 "timezone": API_ZONES[s["timezone"]],
                                 "sender_id": {"$oid": sid}}}
                await call("mail", mail, "POST", "/email/campaign/",
                           files={"attributes": (None, json.dumps(attributes))})

            async def scheduled(d):
                s = d["spec"]
                o = s["scheduled-campaigns"]
                when = int(datetime.fromisoformat(str(s["send_at"])).timestamp())
                segments = [("segments[]", str(i)) for i in o["segments"]]
                created = await call("sched", sched, "POST", "/campaign", headers=FORM,
                                     content=urlencode([
                                         ("name", s["title"]), ("domain", str(o["domain"])),
                                         ("list", str(o["list"])), ("when", str(when)),
                                         *segments, ("state", "DRAFT")]))
                await call("sched", sched, "PUT", f"/campaign/{created['id']}", headers=FORM,
                           content=urlencode([*segments, ("state", "SCHEDULED")]))

            await asyncio.gather(*made.values(),
                                 *(campaign(d) for d in by_kind.get("mail:Campaign", [])),
                                 *(scheduled(d) for d in by_kind.get("sched:Campaign", [])))

    asyncio.run(go())
    return 0


# -- measuring ---------------------------------------------------------------------------------

def shapes(server) -> Counter:
    """The writes of the sandbox's journal since it was cleared, by method, path (ids
    dropped) and form field names."""
    journal = server.get("/_sandbox/requests").json()
    return Counter((e["method"], re.sub(r"/\d+$", "/ID", e["path"]),
                    ",".join(sorted({k for k, _ in e.get("form") or []})))
                   for e in journal if e["method"] not in ("GET", "HEAD"))


def one_run(label: str, code: Path | None, args, tmp: Path) -> dict:
    """A fresh sandbox and workspace; campaignctl's two applies (code) or the reference."""
    ws = tmp / f"ws-{label}"
    ws.mkdir()
    sandbox = Sandbox(tmp / f"sandbox-{label}", args.latency)
    try:
        generate(ws, sandbox.url, args.resources, args.contacts)
        if code is None:
            m = run_measured([sys.executable, __file__, "--reference", str(ws), sandbox.url,
                              str(args.parallelism)])
            got = shapes(sandbox.server)
            sandbox.requests()
            return {"wall": m["wall"], "code": m["code"], "err": m["err"][-400:],
                    "writes": sum(got.values()), "shapes": got, "note": m["out"].strip()}
        extra = ["--parallelism", str(args.parallelism)] if label == "after" else []
        m = run_measured(cli(code, "apply", str(ws), "--auto-approve", *extra),
                         env={"CI": "true"})
        got = shapes(sandbox.server)
        reads, _ = sandbox.requests()
        again = run_measured(cli(code, "apply", str(ws), "--auto-approve", *extra),
                             env={"CI": "true"})
        return {"wall": m["wall"], "code": m["code"], "err": (m["err"] or m["out"])[-400:],
                "writes": sum(got.values()), "reads": reads, "shapes": got,
                "again_writes": sandbox.requests()[1], "again_wall": again["wall"],
                "again_code": again["code"]}
    finally:
        sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before", type=Path, help="source tree of the code to compare with")
    parser.add_argument("--reference", nargs=3, metavar=("WORKSPACE", "URL", "N"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        return reference(Path(args.reference[0]), args.reference[1], int(args.reference[2]))
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); "
          f"{args.resources} resources, {args.contacts:,} contacts, latency "
          f"{args.latency * 1000:.0f} ms per request, parallelism {args.parallelism}")
    runs: list[tuple[str, Path | None]] = [("after", ROOT), ("reference", None)]
    if args.before:
        runs.append(("before", args.before.resolve()))
    byte_compile(code for _, code in runs if code is not None)
    results: dict[str, list[dict]] = {label: [] for label, _ in runs}
    for n in range(args.rounds):
        for label, code in runs if n % 2 == 0 else runs[::-1]:
            with tempfile.TemporaryDirectory() as tmp:
                r = one_run(label, code, args, Path(tmp))
            results[label].append(r)
            fail = f"  EXIT {r['code']}: {r['err']}" if r["code"] not in (0,) else ""
            again = (f", second apply {r['again_writes']} writes ({r['again_wall']:.2f} s)"
                     if "again_writes" in r else "")
            note = f" ({r['note']})" if r.get("note") else ""
            print(f"  round {n + 1} {label:<10} {r['wall']:8.2f} s  {r['writes']:5d} writes"
                  f"{again}{note}{fail}", flush=True)
    median = {label: statistics.median(r["wall"] for r in rs) for label, rs in results.items()}
    ref = median["reference"]
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    for label in results:
        last = results[label][-1]
        print(f"  {label:<10} median {median[label]:7.2f} s  ratio to reference "
              f"{median[label] / ref:5.2f}  writes {last['writes']}"
              + (f"  second apply writes {last['again_writes']}" if "again_writes" in last
                 else ""))
    same = results["after"][-1]["shapes"] == results["reference"][-1]["shapes"]
    print(f"  request shapes of campaignctl and the reference: {'the same' if same else 'DIFFER'}")
    if not same:
        for key in sorted(set(results["after"][-1]["shapes"])
                          | set(results["reference"][-1]["shapes"])):
            print(f"    {key}: campaignctl {results['after'][-1]['shapes'][key]}, "
                  f"reference {results['reference'][-1]['shapes'][key]}")
    print(json.dumps({label: {"median_wall": round(median[label], 2),
                              "ratio": round(median[label] / ref, 2),
                              "writes": rs[-1]["writes"],
                              "second_apply_writes": rs[-1].get("again_writes")}
                      for label, rs in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
