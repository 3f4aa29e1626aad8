"""The HTML plan report's size and render time: the example workspace, and a generated
email-campaigns workspace of N resources (benchmarks/plan_scale.py's).

    python benchmarks/plan_report.py [--resources 2000] [--contacts 20000] [--no-browser]

For each: the plan (in process, against the built-in sandbox), then `render_html` of its
view (the first, and the best of 3), the report's size, and headless Chromium's wall time to load it and dump
its DOM and to take a full screenshot, next to the same for an empty page (the browser's
own start-up), so the difference is the report's.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from plan_scale import generate

from reconciler import api
from reconciler.render.html import render_html

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--window-size=1280,2000")


def browser_wall(chromium: str, page: Path, tmp: Path, what: str) -> float:
    """Best of 3 walls of one headless Chromium run on `page` (`what`: dom or screenshot)."""
    best = float("inf")
    for i in range(3):
        profile = tmp / f"profile-{what}-{page.stem}-{i}"
        action = ["--dump-dom"] if what == "dom" else [f"--screenshot={tmp / 'shot.png'}"]
        start = time.perf_counter()
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *action,
                        page.as_uri()], capture_output=True, timeout=600,
                       stdin=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - start)
    return best


def measure(label: str, ws: Path, tmp: Path, chromium: str | None,
            environment: str | None = None) -> None:
    start = time.perf_counter()
    outcome = api.plan(ws, environment=environment)
    planned = time.perf_counter() - start
    view = outcome.view
    renders = []
    for _ in range(3):
        start = time.perf_counter()
        page = render_html(view)
        renders.append(time.perf_counter() - start)
    path = tmp / f"{label.split()[0]}.html"
    path.write_text(page, encoding="utf-8")
    size = path.stat().st_size
    print(f"{label}: {len(view.rows)} actions, {len(view.campaigns)} campaigns "
          f"(plan {planned:.2f} s)")
    print(f"  render_html            {renders[0] * 1000:9.1f} ms first "
          f"(policy pack and holidays loaded), {min(renders) * 1000:.1f} ms best of 3")
    print(f"  report size            {size / 1024:9.1f} KiB ({size:,} bytes)")
    if chromium is None:
        return
    empty = tmp / "empty.html"
    empty.write_text("<!DOCTYPE html><title>empty</title>")
    for what in ("dom", "screenshot"):
        base = browser_wall(chromium, empty, tmp, what)
        wall = browser_wall(chromium, path, tmp, what)
        print(f"  chromium {what:<13} {wall:9.2f} s (empty page {base:.2f} s: "
              f"{wall - base:+.2f} s for the report)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    chromium = None if args.no_browser else shutil.which("chromium")
    if chromium is None and not args.no_browser:
        print("no chromium on PATH: browser times left out")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        example = tmp / "example"
        shutil.copytree(ROOT / "campaigns", example,
                        ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
        measure("example", example, tmp, chromium, environment="staging")
        big = tmp / "scale"
        big.mkdir()
        made = generate(big, args.resources, args.contacts, "sqlite")
        measure(f"{made['resources']} resources, {made['contacts']:,} contacts", big, tmp,
                chromium)
    return 0


if __name__ == "__main__":
    sys.exit(main())
