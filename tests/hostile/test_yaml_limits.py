"""The manifest loader on hostile YAML: every problem a `file:line:col` diagnostic naming
its limit, nothing raised, nothing expanded past the limits."""

from __future__ import annotations

import pytest

from reconciler import yamlsource
from reconciler.yamlsource import load_file, parse_text


def problems(text: str) -> list[str]:
    _, diagnostics = parse_text(text, "m.yaml")
    return [str(d) for d in diagnostics]


def test_values_keep_positions_for_keys_values_and_items():
    docs, errors = parse_text("kind: Sender\nspec:\n  list: [a, {b: 1}]\n  s: x\n", "m.yaml")
    assert errors == []
    doc = docs[0]
    assert doc.data == {"kind": "Sender", "spec": {"list": ["a", {"b": 1}], "s": "x"}}
    assert str(doc.locate(("spec", "s"))) == "m.yaml:4:6"  # a scalar: its value
    assert str(doc.locate(("spec", "list"))) == "m.yaml:3:3"  # a container: its key
    assert str(doc.locate(("spec", "list", 1, "b"))) == "m.yaml:3:17"
    assert str(doc.locate_key(("spec", "s"))) == "m.yaml:4:3"


def test_scalars_are_yaml_1_2_like_ruamel_and_timestamps_stay_strings():
    docs, _ = parse_text("a: yes\nb: on\nc: 017\nd: 0x1f\ne: ~\nf: 1_000\ng: .5\n"
                         "h: 2027-03-20T09:00:00-04:00\ni: '12'\nj: true\n", "m.yaml")
    assert docs[0].data == {"a": "yes", "b": "on", "c": 17, "d": 31, "e": None, "f": 1000,
                            "g": 0.5, "h": "2027-03-20T09:00:00-04:00", "i": "12", "j": True}


def test_merge_keys_merge_and_written_keys_win():
    docs, errors = parse_text("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert errors == [] and docs[0].data["m"] == {"y": 3, "x": 1}


@pytest.mark.parametrize("text, where, says", [
    ("x: &a [*a]\n", "1:8", "recursive alias *a"),
    ("spec: &c\n  me: *c\n", "2:7", "recursive alias *c"),
    ("x: *nothing\n", "1:4", "refers to no anchor"),
    ("a: !!int 'k'\n", "1:4", "'k' is not a valid !!int"),
    ('!!float "k": 1\n', "1:1", "'k' is not a valid !!float"),
    ("a: !custom x\n", "1:4", "unsupported tag '!custom'"),
    ("a: !!binary aGk=\n", "1:4", "unsupported tag"),
    ('a: "x\\0y"\n', "1:4", "NUL character"),
    ("a: " + "9" * 30 + "\n", "1:4", "number too large"),
    ("a: 9223372036854775808\n", "1:4", "number too large"),
    ("a: 1e400\n", "1:4", "out of range"),
    ("a: 1\na: 2\n", "2:1", "duplicate key 'a' (first at line 1, column 1)"),
    ("? [a]\n: b\n", "1:3", "a mapping key must be a string"),
    ("a: [b\n", "2:1", "YAML syntax error"),
    ("a:\tb: c\n", "1:5", "YAML syntax error"),
    ("a: \x01\n", "1:4", "#x0001 is not allowed"),
])
def test_each_problem_is_one_positioned_diagnostic(text, where, says):
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(f"m.yaml:{where}: ") and says in found[0], found


def test_billion_laughs_stops_at_the_alias_depth_limit():
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 6)}]" for i in range(1, 10)]
    found = problems("\n".join(lines) + "\n")
    assert found == [f"m.yaml:6:10: aliases nested more than {yamlsource.MAX_ALIAS_DEPTH} "
                     "deep (*l4; the limit)"]


def test_alias_count_and_expanded_size_are_limited(monkeypatch):
    many = "a: &a x\n" + "".join(f"k{i}: *a\n" for i in range(yamlsource.MAX_ALIASES + 1))
    assert f"more than {yamlsource.MAX_ALIASES} aliases" in problems(many)[0]
    monkeypatch.setattr(yamlsource, "MAX_NODES", 50)
    wide = "a: &a [" + ", ".join(["x"] * 20) + "]\nb: [*a, *a, *a]\n"
    assert "more than 50 values in one file (counting aliases as expanded)" in problems(wide)[0]


def test_nesting_depth_is_limited_without_recursion():
    deep = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    assert problems(deep)[0].endswith(f"nested deeper than {yamlsource.MAX_DEPTH} levels "
                                      "(the limit)")
    block = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n"
    found = problems(block)
    assert found == [f"m.yaml:{yamlsource.MAX_DEPTH + 1}:{2 * yamlsource.MAX_DEPTH + 1}: "
                     f"nested deeper than {yamlsource.MAX_DEPTH} levels (the limit)"]


def test_document_count_is_limited_and_the_file_is_refused_whole(monkeypatch):
    monkeypatch.setattr(yamlsource, "MAX_DOCUMENTS", 3)
    docs, found = parse_text("---\n".join(f"n: {i}\n" for i in range(5)), "m.yaml")
    assert docs == []
    assert [str(d) for d in found] == ["m.yaml:6:1: more than 3 documents in one file (the "
                                       "limit): split the file"]


def test_a_document_with_a_bad_value_is_marked_and_others_are_not():
    docs, found = parse_text("a: 1\n---\nb: !!int x\n---\nc: 3\n", "m.yaml")
    assert [d.broken for d in docs] == [False, True, False] and len(found) == 1


def test_non_utf8_byte_gets_its_line_and_column(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_bytes("kind: Sender\nspec:\n  description: Acmé \xff\n".encode("latin-1"))
    _, found = load_file(path, "m.yaml", tmp_path)
    # line 3: "  description: Acm" then 0xe9 (é in Latin-1) is the first invalid byte
    assert [str(d) for d in found] == ["m.yaml:3:19: not UTF-8 text (an invalid byte here)"]


def test_file_size_is_limited(tmp_path, monkeypatch):
    monkeypatch.setattr(yamlsource, "MAX_FILE_BYTES", 100)
    (tmp_path / "m.yaml").write_text("a: " + "x" * 200 + "\n")
    _, found = load_file(tmp_path / "m.yaml", "m.yaml", tmp_path)
    assert len(found) == 1 and str(found[0]).startswith("m.yaml:1:1: file is ")
    assert "larger than the limit of" in str(found[0])
