"""Issue 26: a saved plan file is read like a manifest. Each case the issue lists, through
the console script: exit 1, one `Error: FILE: ...` line naming the field, no traceback,
no vendor request. Malformed content is re-signed with the state's own key, so what
refuses it is the reading and the schema, not the signature."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from conftest import run_cli
from hostile.cases import copy_example
from hostile.plan_cases import MALFORMED, UNREADABLE, first_send, resigned

from reconciler.saved_plans import plan_key


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """(workspace, its saved plan document, its state's key)."""
    root = tmp_path_factory.mktemp("planfiles")
    ws = copy_example(root / "ws")
    r = run_cli("plan", str(ws), "-o", str(root / "plan.json"))
    assert r.returncode == 0, r.stderr
    return ws, json.loads((root / "plan.json").read_text()), plan_key(ws, None, False)


def journal(ws: Path) -> int:
    """Requests the workspace's sandbox vendors received so far."""
    return sum(len(p.read_text().splitlines()) for p in ws.glob("**/requests.jsonl"))


@pytest.mark.parametrize("case,edit,field", MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_content_is_one_error_naming_the_field(planned, tmp_path, case, edit, field):
    ws, doc, key = planned
    bad = copy.deepcopy(doc)
    edit(bad)
    path = tmp_path / "plan.json"
    path.write_text(resigned(bad, key))
    field = field.format(send=first_send(doc))
    before = journal(ws)
    for command in (["apply", str(path), "--auto-approve"], ["show", str(path)]):
        r = run_cli(*command, timeout=30)
        assert r.returncode == 1, (command, r.stdout, r.stderr)
        assert r.stdout == ""
        assert r.stderr.splitlines() == [r.stderr.strip()], r.stderr  # one line
        assert r.stderr.startswith(f"Error: {path}: malformed plan file: {field}"), r.stderr
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr
    assert journal(ws) == before


@pytest.mark.parametrize("case,make,says", UNREADABLE, ids=[c[0] for c in UNREADABLE])
def test_a_file_that_is_no_plan_is_refused_before_it_is_read_whole(tmp_path, case, make,
                                                                   says):
    path = make(tmp_path / "plan.json")
    for command in (["show", str(path)], ["apply", str(path), "--auto-approve"]):
        r = run_cli(*command, timeout=30)
        assert r.returncode == 1, (command, r.stdout, r.stderr)
        assert r.stderr.splitlines() == [r.stderr.strip()], r.stderr
        assert r.stderr.startswith(f"Error: {path}: ") and says in r.stderr, r.stderr
        assert "internal error" not in r.stderr and "Traceback" not in r.stderr


FORGED = "a\r\n+ create Fake/x \u202e"


def test_strings_of_a_plan_file_are_shown_escaped_by_show_and_apply(planned, tmp_path):
    ws, doc, key = planned
    bad = copy.deepcopy(doc)
    bad["actions"][0]["path"] = [FORGED]
    bad["actions"][0]["reason"] = FORGED
    bad["safety"] = [FORGED]
    bad["summary"]["refused_text"] = None
    path = tmp_path / "plan.json"
    path.write_text(resigned(bad, key))
    escaped = "a\\r\\n+ create Fake/x \\u202e"
    for fmt, shown in (("text", escaped), ("markdown", escaped.replace("\\", "\\\\"))):
        r = run_cli("show", str(path), "--format", fmt)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        # (a Markdown code block shows the text's escapes as they are)
        assert not any("Fake/x" in line and shown not in line and escaped not in line
                       for line in lines), r.stdout
        assert shown in r.stdout and "\u202e" not in r.stdout and "\r" not in r.stdout
    before = journal(ws)
    # apply refuses it (the fresh plan's path differs) and says so on escaped lines
    r = run_cli("apply", str(path), "--auto-approve")
    assert r.returncode == 1
    out = r.stdout + r.stderr
    assert escaped in out, out
    assert not any(line.lstrip().startswith("+ create Fake") for line in out.splitlines())
    assert "\u202e" not in out and "\r" not in out
    assert journal(ws) >= before  # a fresh plan reads; nothing was written:
    assert all('"GET"' in line for p in ws.glob("**/requests.jsonl")
               for line in p.read_text().splitlines())
