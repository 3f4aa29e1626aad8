"""Every hostile / malformed workspace of issues 18 and 26 through the real `campaignctl` console
script: exit code, wall time, peak RSS, and whether the output is one
`file:line:col: message` per problem with no traceback and nothing from outside the
workspace.

    python benchmarks/hostile_inputs.py [--commands validate,plan,apply] [--case NAME]
                                        [--timeout 20] [--limit-s 2] [--limit-mb 300]
    python benchmarks/hostile_inputs.py --plans [--timeout 20] ...

`--plans`: the saved plan files of issue 26 instead (tests/hostile/plan_cases.py: a FIFO,
/dev/zero, 3 GiB, deep nesting, long numbers, malformed fields re-signed with the state's
key...), each through `campaignctl show FILE` and `campaignctl apply FILE`: exit 1 with one
`Error: FILE: ...` line saying what the case expects.

Exits 1 when a case does not end in exit 1 within the limits, prints a traceback, or shows
a planted secret.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile.cases import CANARY, copy_example  # noqa: E402
from hostile.data_cases import ALL_BY_NAME as BY_NAME  # noqa: E402
from hostile.data_cases import ALL_CASES as CASES  # noqa: E402
from hostile.plan_cases import MALFORMED, UNREADABLE, first_send, resigned  # noqa: E402

POSITIONED = re.compile(r"^\S.*?:\d+:\d+: ", re.M)


def console_script() -> str:
    found = Path(sys.executable).with_name("campaignctl")
    return str(found) if found.exists() else (shutil.which("campaignctl") or "campaignctl")


def run(argv: list[str], cwd: Path, timeout: float,
        ) -> tuple[int | None, float, float, str, float]:
    """(exit code or None when killed at the timeout, wall s, peak RSS MB, stderr+stdout,
    CPU s: user + system, the figure that holds on a shared, loaded machine)."""
    env = {**os.environ, "NO_COLOR": "1", "MAIL_API_TOKEN": CANARY,
           "CANARY_VARIABLE": CANARY}
    out_path = cwd / "output.txt"
    with open(out_path, "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        code: int | None = None
        rss_kb, cpu = 0, 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                code = os.waitstatus_to_exitcode(status)
                rss_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
                break
            if time.perf_counter() - start > timeout:
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                rss_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
    proc.returncode = code if code is not None else -9  # reaped above
    return code, wall, rss_kb / 1024, out_path.read_text(errors="replace"), cpu


def plan_files(script: str, args: argparse.Namespace) -> int:
    """Every plan-file case through `show` and `apply`; returns the failing runs."""
    import json

    failures = 0
    worst_wall = worst_rss = 0.0
    print(f"{'case':36} {'command':7} {'exit':>4} {'wall s':>7} {'RSS MB':>7}  first line")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = copy_example(root / "ws")
        code, wall, rss, out, _ = run([script, "plan", "ws", "-o", "plan.json"], root,
                                   args.timeout)
        assert code == 0, out
        doc = json.loads((root / "plan.json").read_text())
        # What any command costs here: the interpreter and the package's imports.
        code, wall, rss, _, _ = run([script, "--version"], root, args.timeout)
        print(f"{'(startup: campaignctl --version)':36} {'':7} {code!s:>4} {wall:7.2f} "
              f"{rss:7.1f}")
        code, wall, rss, _, _ = run([script, "show", "plan.json"], root, args.timeout)
        print(f"{'(the intact plan)':36} {'show':7} {code!s:>4} {wall:7.2f} {rss:7.1f}")
        cases = [(name, field.format(send=first_send(doc))) for name, _, field in MALFORMED]
        cases += [(name, says) for name, _, says in UNREADABLE]
        for name, says in cases:
            if args.case and name not in args.case:
                continue
            for command in ("show", "apply"):
                target = root / "case"
                target.mkdir(exist_ok=True)
                # Built by a child: a fork of a parent that grew would count its pages.
                path = Path(subprocess.run(
                    [sys.executable, __file__, "--build-plan", name, str(ws),
                     str(root / "plan.json"), str(target / "plan.json")],
                    check=True, capture_output=True, text=True).stdout.strip())
                argv = [script, command, str(path)] + (["--auto-approve"] if command == "apply"
                                                        else [])
                code, wall, rss, output, _ = run(argv, root, args.timeout)
                if path.parent == target:
                    path.unlink()
                lines = [x for x in output.splitlines() if x.strip()]
                problems = []
                if code != 1:
                    problems.append(f"exit {code}" if code is not None else "timeout")
                if wall > args.limit_s:
                    problems.append("slow")
                if rss > args.limit_mb:
                    problems.append("memory")
                if "Traceback" in output or "internal error" in output:
                    problems.append("traceback")
                if len(lines) != 1 or not lines[0].startswith(f"Error: {path}: "):
                    problems.append("not one Error line")
                if says not in output:
                    problems.append(f"does not say {says!r}")
                worst_wall, worst_rss = max(worst_wall, wall), max(worst_rss, rss)
                failures += bool(problems)
                flag = f"  <-- {', '.join(problems)}" if problems else ""
                first = lines[0].replace(str(path), "FILE")[:80] if lines else ""
                print(f"{name[:36]:36} {command:7} {str(code):>4} {wall:7.2f} {rss:7.1f}  "
                      f"{first}{flag}", flush=True)
    print(f"\nworst wall {worst_wall:.2f} s, worst peak RSS {worst_rss:.1f} MB; "
          f"{failures} failing run(s)")
    return failures


def build_plan(name: str, ws: str, plan: str, out: str) -> None:
    """Write the plan-file case `name` (from the saved `plan` of `ws`) and print its path."""
    import copy
    import json

    from reconciler.saved_plans import plan_key

    edits = {case: edit for case, edit, _ in MALFORMED}
    if name in edits:
        doc = copy.deepcopy(json.loads(Path(plan).read_text()))
        edits[name](doc)
        Path(out).write_text(resigned(doc, plan_key(Path(ws), None, False)))
        print(out)
    else:
        print(dict((case, make) for case, make, _ in UNREADABLE)[name](Path(out)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", default="validate,plan,apply")
    parser.add_argument("--case", action="append", default=None)
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--limit-s", type=float, default=2)
    parser.add_argument("--limit-mb", type=float, default=300)
    parser.add_argument("--plans", action="store_true",
                        help="the saved plan file cases instead of the workspace ones")
    parser.add_argument("--build-plan", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=2, metavar=("CASE", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_plan:
        build_plan(*args.build_plan)
        return 0
    if args.build:
        BY_NAME[args.build[0]].build(copy_example(Path(args.build[1])))
        return 0
    script = console_script()
    if args.plans:
        return 1 if plan_files(script, args) else 0
    commands = args.commands.split(",")
    failures = 0
    worst_wall = worst_rss = 0.0
    print(f"{'case':24} {'command':9} {'exit':>4} {'wall s':>7} {'CPU s':>6} {'RSS MB':>7}  "
          "first line")
    with tempfile.TemporaryDirectory() as tmp:  # the same command on the intact example
        copy_example(Path(tmp) / "ws")
        code, wall, rss, _, cpu = run([script, "validate", "ws"], Path(tmp), args.timeout)
        print(f"{'(intact example)':24} {'validate':9} {code!s:>4} {wall:7.2f} {cpu:6.2f} "
              f"{rss:7.1f}")
    for case in CASES:
        if args.case and case.name not in args.case:
            continue
        for command in commands:
            with tempfile.TemporaryDirectory() as tmp:
                # Built by a child: a fork of a parent that grew would count its pages.
                subprocess.run([sys.executable, __file__, "--build", case.name,
                                str(Path(tmp) / "ws")], check=True)
                argv = [script, command, "ws"] + (["--auto-approve"] if command == "apply"
                                                  else [])
                code, wall, rss, output, cpu = run(argv, Path(tmp), args.timeout)
            lines = [x for x in output.splitlines() if x.strip()]
            first = lines[0][:90] if lines else ""
            problems = []
            if code != 1:
                problems.append(f"exit {code}" if code is not None else "timeout")
            if wall > args.limit_s:
                problems.append("slow")
            if rss > args.limit_mb:
                problems.append("memory")
            if "Traceback" in output:
                problems.append("traceback")
            if CANARY in output:
                problems.append("LEAK")
            if case.position and not POSITIONED.search(output):
                problems.append("no file:line:col")
            if case.where not in output:
                problems.append(f"not at {case.where}")
            if case.says not in output:
                problems.append(f"does not say {case.says!r}")
            worst_wall, worst_rss = max(worst_wall, wall), max(worst_rss, rss)
            failures += bool(problems)
            flag = f"  <-- {', '.join(problems)}" if problems else ""
            print(f"{case.name:24} {command:9} {str(code):>4} {wall:7.2f} {cpu:6.2f} {rss:7.1f}  "
                  f"{first}{flag}", flush=True)
    print(f"\nworst wall {worst_wall:.2f} s, worst peak RSS {worst_rss:.1f} MB; "
          f"{failures} failing run(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
