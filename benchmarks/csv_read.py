"""CSV read speed: the two readers every plan runs over its contact files.

    python benchmarks/csv_read.py [--rows 1000000] [--repeat 3]

Generates a contact CSV (email, first_name, last_name, phone for one row in ten, a few
quoted names) and times `scan_csv` (validate's and the plan's pass: checks and the
email->name summary) and `read_csv` (the rows themselves), best of --repeat, in rows/s:
wall time and CPU time of this process (steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from reconciler.contacts import Contact, EmailSet, read_csv, scan_csv


def generate(path: Path, rows: int) -> None:
    with open(path, "w") as fh:
        fh.write("email,first_name,last_name,phone\n")
        for i in range(rows):
            phone = f"+336{i % 100_000_000:08d}" if i % 10 == 0 else ""
            last = f'"Last, {i}"' if i % 50 == 0 else f"Last{i}"
            fh.write(f"user{i}@example.com,First{i},{last},{phone}\n")


def best(fn, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        generate(path, args.rows)
        problems: list = []

        def scan() -> None:
            scan_csv(path, EmailSet(), problems.append)

        def read() -> None:
            n = sum(1 for _, row in read_csv(path) if isinstance(row, Contact))
            assert n == args.rows, n

        for label, fn in (("scan_csv", scan), ("read_csv", read)):
            wall, cpu = best(fn, args.repeat)
            print(f"{label}: {args.rows:,} rows in {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"({args.rows / cpu:,.0f} rows/s of CPU, best of {args.repeat})")
        assert not problems, problems[:3]


if __name__ == "__main__":
    main()
