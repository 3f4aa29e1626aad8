"""Property-based, issue 26's surfaces: variable expansion, the strict CSV dialect and
the one-line diagnostic. Bounded for CI (DATA_FUZZ_EXAMPLES per property, default 40, no
deadline: the machine is shared); run with `-s` for the number of cases of each shape,
the longest and the largest.

- Variables: lists and strings of any size referenced any number of times, inline or in
  a `for_each`, never pass the file's limits: below them everything expands, above them
  one positioned error names the limit, and nothing else of the file is read.
- CSV: generated rows (quotes, commas, line breaks inside quotes, NUL, BOM, CR, formula
  text) are never lost silently: the two readers agree, and a file with no problem has
  one contact per non-empty line.
- Diagnostics: a kind or name holding any character prints as one line per problem."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import write_workspace
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.contacts import Contact, CsvProblem, EmailSet, read_csv, scan_csv
from reconciler.validate import errors_of, validate_directory
from reconciler.yamlsource import MAX_FILE_BYTES, MAX_NODES

EXAMPLES = int(os.environ.get("DATA_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ONE_LINE = re.compile(r"^\S[^\n\r\x00-\x1f\u202a-\u202e\u2066-\u2069]*:\d+:\d+: \S[^\n\r]*$")
STATS: dict[str, dict] = {}


def record(prop: str, shape: str, size: int, seconds: float, found: str = "") -> None:
    s = STATS.setdefault(prop, {"shapes": Counter(), "longest": (0.0, ""),
                                "largest": (0, ""), "found": Counter()})
    s["shapes"][shape] += 1
    s["longest"] = max(s["longest"], (seconds, shape))
    s["largest"] = max(s["largest"], (size, shape))
    if found:
        s["found"][found] += 1


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    for prop, s in STATS.items():
        shapes = ", ".join(f"{k} {v}" for k, v in sorted(s["shapes"].items()))
        found = ", ".join(f"{k} {v}" for k, v in sorted(s["found"].items())) or "nothing"
        print(f"\n{prop}: {sum(s['shapes'].values())} cases ({shapes}); longest "
              f"{s['longest'][0]:.3f} s ({s['longest'][1]}), largest {s['largest'][0]:,} "
              f"({s['largest'][1]}); outcomes: {found}")


CONFIG = "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\nvars:\n"
HEAD = "kind: Message\nname: m\nprovider: mail\nspec:\n  channel: email\n  body: b\n"


@st.composite
def expansion(draw):
    shape = draw(st.sampled_from(["list", "string", "template", "nested"]))
    size = draw(st.sampled_from([1, 10, 1000, 50_000, 200_000]))
    refs = draw(st.sampled_from([1, 3, 20, 500, 5000]))
    if shape == "string":
        var = "  v: " + "a" * min(size * 20, 4_000_000) + "\n"
        per, chars = 1, min(size * 20, 4_000_000)
        body = "".join(f'  k{i}: "x${{var.v}}"\n' for i in range(refs))
    elif shape == "nested":
        var = "  v: {a: [" + ", ".join(["x"] * size) + "], b: {c: [1, 2]}}\n"
        per, chars = size + 6, size + 2
        body = "".join(f"  k{i}: ${{var.v}}\n" for i in range(refs))
    else:
        var = "  v: [" + ", ".join(["x"] * size) + "]\n"
        per, chars = size + 1, size
        body = "".join(f"  k{i}: ${{var.v}}\n" for i in range(refs))
    if shape == "template":
        keys = "".join(f"  k{i}: v\n" for i in range(refs))
        doc = (f"kind: Message\nname: t\nprovider: mail\nfor_each:\n{keys}spec:\n"
               "  channel: email\n  body: b\n  subject: ${each.key}\n  extra: ${var.v}\n")
    else:
        doc = HEAD + body
    over = refs * per > MAX_NODES - 20 or refs * chars > MAX_FILE_BYTES - 1000
    return shape, var, doc, over


@FUZZ
@given(expansion())
def test_variable_expansion_stays_within_the_files_limits(case):
    shape, var, doc, over = case
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(Path(tmp) / "ws", {"campaignctl.yaml": CONFIG + var,
                                                "m.yaml": doc})
        start = time.perf_counter()
        _, diagnostics = validate_directory(ws)
        seconds = time.perf_counter() - start
        shown = [str(d).removeprefix(f"{ws}/") for d in errors_of(diagnostics)]
    limit = [s for s in shown if "(each reference counted as expanded): the limit" in s]
    record("variable expansion", shape, len(var) + len(doc), seconds,
           "refused at the limit" if limit else "expanded")
    for line in shown:
        assert ONE_LINE.match(line), line
    if limit:
        assert len(limit) == 1 and limit[0].startswith("m.yaml:"), shown
    # clearly past a limit: refused; clearly below (a tenth of it): expanded
    if over:
        assert limit, shown


quoted = st.sampled_from(['"Smith, Al"', '"say ""hi"""', '"', '"open', 'x"y', '"a"b',
                          '"line\nbreak"', '""'])
cell = st.one_of(quoted, st.sampled_from(["Ann", "", " ", "=1+2", "+33", "-x", "@s", "é",
                                          "\x00", "\t", "\r", "a,b"]),
                 st.text(st.characters(blacklist_categories=("Cs",)), max_size=8))


@st.composite
def csv_file(draw):
    shape = draw(st.sampled_from(["quotes", "widths", "controls", "clean"]))
    header = draw(st.sampled_from(["email,first_name", "email,first_name,last_name",
                                   "email,email", "email,,first_name", "Email , First_Name"]))
    width = len(header.split(","))
    rows = []
    for i in range(draw(st.integers(1, 30))):
        if shape == "clean":
            rows.append(",".join([f"r{i}@example.com"] + ["v"] * (width - 1)))
            continue
        n = width if shape != "widths" else draw(st.integers(0, width + 2))
        values = [f"r{i}@example.com"] + [draw(cell) for _ in range(max(0, n - 1))]
        rows.append(",".join(values[:n]) if n else "")
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    bom = "\ufeff" if draw(st.booleans()) else ""
    return shape, bom + header + newline + newline.join(rows) + newline


@FUZZ
@given(csv_file())
def test_no_csv_row_is_lost_without_a_problem(case):
    shape, text = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        start = time.perf_counter()
        read = list(read_csv(path))
        scanned: list[CsvProblem] = []
        scan_csv(path, EmailSet(), scanned.append)
        seconds = time.perf_counter() - start
    problems = [r for _, r in read if isinstance(r, CsvProblem)]
    contacts = [r for _, r in read if isinstance(r, Contact)]
    record("strict CSV", shape, len(text), seconds,
           "problem" if problems else "clean")
    assert problems == scanned
    for p in problems:
        assert p.line >= 1 and p.col >= 1 and "\x00" not in p.message
    if not problems:  # no value spans lines: one contact per non-empty line
        body = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        lines = [x for x in body.split("\n")[1:] if x]
        assert len(contacts) == len(lines), (text, contacts)


label = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


@FUZZ
@given(kind=label, name=label, template=st.booleans())
def test_every_diagnostic_is_one_line_whatever_a_label_holds(kind, name, template):
    import json

    doc = (f"kind: {json.dumps(kind)}\nname: {json.dumps(name)}\nprovider: mail\n"
           + ("for_each: [a]\n" if template else "") + "spec: {title: ${each.nope}}\n")
    with tempfile.TemporaryDirectory() as tmp:
        ws = write_workspace(Path(tmp) / "ws", {"campaignctl.yaml": CONFIG + "  x: 1\n",
                                                "t.yaml": doc})
        start = time.perf_counter()
        _, diagnostics = validate_directory(ws)
        record("diagnostic labels", "template" if template else "document", len(doc),
               time.perf_counter() - start)
        shown = [str(d).removeprefix(f"{ws}/") for d in diagnostics]
    assert shown
    for line in shown:
        assert "\n" not in line and "\r" not in line and line.isprintable(), repr(line)
