"""Issue 26: a saved plan file is read like a manifest. Each case the issue lists, through
the console script: exit 1, one `Error: FILE: ...` line naming the field, no traceback,
no vendor request. Malformed content is re-signed with the state's own key, so what
refuses it is the reading and the schema, not the signature."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from conftest import run_cli
from hostile.cases import copy_example

from reconciler.engine.plan_file import MAX_PLAN_BYTES
from reconciler.engine.signing import signature
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


def resigned(doc: dict, key) -> str:
    doc = {k: v for k, v in doc.items() if k != "signature"}
    doc["signature"] = signature(doc, key)
    return json.dumps(doc, indent=2)


def first_send(doc: dict) -> int:
    return next(i for i, a in enumerate(doc["actions"]) if a["send"])


def _set(*path_and_value):
    *path, value = path_and_value

    def edit(doc: dict) -> None:
        node = doc
        for step in path[:-1]:
            node = node[first_send(doc) if step == "SEND" else step]
        node[path[-1]] = value
    return edit


def _drop(key):
    return lambda doc: doc.pop(key)


# (case, edit of the signed document, the field the error names)
MALFORMED = [
    ("a send's suppressed is a list", _set("actions", "SEND", "send", "suppressed", [1]),
     "actions[{send}].send.suppressed: expected integer, found a list"),
    ("an op that is not a string", _set("actions", 0, "op", 5), "actions[0].op: 5 is not one of"),
    ("an unknown origin", _set("actions", 0, "origin", "mars"),
     'actions[0].origin: "mars" is not one of "manifests", "outside"'),
    ("actions: [1]", _set("actions", [1]), "actions[0]: expected object, found a number"),
    ("content a number", _set("actions", "SEND", "content", 3),
     "actions[{send}].content: expected object or null, found a number"),
    ("send a string", _set("actions", "SEND", "send", "x"),
     "actions[{send}].send: expected object or null, found a string"),
    ("depends_on a number", _set("actions", 0, "depends_on", 1),
     "actions[0].depends_on: expected array, found a number"),
    ("changes a string", _set("actions", 0, "changes", "abc"),
     "actions[0].changes: expected array, found a string"),
    ("a set change without its counts", _set("actions", 0, "sets", [{"field": "x"}]),
     "actions[0].sets[0]: missing field 'add'"),
    ("a waiver that is a number", _set("policy", "waived", [1]),
     "policy.waived[0]: expected object, found a number"),
    ("no summary", _drop("summary"), "the document: missing field 'summary'"),
    ("a campaign's recipients a string", _set("campaigns", 0, "recipients", "x"),
     "campaigns[0].recipients: expected integer or null, found a string"),
    ("a view's count a string", _set("actions", 0, "data", "resend_recipients", "x"),
     "actions[0].data.resend_recipients: expected integer, found a string"),
    ("created_at not a time", _set("created_at", "yesterday"),
     'created_at: "yesterday" is not a date-time'),
    ("a kind that is a number", _set("actions", 0, "kind", 1),
     "actions[0].kind: expected string, found a number"),
    ("an unknown field", _set("actions", 0, "shell", "rm -rf /"),
     "actions[0]: unknown field 'shell'"),
    ("a control character in a field name", _set("summary", "x\x1b[2J", 1),
     "summary: unknown field 'x\\x1b[2J'"),
]


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


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _sparse(path: Path) -> Path:
    with open(path, "wb") as f:
        f.truncate(3 << 30)  # 3 GiB, no disk used
    return path


def _text(text: str | bytes):
    def write(path: Path) -> Path:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path
    return write


UNREADABLE = [
    ("a FIFO", _fifo, "not a plan file (a FIFO): a saved plan is a regular file"),
    ("/dev/zero", lambda path: Path("/dev/zero"),
     "not a plan file (a character device): a saved plan is a regular file"),
    ("a 3 GiB file", _sparse, f"is 3,221,225,472 bytes, more than the {MAX_PLAN_BYTES:,}"),
    ("100,000 nested [", _text("[" * 100_000), "nested more than 64 levels deep"),
    ("100,000 nested [] closed", _text("[" * 100_000 + "]" * 100_000),
     "nested more than 64 levels deep"),
    ("a 4,300-digit integer", _text('{"format_version": ' + "1" * 4300 + "}"),
     "a number of 4300 characters (at most 40)"),
    ("a 400-digit float", _text('{"x": 1' + "0" * 400 + ".5}"),
     "a number of 403 characters (at most 40)"),
    ("NaN", _text('{"x": NaN}'), "NaN is not a JSON number"),
    ("1e999", _text('{"x": 1e999}'), "1e999 is out of range"),
    ("a repeated key", _text('{"kind": "campaignctl-plan", "kind": "x"}'),
     "the key 'kind' appears twice in one object"),
    ("not UTF-8", _text(b'{"kind": "\xff"}'), "not UTF-8 text (byte 10)"),
    ("format_version 1, actions [1]",
     _text('{"format_version": 1, "kind": "campaignctl-plan", "actions": [1]}'),
     "plan format_version 1 is not supported"),
    ("format_version 2, actions [1]",
     _text('{"format_version": 2, "kind": "campaignctl-plan", "actions": [1]}'),
     "malformed plan file: the document: missing field 'created_at'"),
]


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
