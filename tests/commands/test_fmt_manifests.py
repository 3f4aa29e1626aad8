"""`campaignctl fmt [DIR] [--check]`: the canonical layout of a workspace's YAML, comments
kept, meaning unchanged, idempotent; `--check` for pre-commit and CI; bad YAML refused at
file:line:col. Also the pre-commit hooks this repository ships."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import run_cli, write_workspace
from ruamel.yaml import YAML

from reconciler.cli import cli
from reconciler.yamlsource import load_file, plain

REPO = Path(__file__).parent.parent.parent
EXAMPLE = REPO / "campaigns"

CONFIG = """
providers:
  mail: {type: email-campaigns, base_url: sandbox}
"""

# Written by hand, in a hurry: spec first, four-space indentation, single quotes, a
# leading `---`, blank lines before the next document, comments everywhere.
MESSY = """
---
# yaml-language-server: $schema=../schemas/campaign.schema.json
spec:   # what it sends
    title: 'Spring sale'
    message: spring-sale
    sender: 'newsletter'
    contact_groups:
    - readers     # everyone
    - 'vip'
    opt_out_lists: [unsubscribed]
    send_at: '2027-03-20T09:00:00-04:00'
    timezone: America/New_York

# which account
provider: mail
name: spring-sale
kind: Campaign


---
kind: Message
provider: mail
name: spring-sale
spec:
      channel: email
      subject: 'It''s "spring"'
      body: |
          Hello,
          spring is here.
# end of file
"""

CANONICAL = """
# yaml-language-server: $schema=../schemas/campaign.schema.json
kind: Campaign
name: spring-sale

# which account
provider: mail
spec:   # what it sends
  title: "Spring sale"
  message: spring-sale
  sender: "newsletter"
  contact_groups:
    - readers     # everyone
    - "vip"
  opt_out_lists: [unsubscribed]
  send_at: "2027-03-20T09:00:00-04:00"
  timezone: America/New_York
---
kind: Message
name: spring-sale
provider: mail
spec:
  channel: email
  subject: 'It''s "spring"'
  body: |
    Hello,
    spring is here.
# end of file
"""


def campaignctl(*args: str):
    """The command in-process (fast); `run_cli` where a real process matters."""
    result = CliRunner().invoke(cli, list(args), prog_name="campaignctl")
    assert result.exception is None or isinstance(result.exception, SystemExit), result
    return result


def same_but_comment_columns(text: str) -> str:
    """End-of-line comments keep their column; the rest of the layout is canonical."""
    return re.sub(r"[ ]+#", " #", text)


def documents(path: Path) -> list:
    docs, problems = load_file(path)
    assert not problems, problems
    return [plain(d.data) for d in docs]


def test_fmt_rewrites_to_the_canonical_layout_keeping_comments_and_meaning(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG,
                                           "campaigns.yaml": MESSY,
                                           "more/messages.yml": MESSY})
    before = {p: documents(ws / p) for p in ("campaigns.yaml", "more/messages.yml")}

    r = campaignctl("fmt", str(ws))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == [f"{ws}/campaigns.yaml", f"{ws}/more/messages.yml"]
    assert "formatted 2 files of 3." in r.stderr
    for name, docs in before.items():
        text = (ws / name).read_text()
        assert text == textwrap.dedent(CANONICAL).lstrip("\n"), name
        assert documents(ws / name) == docs  # the same documents, to the last value
    assert "\t" not in text and "Traceback" not in r.stderr

    again = campaignctl("fmt", str(ws))  # idempotent
    assert again.exit_code == 0 and again.stdout == ""
    assert "3 files already formatted." in again.stderr
    check = campaignctl("fmt", str(ws), "--check")
    assert check.exit_code == 0 and check.stdout == ""


def test_check_changes_nothing_lists_the_files_and_exits_1(tmp_path):
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "a.yaml": MESSY,
                                           "b.yaml": CANONICAL})
    before = {p.name: p.read_bytes() for p in ws.iterdir()}
    r = campaignctl("fmt", "--check", str(ws))
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [f"{ws}/a.yaml"]
    assert "1 file not formatted; run `campaignctl fmt" in r.stderr
    assert {p.name: p.read_bytes() for p in ws.iterdir()} == before


@pytest.mark.posix
def test_bad_yaml_is_refused_at_file_line_col_and_the_rest_is_formatted(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": CONFIG,
        "broken.yaml": "kind: Sender\nname: [news\nprovider: mail\n",
        "twice.yaml": "kind: Sender\nkind: Message\n",
        "good.yaml": MESSY})
    broken = (ws / "broken.yaml").read_bytes()
    for r in (run_cli("fmt", str(ws)), campaignctl("fmt", str(ws), "--check")):
        assert (r.returncode if hasattr(r, "returncode") else r.exit_code) == 1
        assert re.search(rf"^{re.escape(str(ws))}/broken\.yaml:3:\d+: YAML syntax error",
                         r.stderr, re.M), r.stderr
        assert f"{ws}/twice.yaml:2:1: duplicate key 'kind'" in r.stderr
        assert "Traceback" not in r.stderr
    assert (ws / "broken.yaml").read_bytes() == broken
    assert (ws / "good.yaml").read_text() == textwrap.dedent(CANONICAL).lstrip("\n")
    # a link out of the workspace is neither read nor rewritten (as validate refuses it)
    outside = tmp_path / "outside.yaml"
    outside.write_text(MESSY)
    (ws / "link.yaml").symlink_to(outside)
    r = campaignctl("fmt", str(ws))
    assert f"{ws}/link.yaml: a symbolic link to outside the workspace; not read" in r.stderr
    assert outside.read_text() == MESSY and (ws / "link.yaml").is_symlink()
    missing = campaignctl("fmt", str(tmp_path / "nowhere"))
    assert missing.exit_code != 0 and "no such directory" in missing.stderr


def _mangle(path: Path) -> None:
    """The same documents, laid out another way: four-space indentation, single quotes."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=4, sequence=6, offset=4)
    yaml.width = 4096

    def swap(v):
        if isinstance(v, DoubleQuotedScalarString) and "'" not in v and "\\" not in v:
            return SingleQuotedScalarString(str(v))
        if isinstance(v, dict):
            for k in list(v):
                v[k] = swap(v[k])
        if isinstance(v, list):
            for i, x in enumerate(v):
                v[i] = swap(x)
        return v
    docs = [swap(d) for d in yaml.load_all(path.read_text())]
    with path.open("w") as fh:
        yaml.dump_all(docs, fh)


def test_the_example_workspace_is_formatted_and_fmt_restores_it(tmp_path):
    for written in (EXAMPLE, REPO / "reconciler" / "templates" / "workspace"):  # and `init`'s
        check = campaignctl("fmt", "--check", str(written))
        assert check.exit_code == 0, check.stdout + check.stderr

    ws = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    files = sorted([ws / "campaignctl.yaml", *ws.glob("*.yaml")])
    for path in files:
        _mangle(path)
    changed = campaignctl("fmt", str(ws))
    assert changed.exit_code == 0, changed.stderr
    assert len(changed.stdout.splitlines()) >= 5
    for path in files:
        assert same_but_comment_columns(path.read_text()) == same_but_comment_columns(
            (EXAMPLE / path.name).read_text()), path.name
    # ... and it plans as before: the expanded manifests are the same
    rendered = run_cli("render", "campaigns", "--env", "staging", cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == run_cli("render", "campaigns", "--env", "staging", cwd=REPO).stdout


def test_pre_commit_hooks_are_valid_and_their_entries_run(tmp_path):
    hooks = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list)
    by_id = {h["id"]: h for h in hooks}
    assert {"campaignctl-validate", "campaignctl-fmt", "campaignctl-fmt-check"} <= set(by_id)
    allowed = {"id", "name", "entry", "language", "files", "exclude", "types", "types_or",
               "exclude_types", "always_run", "fail_fast", "verbose", "pass_filenames",
               "require_serial", "description", "language_version", "minimum_pre_commit_version",
               "args", "stages", "additional_dependencies"}
    for hook in hooks:
        assert {"id", "name", "entry", "language"} <= set(hook) <= allowed, hook
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        re.compile(hook.get("files", ""))
    assert re.search(by_id["campaignctl-fmt"]["files"], "campaigns/groups.yml")

    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": CONFIG, "a.yaml": MESSY})

    def run_hook(hook_id: str):
        """As pre-commit runs it: the entry, the user's args (here the workspace)."""
        program, command, *args = by_id[hook_id]["entry"].split()
        assert program == "campaignctl" and command in cli.commands
        args = [command, *args]
        return run_cli(*args, *by_id[hook_id].get("args", []), str(ws))

    assert run_hook("campaignctl-fmt-check").returncode == 1  # not formatted: fails
    assert "a.yaml" in run_hook("campaignctl-fmt").stdout  # formats it
    assert campaignctl("fmt", "--check", str(ws)).exit_code == 0
    validate = run_hook("campaignctl-validate")
    assert validate.returncode == 1 and "a.yaml" in validate.stderr  # groups it names missing
