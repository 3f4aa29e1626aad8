"""What the terminal display costs: the same apply on a pseudo-terminal and with CI=true.

    python benchmarks/apply_terminal.py [--resources 2000] [--contacts 10000]
                                        [--latency 0.02] [--rounds 1] [--cap 300]
                                        [--before DIR]

scale_reference's workspace (`--resources` resources: email-campaigns senders, contact
groups with CSV files sharing `--contacts` contacts, messages and campaigns, plus
scheduled-campaigns campaigns), served by the sandbox over real HTTP on 127.0.0.1 with
`--latency` seconds injected into every vendor request. Its first apply (every create) is
run twice per round, each time on a fresh workspace and sandbox:

- `pty`: stdin and stderr (where progress goes) on a pseudo-terminal of 150x50, drained
  by this process as a terminal would, CI unset: the live display;
- `ci`: the same pseudo-terminal with CI=true: one plain line per finished action.

stdout (the plan, the summary) goes to a file in both, as `apply ... > apply.log` typed at
a terminal: what is compared is the progress display alone. For each: the wall, the CPU
time of the campaignctl process, the bytes and newlines the terminal received (a redraw
of the display counts each of its lines again), and the lines drawn as a
VT100 emulator (pyte) shows them: the most terminal lines the output took at any moment
(lines scrolled off plus the lowest line the cursor reached) and the non-blank lines left
at the end. The ratio pty/ci is the display's cost (target: 1.05 or less).

`--before DIR` runs the code in DIR the same way in the same run (e.g. the code before the
fixed-line display); a run that has not finished after `--cap` seconds is stopped and
reported with the number of actions it had done.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale_reference import Sandbox, byte_compile, cli, generate  # noqa: E402

COLUMNS, ROWS = 150, 50
#: Output larger than this is not fed to the emulator (it takes about a second a MB).
EMULATE_AT_MOST = 8_000_000
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def on_pty(cmd: list[str], env: dict[str, str], log: Path, cap: float) -> dict:
    """Run `cmd` with stdin and stderr on a pseudo-terminal, stdout to `log`; drain the
    terminal until the process ends or `cap` seconds have passed (then it is killed)."""
    start = time.perf_counter()
    pid, fd = os.forkpty()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execve(cmd[0], cmd, env)
    received = bytearray()
    capped = False
    while True:
        if not capped and time.perf_counter() - start > cap:
            os.kill(pid, 9)
            capped = True
        if not select.select([fd], [], [], 0.5)[0]:
            continue
        try:
            data = os.read(fd, 1 << 16)
        except OSError:  # the process ended: the terminal is closed
            break
        if not data:
            break
        received.extend(data)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    os.close(fd)
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "capped": capped,
            "code": os.waitstatus_to_exitcode(status), "received": bytes(received),
            "log": log.read_text(errors="replace")}


def lines_drawn(received: bytes) -> tuple[int, int] | None:
    """(most lines taken at any moment, non-blank lines left), or None past the budget."""
    if len(received) > EMULATE_AT_MOST:
        return None
    import pyte

    screen = pyte.HistoryScreen(COLUMNS, ROWS, history=1_000_000)
    stream = pyte.ByteStream(screen)
    most = 0
    for start in range(0, len(received), 4096):
        stream.feed(received[start:start + 4096])
        most = max(most, len(screen.history.top) + screen.cursor.y + 1)
    left = ["".join(ch.data for ch in row.values()).strip() for row in screen.history.top]
    left += [line.strip() for line in screen.display]
    return most, sum(1 for line in left if line)


def actions_done(run: dict, total: int) -> int:
    """How many actions had finished: the summary's count, or (stopped early) what the
    display last said."""
    summary = re.search(r"Apply: (\d+) done", run["log"])
    if summary:
        return int(summary.group(1))
    text = ANSI.sub(b"", run["received"]).decode(errors="replace")
    counts = re.findall(r"apply: ([\d,]+)/[\d,]+ actions", text)  # the fixed-line display
    if counts:
        return int(counts[-1].replace(",", ""))
    numbered = re.findall(r"\[(\d+)/\d+\] done:", text)  # the CI log
    if numbered:
        return int(numbered[-1])
    return min(total, text.count("done: "))  # an older display: a line per action


def one(code: Path, mode: str, args, tmp: Path) -> dict:
    ws = tmp / f"ws-{mode}"
    ws.mkdir()
    sandbox = Sandbox(tmp / f"sandbox-{mode}", args.latency)
    try:
        made = generate(ws, sandbox.url, args.resources, args.contacts)
        env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "COLUMNS",
                                                                "LINES")}
        env["TERM"] = "xterm-256color"
        if mode == "ci":
            env["CI"] = "true"
        run = on_pty(cli(code, "apply", str(ws), "--auto-approve"), env, tmp / f"{mode}.log",
                     args.cap)
        run["done"] = actions_done(run, made["resources"])
        run["lines"] = lines_drawn(run["received"])
        run["writes"] = sandbox.requests()[1]
        return run
    finally:
        sandbox.stop()


def row(label: str, run: dict, cap: float) -> str:
    lines = ("not emulated" if run["lines"] is None
             else f"{run['lines'][0]:6d} most {run['lines'][1]:6d} left")
    end = (f"STOPPED at {cap:.0f} s" if run["capped"]
           else "" if run["code"] == 0 else f"EXIT {run['code']}: {run['log'][-300:]}")
    newlines = run["received"].count(b"\n")
    return (f"  {label:<12} {run['wall']:8.2f} s wall {run['cpu']:7.2f} s cpu "
            f"{run['done']:6d} actions done {run['writes']:6d} writes "
            f"{len(run['received']) / 1e6:8.2f} MB {newlines:9d} newlines "
            f"to the terminal  lines: {lines}  {end}")



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--cap", type=float, default=300,
                        help="seconds after which a run is stopped")
    parser.add_argument("--before", type=Path, help="source tree of the code to compare with")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); "
          f"{args.resources} resources, {args.contacts:,} contacts, "
          f"latency {args.latency * 1000:.0f} ms per request")
    codes = [("after", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    byte_compile(code for _, code in codes)
    walls: dict[tuple[str, str], list[float]] = {}
    cpus: dict[tuple[str, str], list[float]] = {}  # steadier than walls on a busy machine
    ratios: dict[str, list[float]] = {}  # pty/ci of each round: one after the other
    for n in range(args.rounds):
        for label, code in codes:
            print(f"\nround {n + 1}, {label} ({code})")
            modes = ("pty", "ci") if n % 2 == 0 else ("ci", "pty")  # alternating
            pair = {}
            for mode in modes:
                with tempfile.TemporaryDirectory() as tmp:
                    run = one(code, mode, args, Path(tmp))
                print(row(mode, run, args.cap), flush=True)
                if not run["capped"] and run["code"] == 0:
                    walls.setdefault((label, mode), []).append(run["wall"])
                    cpus.setdefault((label, mode), []).append(run["cpu"])
                    pair[mode] = run["wall"]
            if len(pair) == 2:
                ratios.setdefault(label, []).append(pair["pty"] / pair["ci"])
                print(f"  ratio pty/ci: {pair['pty'] / pair['ci']:.3f}")
            print(f"  load average: {os.getloadavg()[0]:.2f}")
    print("\nmedian walls:")
    for label, _ in codes:
        pty, ci = walls.get((label, "pty")), walls.get((label, "ci"))
        if pty and ci:
            print(f"  {label:<7} pty {statistics.median(pty):7.2f} s   ci "
                  f"{statistics.median(ci):7.2f} s   ratio pty/ci "
                  f"{statistics.median(pty) / statistics.median(ci):.3f} (median of the "
                  f"rounds' ratios {statistics.median(ratios[label]):.3f})")
            pty, ci = cpus[label, "pty"], cpus[label, "ci"]
            print(f"  {label:<7} cpu {statistics.median(pty):7.2f} s   ci "
                  f"{statistics.median(ci):7.2f} s   ratio pty/ci "
                  f"{statistics.median(pty) / statistics.median(ci):.3f}")
        else:
            print(f"  {label:<7} pty {'stopped' if not pty else f'{statistics.median(pty):.2f} s'}"
                  f"   ci {'stopped' if not ci else f'{statistics.median(ci):.2f} s'}")
    print(f"\nload average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
