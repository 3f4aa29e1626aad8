"""`campaignctl validate` on a workspace holding a 1,000,000-contact CSV: wall time and peak
memory of the validating process (issue 2: must stay under 300 MB).

    python benchmarks/validate_memory.py [--rows 1000000] [--limit-mb 300]

Exits 1 when the run fails or the peak RSS exceeds the limit.
"""

from __future__ import annotations

import argparse
import resource
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--limit-mb", type=float, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(Path(tmp), args.rows)
        size_mb = (ws / "everyone.csv").stat().st_size / 1e6
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(ws)],
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
    # ru_maxrss: the largest RSS of any waited-for child, in KiB on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"rows: {args.rows:,} ({size_mb:.0f} MB CSV)")
    print(f"exit code: {proc.returncode}")
    print(f"wall time: {wall:.1f} s ({args.rows / wall:,.0f} rows/s)")
    print(f"peak RSS: {peak_mb:.0f} MB (limit {args.limit_mb:.0f} MB)")
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
        return 1
    return 0 if peak_mb <= args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
