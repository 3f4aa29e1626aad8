"""${var.NAME} in manifests and message bodies from files (confined to the workspace)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_inprocess import campaignctl as run_cli
from conftest import write_workspace

from reconciler.engine.drift import ManifestDigests
from reconciler.validate import errors_of, validate_directory

CONFIG = """
providers:
  mail: {type: email-campaigns, base_url: sandbox}
vars:
  subject: Spring sale
  groups: [readers, vip]
  discount: 20
  flag: true
"""
MESSAGE = """
kind: Message
name: spring
provider: mail
spec:
  channel: email
  subject: "${var.subject}: ${var.discount}% off (${var.flag})"
  body: "Hello ${FIRST_NAME}, see $${var.subject} and ${each}"
"""


def load(ws: Path):
    found, diagnostics = validate_directory(ws)
    return found, [str(d) for d in errors_of(diagnostics)]


def test_variables_substitute_and_process_env_references_stay_literal(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "m.yaml": MESSAGE})
    os.environ["FIRST_NAME"] = "not-from-here"
    try:
        found, errors = load(ws)
    finally:
        del os.environ["FIRST_NAME"]
    assert errors == []
    spec = found.get("Message", "spring").spec
    assert spec.subject == "Spring sale: 20% off (true)"
    # `${VAR}` is vendor merge text, never the process environment; $${...} is literal.
    assert spec.body == "Hello ${FIRST_NAME}, see ${var.subject} and ${each}"


def test_a_whole_value_keeps_its_type(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "c.yaml": """
        kind: Campaign
        name: launch
        provider: mail
        spec:
          contact_groups: ${var.groups}
        """})
    found, _ = load(ws)
    assert found.get("Campaign", "launch").spec.contact_groups == ["readers", "vip"]


def test_unknown_and_misused_variables_are_errors_at_their_position(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "m.yaml": """
        kind: Message
        name: spring
        provider: mail
        spec:
          channel: email
          subject: ${var.subjet}
          body: "groups: ${var.groups}"
        ---
        kind: Message
        name: summer
        provider: mail
        spec: {channel: email, subject: "${each.key}", body: x}
        """})
    _, errors = load(ws)
    assert errors == [
        f"{ws}/m.yaml:6:12: unknown variable var.subjet (declare it under `vars:` in "
        "campaignctl.yaml or the environment; known: discount, flag, groups, subject)",
        f"{ws}/m.yaml:7:9: ${{var.groups}} is a list: only a whole value can be a list or a "
        "mapping",
        f"{ws}/m.yaml:12:33: ${{each.key}} is only defined in a document with `for_each`",
    ]
    r = run_cli("plan", str(ws))
    assert r.returncode == 1 and "m.yaml:6:12: unknown variable var.subjet" in r.stderr


BODY = """
kind: Message
name: spring
provider: mail
spec:
  channel: email
  subject: Spring
  body_file: {path}
"""


def body_ws(tmp_path: Path, path: str) -> Path:
    return write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG, "mail/m.yaml": BODY.format(path=path),
        "mail/messages/spring.html": "<h1>Spring</h1>\n"})


def test_body_file_is_the_body_and_is_part_of_the_digest(tmp_path):
    ws = body_ws(tmp_path, "messages/spring.html")
    found, errors = load(ws)
    assert errors == []
    assert found.get("Message", "spring").spec.body == "<h1>Spring</h1>\n"
    before = ManifestDigests(found).workspace()
    (ws / "mail" / "messages" / "spring.html").write_text("<h1>Spring!</h1>\n")
    assert ManifestDigests(load(ws)[0]).workspace() != before
    # A saved plan of the old body is refused once the file changed.
    assert run_cli("plan", str(ws), "-o", str(tmp_path / "p.json")).returncode == 0
    (ws / "mail" / "messages" / "spring.html").write_text("<h1>Later</h1>\n")
    r = run_cli("apply", str(tmp_path / "p.json"))
    assert r.returncode == 1 and "the workspace changed since the plan was saved" in r.stderr


@pytest.mark.parametrize(("path", "message"), [
    ("/etc/passwd", "file '/etc/passwd': an absolute path is not allowed; name a file "
                    "inside the workspace, relative to the manifest"),
    ("../../outside.html", "file '../../outside.html' is outside the workspace (`..` leads "
                           "out of it); files must be inside the workspace"),
    ("messages/nope.html", "file 'messages/nope.html' not found"),
    ("link.html", "file 'link.html' is outside the workspace (a symbolic link leads out of "
                  "it); files must be inside the workspace"),
])
@pytest.mark.posix
def test_body_file_stays_inside_the_workspace(tmp_path, path, message):
    (tmp_path / "outside.html").write_text("secret\n")
    ws = body_ws(tmp_path, path)
    (ws / "mail" / "link.html").symlink_to(tmp_path / "outside.html")
    _, errors = load(ws)
    assert errors == [f"{ws}/mail/m.yaml:7:14: Message/spring: body_file: {message}"]


def test_body_and_body_file_together_are_refused(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        "m.yaml": BODY.format(path="b.html") + "  body: inline\n", "b.html": "x"})
    _, errors = load(ws)
    assert errors == [f"{ws}/m.yaml:4:1: spec: `body` and `body_file` both give the body: "
                      "keep one"]
