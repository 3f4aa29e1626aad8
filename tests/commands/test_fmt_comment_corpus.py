"""`fmt` keeps every comment wherever YAML allows one, and every file's mode (issue 26).

A generated corpus: manifests with a numbered comment in each position YAML allows, in
block and in flow style (after `[` and `{`, after an item, before the closing bracket,
between keys of a flow mapping over lines, after a block item, above and after keys,
at the start and the end of a document, after `---`), alone and combined, with keys out of
order so that fmt has work to do. For each: every comment is in the output (counted),
the output means the same, and a second fmt changes nothing (`fmt --check` exits 0)."""

from __future__ import annotations

import itertools
import os
import re
import stat

import pytest
from conftest import cli_in_process, write_workspace
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.fmt import comments, format_text
from reconciler.yamlsource import parse_text, plain

#: One manifest with a slot `{cN}` at every place a comment can go; a slot left empty
#: is removed. Keys are out of the canonical order (spec before kind).
TEMPLATE = """{c0}
spec:{c1}
  title: "VIPs # not a comment"{c2}
{c3}
  contacts: [{c4}
    {{email: a@example.com,{c5}
     first_name: Ann}},{c6}
    {{email: b@example.com}}{c7}
  ]{c8}
  tags: [x, y]{c9}
  block:{c10}
    - one{c11}
{c12}
    - two
  flow_map: {{a: 1,{c13}
    b: 2{c14}
  }}{c15}
kind: ContactGroup{c16}
{c17}
name: vips{c18}
provider: mail{c19}
{c20}"""
SLOTS = 21
#: the slots at the start of a line take a whole-line comment; the others an end-of-line one
LINE_SLOTS = {0, 3, 12, 17, 20}


def render(chosen: set[int]) -> str:
    fill = {}
    for n in range(SLOTS):
        if n not in chosen:
            fill[f"c{n}"] = ""
        elif n in LINE_SLOTS:
            fill[f"c{n}"] = f"  # comment {n}"
        else:
            fill[f"c{n}"] = f" # comment {n}"
    text = TEMPLATE.format(**fill)
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"


def check(text: str) -> str:
    out = format_text(text)
    assert sorted(comments(out)) == sorted(comments(text)), (text, out)
    for c in re.findall(r"# comment \d+", text):
        assert c in out, (c, out)
    before, _ = parse_text(text, "m.yaml")
    after, problems = parse_text(out, "m.yaml")
    assert not problems and [plain(d.data) for d in after] == [plain(d.data) for d in before]
    assert format_text(out) == out, out  # fmt --check after fmt: nothing to do
    return out


CORPUS = [set()] + [{n} for n in range(SLOTS)] + [set(range(SLOTS))] + [
    set(pair) for pair in itertools.combinations(range(SLOTS), 2) if pair[1] - pair[0] <= 2]


@pytest.mark.parametrize("chosen", CORPUS, ids=lambda c: "-".join(map(str, sorted(c))) or "none")
def test_every_comment_position_is_kept(chosen):
    check(render(chosen))


@settings(max_examples=60, deadline=None)
@given(st.sets(st.integers(0, SLOTS - 1)))
def test_any_combination_of_comment_positions_is_kept(chosen):
    check(render(chosen))


def test_block_style_documents_are_still_formatted_and_keep_their_comments():
    text = ("spec:  # the spec\n  # above title\n  title: 'x'  # after title\n"
            "kind: Sender  # the kind\nname: s\nprovider: mail\n# the end\n")
    out = check(text)
    assert out.startswith("kind: Sender  # the kind\n"), out  # reordered, comments kept
    assert 'title: "x"' in out


def test_a_multi_document_file_keeps_the_comment_after_its_separator():
    text = render({4, 5}) + "--- # second\n" + render({0, 16})
    check(text)


def test_fmt_keeps_file_modes_and_fmt_check_passes_after_it(tmp_path, capsys):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n",
        "vips.yaml": render(set(range(SLOTS))),
        "sender.yaml": "spec: {email: s@acme.example}\nkind: Sender\nname: s\nprovider: mail\n",
    })
    os.chmod(ws / "vips.yaml", 0o600)
    os.chmod(ws / "sender.yaml", 0o640)
    code, out = cli_in_process(capsys, "fmt", str(ws))
    assert code == 0, out
    assert (ws / "sender.yaml").read_text().startswith("kind: Sender"), "not formatted"
    assert stat.S_IMODE(os.stat(ws / "vips.yaml").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(ws / "sender.yaml").st_mode) == 0o640
    assert not list(ws.glob(".*.fmt.tmp"))
    code, out = cli_in_process(capsys, "fmt", str(ws), "--check")
    assert code == 0, out
