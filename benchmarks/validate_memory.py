"""`campaignctl validate` on a workspace holding a 1,000,000-contact CSV: wall time and peak
memory of the validating process (must stay under 300 MB), next to a reference pass that
does the same checks and nothing else (csv.reader, then the same email and phone checks
on each row's cells).

    python benchmarks/validate_memory.py [--rows 1000000] [--limit-mb 300] [--before DIR]

`--before DIR` measures the code in DIR the same way, in the same run. Exits 1 when the
run fails or the peak RSS exceeds the limit.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
providers:
  mail:
    type: email-campaigns
    base_url: sandbox
"""
MANIFEST = """\
kind: ContactGroup
name: everyone
provider: mail
spec:
  title: Everyone
  file: everyone.csv
"""


def write_workspace(root: Path, rows: int) -> Path:
    (root / "campaignctl.yaml").write_text(CONFIG)
    (root / "groups.yaml").write_text(MANIFEST)
    with open(root / "everyone.csv", "w") as fh:
        fh.write("email,phone,first_name,last_name,param1\n")
        for i in range(rows):
            # Every 3rd row has a phone too, so both validators are exercised.
            phone = f"+3361{i % 10_000_000:07d}"[:12] if i % 3 == 0 else ""
            fh.write(f"User.{i}@Example{i % 97}.com,{phone},First{i},Last{i},p{i % 13}\n")
    return root


REFERENCE = """
import csv, sys
from reconciler.contacts import ContactError, normalize_email, normalize_phone
bad = 0
with open(sys.argv[1], newline="", encoding="utf-8-sig") as fh:
    reader = csv.reader(fh)
    next(reader)
    for row in reader:
        try:
            normalize_email(row[0])
            if row[1]:
                normalize_phone(row[1])
        except ContactError:
            bad += 1
print(bad)
"""


def measured(cmd: list[str], code: Path | None) -> tuple[float, float, subprocess.Popen, str]:
    """(wall, this child's own peak RSS in MB, process, output)."""
    env = {**os.environ, **({"PYTHONPATH": str(code)} if code else {})}
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        # cwd: not this tree, so that PYTHONPATH decides which code runs
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=tempfile.gettempdir())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, proc, out.read().decode(errors="replace")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--limit-mb", type=float, default=300)
    parser.add_argument("--before", type=Path, help="source tree of the code to compare with")
    args = parser.parse_args()
    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(Path(tmp), args.rows)
        size_mb = (ws / "everyone.csv").stat().st_size / 1e6
        print(f"rows: {args.rows:,} ({size_mb:.0f} MB CSV); load average "
              f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        runs = [("after", None)] + ([("before", args.before.resolve())] if args.before else [])
        for label, code in runs:
            wall, peak, proc, out = measured(
                [sys.executable, "-m", "reconciler", "validate", str(ws)], code)
            ref_wall, ref_peak, ref, _ = measured(
                [sys.executable, "-c", REFERENCE, str(ws / "everyone.csv")], code)
            print(f"[{label}] validate: exit {proc.returncode}, {wall:.1f} s "
                  f"({args.rows / wall:,.0f} rows/s), peak RSS {peak:.0f} MB "
                  f"(limit {args.limit_mb:.0f} MB)")
            print(f"[{label}] reference pass: {ref_wall:.1f} s, peak RSS {ref_peak:.0f} MB; "
                  f"ratio validate / reference: {wall / ref_wall:.2f}")
            if proc.returncode != 0:
                print(out[-2000:])
            if label == "after":
                worst = 1 if proc.returncode != 0 or peak > args.limit_mb else 0
    return worst

if __name__ == "__main__":
    sys.exit(main())
