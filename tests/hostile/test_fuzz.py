"""Property-based: hostile YAML manifests and hostile CSV files, generated, never get past
the loader as an exception; every problem is a diagnostic (`file:line:col: message` where
a position exists). A bounded number of examples per property (HOSTILE_FUZZ_EXAMPLES,
default 60); run with `-s` to see how many cases of which shapes ran, and the slowest and
largest."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from hostile.cases import EXAMPLE, copy_example
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.contacts import CsvProblem, read_csv
from reconciler.validate import validate_directory

EXAMPLES = int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
DIAGNOSTIC = re.compile(r"^\S.*?(:\d+:\d+)?: \S")
HEAD = "kind: Message\nname: fuzzed\nprovider: mail\nspec:\n"
STATS: dict[str, dict] = {}


def record(prop: str, shape: str, size: int, seconds: float) -> None:
    s = STATS.setdefault(prop, {"shapes": Counter(), "longest": (0.0, ""), "largest": (0, "")})
    s["shapes"][shape] += 1
    s["longest"] = max(s["longest"], (seconds, shape))
    s["largest"] = max(s["largest"], (size, shape))


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    for prop, s in STATS.items():
        shapes = ", ".join(f"{k} {v}" for k, v in sorted(s["shapes"].items()))
        print(f"\n{prop}: {sum(s['shapes'].values())} cases ({shapes}); longest "
              f"{s['longest'][0]:.3f} s ({s['longest'][1]}), largest {s['largest'][0]:,} "
              f"bytes ({s['largest'][1]})")


scalars = st.sampled_from(["x", "1", "-0", "0x1F", "1e400", "9" * 40, ".inf", "~", "yes",
                           "'q'", '"\\0"', '"\\x01"', "2027-13-45T99:00:00Z", "<<", "&a x",
                           "*a", "é" * 300, "[", "]", "{", "}", "?", ":", "- ", "|", ">"])
tags = st.sampled_from(["!!int", "!!float", "!!bool", "!!null", "!!str", "!!binary", "!!set",
                        "!!omap", "!!timestamp", "!custom", "!", "!<tag:x>", "!!map", "!!seq"])


@st.composite
def alias_bomb(draw):
    levels, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    lines = [f"  l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"  l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return HEAD + "\n".join(lines) + "\n"


@st.composite
def recursive_alias(draw):
    inner = draw(st.sampled_from(["[*a]", "{me: *a}", "[x, [y, *a]]", "{k: [*a]}"]))
    return HEAD + f"  x: &a {inner}\n"


@st.composite
def deep(draw):
    depth = draw(st.integers(1, 5000))
    if draw(st.booleans()):
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}")]))
        return HEAD + "  x: " + opener * depth + "1" + closer * depth + "\n"
    depth = min(depth, 300)
    return HEAD + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(depth)) + \
        "  " * (depth + 1) + "v\n"


@st.composite
def many_documents(draw):
    n = draw(st.integers(1, 6000))
    return "---\n".join(f"kind: Sender\nname: s{i}\nprovider: mail\nspec: {{email: "
                        f"s{i}@acme.example}}\n" for i in range(n))


@st.composite
def tagged(draw):
    lines = []
    for i in range(draw(st.integers(1, 8))):
        tag, value = draw(tags), draw(scalars)
        lines.append(f"  {tag} k{i}: v" if draw(st.booleans()) else f"  k{i}: {tag} {value}")
    return HEAD + "\n".join(lines) + "\n"


@st.composite
def mutated(draw):
    text = (EXAMPLE / "sms.yaml").read_text()
    for _ in range(draw(st.integers(1, 12))):
        at = draw(st.integers(0, len(text)))
        piece = draw(st.one_of(scalars, tags, st.text(max_size=8),
                               st.sampled_from(["\t", "\n  ", "\x00", "\ufeff", "\r", "---"])))
        cut = draw(st.integers(0, 4))
        text = text[:at] + piece + text[at + cut:]
    return text


@st.composite
def raw_bytes(draw):
    data = HEAD.encode() + draw(st.binary(max_size=400))
    return data


YAML_SHAPES = {"alias_bomb": alias_bomb(), "recursive_alias": recursive_alias(),
               "deep_nesting": deep(), "many_documents": many_documents(),
               "tagged": tagged(), "mutated": mutated(), "raw_bytes": raw_bytes()}


@FUZZ
@given(st.sampled_from(sorted(YAML_SHAPES)).flatmap(
    lambda shape: st.tuples(st.just(shape), YAML_SHAPES[shape])))
def test_hostile_yaml_is_only_ever_diagnostics(case):
    shape, content = case
    with tempfile.TemporaryDirectory() as tmp:
        ws = copy_example(Path(tmp) / "ws")
        data = content if isinstance(content, bytes) else content.encode("utf-8",
                                                                          "surrogatepass")
        (ws / "fuzzed.yaml").write_bytes(data)
        start = time.perf_counter()
        _, diagnostics = validate_directory(ws)
        record("hostile YAML", shape, len(data), time.perf_counter() - start)
    for d in diagnostics:
        assert DIAGNOSTIC.match(str(d)), str(d)
        assert "\x00" not in str(d)


header_names = st.sampled_from(["email", "phone", "first_name", "last_name", "param1",
                                "Email ", "e\x00mail", "x" * 100, "\x01\x02", "naïve",
                                "=cmd()", "", '"quoted"'])
cells = st.one_of(st.sampled_from(["a@example.com", "+33612345678", "Ada", "", '"', '""',
                                   "\x00", "a" * 70_000, "\r", "bad@", "+1"]),
                  st.text(max_size=20))


@st.composite
def hostile_csv(draw):
    shape = draw(st.sampled_from(["wide_rows", "bad_header", "quotes_and_controls",
                                  "long_line", "raw_bytes"]))
    if shape == "raw_bytes":
        return shape, b"email,phone\n" + draw(st.binary(max_size=600))
    header = draw(st.lists(header_names, min_size=1, max_size=12 if shape == "bad_header"
                           else 3))
    if shape == "wide_rows":
        rows = [",".join(["a@example.com"] + [""] * draw(st.integers(0, 3000)))
                for _ in range(draw(st.integers(1, 5)))]
    elif shape == "long_line":
        rows = ["a@example.com," + "x" * draw(st.integers(60_000, 200_000))]
    else:
        rows = [",".join(draw(st.lists(cells, min_size=1, max_size=6)))
                for _ in range(draw(st.integers(1, 20)))]
    text = ",".join(header) + "\n" + "\n".join(rows) + "\n"
    return shape, text.encode("utf-8", "surrogatepass")


@FUZZ
@given(hostile_csv())
def test_hostile_csv_is_only_ever_problems_with_a_line(case):
    shape, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        path.write_bytes(data)
        start = time.perf_counter()
        rows = list(read_csv(path))
        record("hostile CSV", shape, len(data), time.perf_counter() - start)
    for line, row in rows:
        assert line >= 1
        if isinstance(row, CsvProblem):
            assert "\x00" not in row.message and len(row.message) < 2000
