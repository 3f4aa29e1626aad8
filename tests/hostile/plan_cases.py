"""The plan-file cases of issue 26, shared by tests/hostile/test_plan_files.py and
benchmarks/hostile_inputs.py (`--plans`): malformed content of a saved plan (re-signed
with the state's key, so that the reading, not the signature, refuses it) and files that
are no plan at all."""

from __future__ import annotations

import json
import os
from pathlib import Path

from reconciler.engine.plan_file import MAX_PLAN_BYTES
from reconciler.engine.signing import signature


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


def _inflated(doc: dict) -> None:
    """The plan's actions repeated until the file is just under the size limit, the last
    one malformed: the most a hostile file can make the reader parse and check."""
    actions, size = list(doc["actions"]), len(json.dumps(doc, indent=2))
    each = max(1, (size - len(json.dumps({**doc, "actions": []}, indent=2))) // len(actions))
    while size + each * len(actions) < MAX_PLAN_BYTES * 0.97:
        doc["actions"] += actions
        size += each * len(actions)
    doc["actions"] = [*doc["actions"][:-1], {**doc["actions"][-1], "op": 5}]


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
    ("just under the size limit, bad at its end", _inflated, "actions["),
]


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
    ("a FIFO", _fifo, "not a plan file (a named pipe (FIFO)): a saved plan is a regular file"),
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
     "plan format_version 2 is not supported"),
    ("format_version 3, actions [1]",
     _text('{"format_version": 3, "kind": "campaignctl-plan", "actions": [1]}'),
     "malformed plan file: the document: missing field 'created_at'"),
]
