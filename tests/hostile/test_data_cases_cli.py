"""Issue 26's workspaces (tests/hostile/data_cases.py) through the real console script:
exit 1, one-line `file:line:col: message` errors naming the problem, no traceback,
nothing from outside the workspace, nothing written outside it; and every other problem
of the run still reported. Wall time and memory (2 s, 300 MB) are measured by
benchmarks/hostile_inputs.py, not asserted here."""

from __future__ import annotations

import pytest
from hostile.cases import CANARY, copy_example
from hostile.data_cases import DATA_CASES
from hostile.test_hostile_cli import POSITIONED, console

from reconciler.cli import main

ONE_LINE = r"^\S+:\d+:\d+: \S|^\d+ errors?\.$"


def check(case, code: int, output: str) -> None:
    import re

    assert code == 1, output
    assert "Traceback" not in output and "internal error" not in output, output
    assert CANARY not in output, output
    assert case.where in output and case.says in output, output
    assert POSITIONED.search(output), output
    for line in output.splitlines():
        assert re.match(ONE_LINE, line), line


def files_outside(tmp_path) -> set[str]:
    return {str(p.relative_to(tmp_path)) for p in tmp_path.iterdir() if p.name != "ws"}


@pytest.mark.parametrize("case", DATA_CASES, ids=[c.name for c in DATA_CASES])
def test_each_case_through_the_console_script(tmp_path, case):
    ws = copy_example(tmp_path / "ws")
    case.build(ws)
    before = files_outside(tmp_path)
    result = console("validate", "ws", cwd=tmp_path)
    output = result.stdout + result.stderr
    check(case, result.returncode, output)
    if case.name.startswith("sms_optout_"):  # the run's other problem is kept
        assert "senders.yaml:7:10: spec.email: invalid email" in output, output
    assert files_outside(tmp_path) == before


@pytest.mark.parametrize("case", [c for c in DATA_CASES if c.name.startswith(("sms_", "csv_un"))],
                         ids=lambda c: c.name)
def test_plan_reports_the_same_positioned_errors(tmp_path, capsys, case):
    ws = copy_example(tmp_path / "ws")
    case.build(ws)
    with pytest.raises(SystemExit) as exit_:
        main(["plan", str(ws)])
    captured = capsys.readouterr()
    check(case, exit_.value.code, captured.out + captured.err)
    assert not (ws / ".campaignctl" / "sandbox").exists()
