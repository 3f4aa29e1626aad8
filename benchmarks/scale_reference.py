"""Plan and apply at scale against a floor: `campaignctl` next to a minimal reference client.

    python benchmarks/scale_reference.py [--contacts 10000,100000,1000000]
                                         [--resources 2000] [--latency 0.02]
                                         [--before DIR] [--skip-apply] [--rounds K]
                                         [--setup-latency SECONDS]

For each contact count: a workspace of `--resources` resources (email-campaigns senders,
contact groups with CSV files sharing the contacts, messages and campaigns, plus 200
scheduled-campaigns campaigns read by id), served by the sandbox over real HTTP on
127.0.0.1 with `--latency` seconds injected into every vendor request. Then, side by side:

- `campaignctl apply` (every create), a small edit (one group's CSV, one message) applied,
  and a second apply with nothing to do: peak RSS and the write count of each;
- `campaignctl plan` with nothing to change, and the reference client: the same
  unavoidable reads (5 listings, one GET per scheduled campaign) with httpx, the same CSV
  parsing (csv module, column indexes, validate's own email check, an email->name map per
  group) and the comparison. Walls, their ratio, peak RSS of each, request counts.

`--before DIR` runs the same steps with the code in DIR too (e.g. `git archive main`
unpacked), so before and after are measured in one run on the same machine. Peak RSS is
each process's own (wait4), not the sandbox's; on Linux the report adds the peak PSS of a
run's every process (a plan forks its CSV checks), sampled every 25 ms.

With `--skip-apply` (plan and reference only: neither writes), both codes plan against one
sandbox and workspace, set up by one first apply (at `--setup-latency`, default
`--latency`: `--setup-latency 0` uploads 10,000,000 contacts in minutes, and leaves the
same live objects and state as any apply), and `--rounds K` alternates K rounds of
[plan after, reference, plan before] (the order turned each round): the report gives the
median of each, and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import plan_scale  # noqa: E402

#: campaignctl.yaml takes credentials as ${VAR}; `sandbox serve` holds one built-in account
#: per vendor whose every credential is "sandbox" (any other is the vendor's 401).
os.environ.setdefault("BENCH_KEY", "sandbox")

SCHEDULED = 200  # scheduled-campaigns campaigns: one GET each (the API has no listing)


# -- the workspace ----------------------------------------------------------------------------

def generate(ws: Path, url: str, resources: int, contacts: int) -> dict[str, int]:
    """plan_scale's email-campaigns workspace, plus SCHEDULED scheduled-campaigns campaigns,
    both accounts served at `url`."""
    made = plan_scale.generate(ws, resources - SCHEDULED, contacts, "sqlite")
    docs = [f"kind: Campaign\nname: sc{i}\nprovider: sched\nspec:\n"
            f"  title: Scheduled {i}\n  send_at: 2030-01-15T09:00:00+01:00\n"
            "  state: scheduled\n"
            f"  scheduled-campaigns: {{list: {1 + i % 50}, segments: [3, 7], domain: 4}}\n"
            for i in range(SCHEDULED)]
    with open(ws / "all.yaml", "a") as fh:
        fh.write("---\n" + "---\n".join(docs))
    (ws / "campaignctl.yaml").write_text(
        "providers:\n"
        f"  mail: {{type: email-campaigns, base_url: '{url}', token: '${{BENCH_KEY}}'}}\n"
        f"  sched: {{type: scheduled-campaigns, base_url: '{url}', api_key: '${{BENCH_KEY}}'}}\n"
        "safety: {max_delete_percent: 100, max_update_percent: 100}\n" + plan_scale.POLICY)
    groups = (resources - SCHEDULED) // 5
    return {"resources": made["resources"] + SCHEDULED, "contacts": made["contacts"],
            "groups": groups}


def small_edit(ws: Path) -> None:
    """Three contacts of one group change (1 renamed, 1 removed, 1 added); one message body."""
    path = ws / "g0.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace("First0", "Renamed0")
    del lines[2]
    lines.append("newcomer@example.com,New,Comer\n")
    path.write_text("".join(lines))
    text = (ws / "all.yaml").read_text().replace("body: 'Body 0.", "body: 'Body 0 edited.", 1)
    (ws / "all.yaml").write_text(text)


# -- measuring a process -----------------------------------------------------------------------

def _tree_pss(pid: int) -> int:
    """KB of proportional set size (shared pages counted once) of `pid` and every process
    it forked, from /proc (0 where that cannot be read)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Like measured(), but reaps the child itself so the RSS is this process's alone; on
    Linux, `tree` is also the peak PSS of the process and any it forked (sampled every
    25 ms), as the memory a run takes in all."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})})
        peak, done = [0], threading.Event()

        def sample() -> None:
            while not done.wait(0.025):
                peak[0] = max(peak[0], _tree_pss(proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        if sys.platform == "linux":
            sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        return {"wall": wall, "rss": usage.ru_maxrss / 1024, "tree": peak[0] / 1024,
                "code": proc.returncode,
                "out": out.read().decode(errors="replace"),
                "err": err.read().decode(errors="replace")}


class Sandbox:
    """The emulator over real HTTP, with latency on every vendor request."""

    def __init__(self, data_dir: Path, latency: float):
        from conftest import SandboxServer
        self.server = SandboxServer(data_dir).start()
        self.url = self.server.url
        self.server.post("/_sandbox/faults", {"rules": [
            {"kind": "latency", "seconds": latency}]}).raise_for_status()

    def requests(self) -> tuple[int, int]:
        """(reads, writes) since the last call."""
        journal = self.server.get("/_sandbox/requests").json()
        httpx.delete(self.url + "/_sandbox/requests", timeout=30).raise_for_status()
        reads = sum(1 for e in journal if e["method"] in ("GET", "HEAD"))
        return reads, len(journal) - reads

    def stop(self) -> None:
        self.server.stop()


def byte_compile(codes) -> None:
    """Each code tree byte-compiled first, as `pip install` leaves a package: a machine that
    sets PYTHONDONTWRITEBYTECODE would otherwise compile every module on every run."""
    for code in codes:
        compileall.compile_dir(code / "reconciler", quiet=1)


def cli(code: Path, *args: str) -> list[str]:
    return [sys.executable, "-c",
            f"import sys; sys.path.insert(0, {str(code)!r}); sys.argv[0] = 'campaignctl'; "
            "from reconciler.cli import main; sys.exit(main())", *args]


# -- the reference client ---------------------------------------------------------------------

def reference(ws: Path, url: str, overlap: bool = False) -> int:
    """The floor: the same reads and CSV parsing as a no-change plan, nothing else.
    `overlap`: the CSVs are parsed in a worker thread while the reads are under way (a
    stronger floor where the reads' waiting hides part of the parsing)."""
    groups: dict[str, str] = {}  # title -> csv file
    for line in (ws / "all.yaml").read_text().split("---\n"):
        if line.startswith("kind: ContactGroup"):
            m = re.search(r"title: (.*?), file: (\S+)\}", line)
            groups[m.group(1)] = m.group(2)
    db = sqlite3.connect(ws / ".campaignctl" / "state.db")
    ids = [r[0] for r in db.execute(
        "SELECT remote_id FROM bindings WHERE account = 'sched' AND kind = 'Campaign'")]
    db.close()

    # The same email check as validate's (syntax, domain), as validate_memory's reference.
    from reconciler.contacts import ContactError, normalize_email

    def parse(file: str) -> dict[str, str]:
        out: dict[str, str] = {}
        with open(ws / file, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            cols = [h.strip().lower() for h in next(reader)]
            ie, i1, i2 = cols.index("email"), cols.index("first_name"), cols.index("last_name")
            for row in reader:
                try:
                    email = normalize_email(row[ie])
                except ContactError:
                    raise SystemExit(f"bad email in {file}") from None
                if email not in out:
                    out[email] = f"{row[i1].strip()} {row[i2].strip()}".strip()
        return out

    async def go() -> int:
        key = os.environ["BENCH_KEY"]
        headers = {"Authorization": f"Token {key}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=url, timeout=120) as mail, \
                httpx.AsyncClient(base_url=url, timeout=120,
                                  headers={"Authorization": f"Bearer {key}"}) as sched:
            gate = asyncio.Semaphore(8)

            async def get(client, path, **kw):
                async with gate:
                    r = await client.get(path, **kw)
                    r.raise_for_status()
                    return r.json()

            lists = [asyncio.ensure_future(get(mail, f"/email/{p}/", headers=headers))
                     for p in ("senderid", "optout", "contact", "message", "campaign")]
            one = [asyncio.ensure_future(get(sched, f"/campaign/{i}")) for i in ids]
            def parse_all() -> dict[str, dict[str, str]]:
                return {title: parse(file) for title, file in groups.items()}
            if overlap:
                desired, *results = await asyncio.gather(
                    asyncio.to_thread(parse_all), *lists, *one)
            else:
                desired = parse_all()
                results = await asyncio.gather(*lists, *one)
            differ = 0
            for g in results[2]:
                want = desired.get(g["tag"])
                have = {c["email"].lower(): c.get("name") or "" for c in g["contacts"]}
                differ += want != have
            return differ
    differ = asyncio.run(go())
    print(f"groups differing: {differ}")
    return 0 if differ == 0 else 1


# -- the report ---------------------------------------------------------------------------------

def row(label: str, m: dict, counts: tuple[int, int] | None = None) -> str:
    c = f"{counts[0]:5d} reads {counts[1]:5d} writes" if counts else ""
    ok = "" if m["code"] in (0, 2) else f"  EXIT {m['code']}: {(m['err'] or m['out'])[-300:]}"
    tree = f" (all processes {m['tree']:.0f} MB)" if m.get("tree") else ""
    return f"    {label:<24} {m['wall']:8.2f} s {m['rss']:7.0f} MB{tree}  {c}{ok}"


def one_code(label: str, code: Path, contacts: int, args, tmp: Path) -> dict:
    ws = tmp / f"ws-{label}"
    ws.mkdir()
    sandbox = Sandbox(tmp / f"sandbox-{label}", args.latency)
    try:
        made = generate(ws, sandbox.url, args.resources, contacts)
        print(f"  [{label}] {made['resources']} resources, {made['contacts']:,} contacts "
              f"in {made['groups']} CSV files (code: {code})")
        res: dict = {}
        m = run_measured(cli(code, "apply", str(ws), "--auto-approve"))
        res["apply"] = (m, sandbox.requests())
        print(row("apply (all creates)", *res["apply"]))
        m = run_measured(cli(code, "plan", str(ws)))
        res["plan"] = (m, sandbox.requests())
        print(row("plan (no changes)", *res["plan"]))
        m = run_measured([sys.executable, __file__, "--reference", str(ws), sandbox.url])
        res["reference"] = (m, sandbox.requests())
        print(row("reference client", *res["reference"]))
        print(f"    ratio plan / reference: {res['plan'][0]['wall'] / m['wall']:.2f}")
        if not args.skip_apply:
            small_edit(ws)
            m = run_measured(cli(code, "apply", str(ws), "--auto-approve"))
            res["edit"] = (m, sandbox.requests())
            print(row("apply (small edit)", *res["edit"]))
            m = run_measured(cli(code, "apply", str(ws), "--auto-approve"))
            res["again"] = (m, sandbox.requests())
            print(row("apply (nothing to do)", *res["again"]))
        return res
    finally:
        sandbox.stop()


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def plan_rounds(codes: list[tuple[str, Path]], contacts: int, args, tmp: Path) -> dict:
    """One sandbox and workspace set up once; K alternating rounds of each code's no-change
    plan and the reference; medians."""
    ws = tmp / "ws"
    ws.mkdir()
    sandbox = Sandbox(tmp / "sandbox", args.setup_latency)
    try:
        made = generate(ws, sandbox.url, args.resources, contacts)
        print(f"  {made['resources']} resources, {made['contacts']:,} contacts in "
              f"{made['groups']} CSV files")
        setup = run_measured(cli(codes[0][1], "apply", str(ws), "--auto-approve"))
        print(row(f"setup: apply at {args.setup_latency * 1000:.0f} ms", setup,
                  sandbox.requests()))
        if setup["code"] != 0:
            raise SystemExit("the setup apply failed")
        # The state records which CSVs were checked clean under a key of the checking code:
        # each code plans with the state its own apply leaves (the others' is not its own).
        states = {codes[0][0]: tmp / f"state-{codes[0][0]}.db"}
        state = ws / ".campaignctl" / "state.db"
        shutil.copy(state, states[codes[0][0]])
        for label, code in codes[1:]:
            m = run_measured(cli(code, "apply", str(ws), "--auto-approve"))
            print(row(f"setup: apply [{label}]", m, sandbox.requests()))
            states[label] = tmp / f"state-{label}.db"
            shutil.copy(state, states[label])
        sandbox.server.post("/_sandbox/faults", {"rules": [
            {"kind": "latency", "seconds": args.latency}]}).raise_for_status()
        steps = [(label, cli(code, "plan", str(ws))) for label, code in codes]
        steps.append(("reference", [sys.executable, __file__, "--reference", str(ws),
                                    sandbox.url]))
        steps.append(("overlapped", [sys.executable, __file__, "--reference", str(ws),
                                     sandbox.url, "--overlap"]))
        runs: dict[str, list[tuple[dict, tuple[int, int]]]] = {label: [] for label, _ in steps}
        for k in range(args.rounds):
            order = steps if k % 2 == 0 else steps[::-1]
            for label, cmd in order:
                if label in states:
                    shutil.copy(states[label], state)
                m = run_measured(cmd)
                runs[label].append((m, sandbox.requests()))
                name = {"reference": "reference client",
                        "overlapped": "reference, overlapped"}.get(label, f"plan [{label}]")
                print(row(f"round {k + 1}: {name}", *runs[label][-1]))
        return runs
    finally:
        sandbox.stop()


def plan_summary(n: int, runs: dict) -> dict:
    ref = runs["reference"]
    ref_wall = median([m["wall"] for m, _ in ref])
    ref_rss = max(m["rss"] for m, _ in ref)
    print(f"  {n:,} contacts, median of {len(ref)} round(s):")
    print(f"    {'':<12} {'plan wall':>10} {'peak RSS':>9} {'reference':>10} {'peak RSS':>9}"
          f" {'ratio':>6}")
    over = runs.get("overlapped")
    over_wall = median([m["wall"] for m, _ in over]) if over else None
    if over_wall:
        print(f"    reference with the CSVs parsed while the reads wait: {over_wall:.2f} s, "
              f"peak {max(m['rss'] for m, _ in over):.0f} MB")
    out = {}
    for label, got in runs.items():
        if label in ("reference", "overlapped"):
            continue
        wall = median([m["wall"] for m, _ in got])
        rss = max(m["rss"] for m, _ in got)
        tree = max(m.get("tree") or 0 for m, _ in got)
        failed = [m["code"] for m, _ in got if m["code"] not in (0, 2)]
        print(f"    {label:<12} {wall:8.2f} s {rss:6.0f} MB {ref_wall:8.2f} s {ref_rss:6.0f} MB"
              f" {wall / ref_wall:6.2f}"
              + (f"  ({wall / over_wall:.2f} to the overlapped reference)" if over_wall else "")
              + (f"; all its processes' peak PSS {tree:.0f} MB" if tree else "")
              + (f"  EXIT {failed}" if failed else ""))
        out[label] = {"plan_wall": round(wall, 2), "plan_rss_mb": round(rss),
                      "plan_all_processes_pss_mb": round(tree),
                      "reference_wall": round(ref_wall, 2), "reference_rss_mb": round(ref_rss),
                      "ratio": round(wall / ref_wall, 3), "rounds": len(got),
                      "overlapped_reference_wall": over_wall and round(over_wall, 2),
                      "ratio_to_overlapped": over_wall and round(wall / over_wall, 3),
                      "reads": got[0][1][0], "exits": [m["code"] for m, _ in got]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", default="10000,100000,1000000")
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--before", type=Path, help="source tree of the code to compare with")
    parser.add_argument("--before-only", action="store_true",
                        help="measure only the --before code")
    parser.add_argument("--skip-apply", action="store_true",
                        help="only the first apply (setup), the plan and the reference")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --skip-apply: alternating rounds, medians reported")
    parser.add_argument("--setup-latency", type=float,
                        help="latency of the setup apply (default: --latency)")
    parser.add_argument("--reference", nargs=2, metavar=("WORKSPACE", "URL"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--overlap", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference:
        return reference(Path(args.reference[0]), args.reference[1], args.overlap)
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); "
          f"latency {args.latency * 1000:.0f} ms per request")
    codes = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    if args.before_only:
        codes = codes[1:]
    byte_compile(code for _, code in codes)
    if args.setup_latency is None:
        args.setup_latency = args.latency
    if args.skip_apply:
        summary = {}
        for n in (int(x) for x in args.contacts.split(",")):
            print(f"\n{n:,} contacts (load average {os.getloadavg()[0]:.2f})")
            with tempfile.TemporaryDirectory() as tmp:
                runs = plan_rounds(codes, n, args, Path(tmp))
            summary[n] = plan_summary(n, runs)
            print(f"  load average after: {os.getloadavg()[0]:.2f}")
        print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
        print(json.dumps(summary, indent=1))
        return 0
    report = {}
    for n in (int(x) for x in args.contacts.split(",")):
        print(f"\n{n:,} contacts")
        for label, code in codes:
            with tempfile.TemporaryDirectory() as tmp:
                report[(n, label)] = one_code(label, code, n, args, Path(tmp))
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    summary = {f"{n}:{label}": {k: {"wall": round(m['wall'], 2), "rss_mb": round(m['rss']),
                                    "reads": c[0], "writes": c[1], "exit": m["code"]}
                                for k, (m, c) in steps.items()}
               for (n, label), steps in report.items()}
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
