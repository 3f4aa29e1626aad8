"""The hostile and malformed workspaces of issue 18, one builder per case.

Each case copies the example workspace (`campaigns/`) and breaks it one way. The tests and
`benchmarks/hostile_inputs.py` run the real console script on each and expect exit 1 with
a `file:line:col: message` naming the problem, fast and in bounded memory."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "campaigns"
#: a value that must never appear in any output (planted in files outside the workspace
#: and in the environment of the command)
CANARY = "canary0secret0b7e41"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], None]  # mutates a copy of campaigns/ at the given path
    where: str  # the file (relative to the workspace) the error must point into
    says: str  # a fragment of the message
    position: bool = True  # the error carries line:col
    posix: bool = False  # builds a FIFO, a /dev link or a symbolic link (not on Windows)

    @property
    def param(self):
        """The case as a pytest parameter, marked `posix` when it needs POSIX to build."""
        import pytest

        return pytest.param(self.name, marks=pytest.mark.posix) if self.posix else self.name


#: The example's campaignctl.yaml as one environment (staging) sees it, without
#: `environments:`: the cases break a workspace of the shape they were written for.
SINGLE_ENVIRONMENT_CONFIG = """\
# campaignctl workspace: provider accounts, state backend and safety settings.
# `base_url: sandbox` runs the built-in emulator: no account, no network needed.
# For a real account, write its URL and take credentials from the environment:
#   token: ${MAIL_API_TOKEN}
providers:
  mail:
    type: email-campaigns
    base_url: sandbox
  sms:
    type: octopush
    base_url: sandbox
    # a real account: api_login: ${OCTOPUSH_API_LOGIN}, api_key: ${OCTOPUSH_API_KEY}
  whatsapp:
    type: connectly
    base_url: sandbox
    # a real account: business_id: ${CONNECTLY_BUSINESS_ID}, api_key: ${CONNECTLY_API_KEY}
  sched:
    type: scheduled-campaigns
    base_url: sandbox
    # a real account: api_key: ${SCHED_API_KEY}

state:
  backend: sqlite
  path: .campaignctl/state.db

safety:
  max_delete_percent: 25
  max_update_percent: 50
  min_existing: 10

vars:
  sale_year: 2027

policy:
  email:
    postal_address: "Acme Inc., 100 Main Street, Springfield, IL 62701, USA"
"""


def copy_example(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    (dest / "campaignctl.yaml").write_text(SINGLE_ENVIRONMENT_CONFIG)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def _add(ws: Path, name: str, text: str | bytes) -> None:
    path = ws / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def _outside_target(ws: Path) -> Path:
    """A file outside the workspace whose content must never be read or shown: a CSV whose
    header would be an 'unknown column' naming the canary."""
    target = ws.parent / "outside-secret.csv"
    target.write_text(f"{CANARY}_header\n{CANARY}@example.com\n")
    return target


def _file_of_group(ws: Path, value: str) -> None:
    _edit(ws / "groups.yaml", "file: subscribers.csv", f"file: {value}")


def case_type_list(ws: Path) -> None:
    _edit(ws / "campaignctl.yaml", "type: email-campaigns", "type: [email-campaigns]")


def case_send_at_overflow(ws: Path) -> None:
    _edit(ws / "campaigns.yaml", "send_at: 2027-03-20T09:00:00-04:00",
          "send_at: 9999-12-31T23:59:59-14:00")


def case_recursive_alias_seq(ws: Path) -> None:
    _edit(ws / "campaigns.yaml", "  state: active", "  state: active\n  variables: &a [*a]")


def case_recursive_alias_map(ws: Path) -> None:
    _edit(ws / "senders.yaml", "spec:\n", "spec: &c\n  me: *c\n")


def case_billion_laughs(ws: Path) -> None:
    lines = ["kind: Message", "name: laughs", "provider: mail", "spec:",
             "  l0: &l0 [lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        refs = ", ".join([f"*l{i - 1}"] * 6)
        lines.append(f"  l{i}: &l{i} [{refs}]")
    _add(ws, "laughs.yaml", "\n".join(lines) + "\n")


def case_deep_flow(ws: Path) -> None:
    depth = 100_000
    _add(ws, "deep.yaml", "kind: Message\nname: deep\nprovider: mail\nspec: "
         + "[" * depth + "]" * depth + "\n")


def case_bad_int_tag_key(ws: Path) -> None:
    _edit(ws / "senders.yaml", "  email: news@acme.example",
          '  email: news@acme.example\n  !!int "k": 1')


def case_bad_float_tag_key(ws: Path) -> None:
    _edit(ws / "senders.yaml", "  email: news@acme.example",
          '  email: news@acme.example\n  !!float "k": 1')


def case_long_file_name(ws: Path) -> None:
    _file_of_group(ws, "é" * 300 + ".csv")


def case_fifo_manifest(ws: Path) -> None:
    os.mkfifo(ws / "pipe.yaml")


def case_device_manifest(ws: Path) -> None:
    os.symlink("/dev/zero", ws / "zero.yaml")


def case_many_documents(ws: Path) -> None:
    doc = "kind: Sender\nname: s{i}\nprovider: mail\nspec: {{email: s{i}@acme.example}}\n"
    _add(ws, "many.yaml", "---\n".join(doc.format(i=i) for i in range(5000)))


def case_large_aliased(ws: Path) -> None:
    items = ", ".join(f"!!str v{i}" for i in range(1000))
    refs = "\n".join(f"  k{i}: *big" for i in range(20_000))
    _add(ws, "big.yaml", f"kind: Message\nname: big\nprovider: mail\nspec:\n"
                         f"  big: &big [{items}]\n{refs}\n")


def case_syntax_error(ws: Path) -> None:
    _edit(ws / "senders.yaml", "  email: news@acme.example", "  email: [news@acme.example")


def case_not_utf8(ws: Path) -> None:
    data = (ws / "senders.yaml").read_bytes()
    (ws / "senders.yaml").write_bytes(data.replace(b"Acme Newsletter", b"Acme \xff Newsletter"))


def case_unreadable(ws: Path) -> None:
    os.symlink("no-such-file.yaml", ws / "dangling.yaml")


def case_dotdot(ws: Path) -> None:
    target = _outside_target(ws)
    _file_of_group(ws, f"../{target.name}")


def case_absolute(ws: Path) -> None:
    _file_of_group(ws, str(_outside_target(ws)))


def case_symlink_out(ws: Path) -> None:
    os.symlink(_outside_target(ws), ws / "linked.csv")
    _file_of_group(ws, "linked.csv")


def case_proc_environ(ws: Path) -> None:
    _file_of_group(ws, "/proc/self/environ")


def case_fifo_csv(ws: Path) -> None:
    os.mkfifo(ws / "pipe.csv")
    _file_of_group(ws, "pipe.csv")


def case_symlink_manifest_out(ws: Path) -> None:
    target = ws.parent / "outside-secret.yaml"
    target.write_text(f"kind: {CANARY}\nname: x\nprovider: mail\n")
    os.symlink(target, ws / "linked.yaml")


def case_http_base_url(ws: Path) -> None:
    path = ws / "campaignctl.yaml"
    text, count = re.subn(r"(type: email-campaigns\n    base_url: )\S+(\n    token: .*)?",
                          r"\1http://api.example.com\n    token: ${TEST_TOKEN}", path.read_text())
    assert count == 1
    path.write_text(text)


def case_nul_byte(ws: Path) -> None:
    _edit(ws / "senders.yaml", "description: Acme Newsletter",
          'description: "Acme\\0Newsletter"')


def case_huge_number(ws: Path) -> None:
    _edit(ws / "scheduled.yaml", "list: 12", "list: 1" + "0" * 5000)


def case_huge_float(ws: Path) -> None:
    _edit(ws / "campaignctl.yaml", "max_delete_percent: 25", "max_delete_percent: 1e400")


def case_wide_csv_row(ws: Path) -> None:
    with open(ws / "subscribers.csv", "a") as fh:
        fh.write("x@example.com," + "," * 10_000 + "\n")


def case_long_csv_line(ws: Path) -> None:
    with open(ws / "subscribers.csv", "a") as fh:
        fh.write("x@example.com,Ada" + "a" * 5_000_000 + "\n")


def case_binary_csv_header(ws: Path) -> None:
    (ws / "subscribers.csv").write_bytes(b"email,\x00\x01secret-ish\x7f\n" + b"a@b.co,x\n")


def case_huge_file(ws: Path) -> None:
    with open(ws / "huge.yaml", "w") as fh:
        fh.write("kind: Message\nname: huge\nprovider: mail\nspec:\n  body: |\n")
        line = "    " + "x" * 95 + "\n"
        fh.write(line * 175_000)  # 17.5 MB, over the 16 MiB limit


CASES: list[Case] = [
    Case("type_list", case_type_list, "campaignctl.yaml", "type"),
    Case("send_at_overflow", case_send_at_overflow, "campaigns.yaml", "send_at"),
    Case("recursive_alias_seq", case_recursive_alias_seq, "campaigns.yaml", "recursive alias"),
    Case("recursive_alias_map", case_recursive_alias_map, "senders.yaml", "recursive alias"),
    Case("billion_laughs", case_billion_laughs, "laughs.yaml", "alias"),
    Case("deep_flow", case_deep_flow, "deep.yaml", "nested deeper than"),
    Case("bad_int_tag_key", case_bad_int_tag_key, "senders.yaml", "!!int"),
    Case("bad_float_tag_key", case_bad_float_tag_key, "senders.yaml", "!!float"),
    Case("long_file_name", case_long_file_name, "groups.yaml", "file"),
    Case("fifo_manifest", case_fifo_manifest, "pipe.yaml", "not a regular file", posix=True),
    Case("device_manifest", case_device_manifest, "zero.yaml", "outside the workspace", posix=True),
    Case("many_documents", case_many_documents, "many.yaml", "documents"),
    Case("large_aliased", case_large_aliased, "big.yaml", "alias"),
    Case("syntax_error", case_syntax_error, "senders.yaml", "YAML syntax error"),
    Case("not_utf8", case_not_utf8, "senders.yaml", "UTF-8"),
    Case("unreadable", case_unreadable, "dangling.yaml", "cannot read", posix=True),
    Case("dotdot", case_dotdot, "groups.yaml", "outside the workspace"),
    Case("absolute", case_absolute, "groups.yaml", "absolute"),
    Case("symlink_out", case_symlink_out, "groups.yaml", "outside the workspace", posix=True),
    Case("proc_environ", case_proc_environ, "groups.yaml", "absolute"),
    Case("fifo_csv", case_fifo_csv, "groups.yaml", "not a regular file", posix=True),
    Case("symlink_manifest_out", case_symlink_manifest_out, "linked.yaml",
         "outside the workspace", posix=True),
    Case("http_base_url", case_http_base_url, "campaignctl.yaml", "https://"),
    Case("nul_byte", case_nul_byte, "senders.yaml", "NUL"),
    Case("huge_number", case_huge_number, "scheduled.yaml", "digits"),
    Case("huge_float", case_huge_float, "campaignctl.yaml", "out of range"),
    Case("wide_csv_row", case_wide_csv_row, "subscribers.csv", "columns"),
    Case("long_csv_line", case_long_csv_line, "subscribers.csv", "longer than"),
    Case("binary_csv_header", case_binary_csv_header, "subscribers.csv", "NUL byte"),
    Case("huge_file", case_huge_file, "huge.yaml", "larger than"),
]
BY_NAME = {c.name: c for c in CASES}


def point_at(ws: Path, base_url: str) -> None:
    """Every `base_url: sandbox` account of the example at `base_url`, with credentials, so
    a test can see whether any request left (a listener that must stay silent)."""
    from reconciler.vendors import installed

    path = ws / "campaignctl.yaml"
    text = path.read_text()
    for vtype, vendor in installed().items():
        creds = "".join(f"\n    {key}: ${{CANARY_VARIABLE}}" for key in vendor.credentials)
        text = text.replace(f"type: {vtype}\n    base_url: sandbox",
                            f"type: {vtype}\n    base_url: {base_url}{creds}")
    path.write_text(text)
