"""The CSV dialect is strict where Python's csv module is lenient (issue 26): an unclosed
quote, a duplicate or empty header, a NUL byte, a row of another width and `file: ""`
are errors at `file:line:col`, and no row is dropped without one. Both readers (the
checking pass and the rows) agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import write_workspace

from reconciler.contacts import Contact, CsvProblem, EmailSet, read_csv, scan_csv
from reconciler.validate import errors_of, validate_directory

CASES = {
    # an unclosed quote does not swallow the rows after it: the error is at the quote
    "unclosed_quote": ('email,first_name\na@example.com,"Alice\nb@example.com,Bob\n'
                       'c@example.com,Carol\n',
                       (2, 15, "a quote opened here is not closed on its line")),
    # ... nor when a later quote closes it
    "quote_closed_lines_later": ('email,first_name\na@example.com,"Alice\nb@example.com,"\n'
                                 'c@example.com,Carol\n',
                                 (2, 1, "a quoted value runs from line 2 to line 3")),
    "text_after_quote": ('email,first_name\na@example.com,"Al"ice\n',
                         (2, 19, "text after a closing quote")),
    "duplicate_header": ("email,email\na@example.com,b@example.com\n",
                         (1, 7, "column 'email' is named twice in the header")),
    "duplicate_header_case": ("email,First_Name,first_name \na@example.com,A,B\n",
                              (1, 18, "column 'first_name' is named twice")),
    "empty_header": ("email,,first_name\na@example.com,,A\n",
                     (1, 7, "header column 2 has no name")),
    "nul_in_cell": ("email,first_name\na@example.com,Al\x00ice\n",
                    (2, 17, "a NUL byte (\\0) is not allowed")),
    "nul_later": ("email\n" + "a@example.com\n" * 3 + "b@exa\x00mple.com\n",
                  (5, 6, "a NUL byte")),
    "more_values": ("email,first_name\na@example.com,A,extra\n",
                    (2, 17, "expected 2 columns (as the header), got 3")),
    "fewer_values": ("email,first_name,last_name\na@example.com,A\n",
                     (2, 17, "expected 3 columns (as the header), got 2")),
    "row_of_empty_values": ("email,first_name\n,\na@example.com,A\n",
                            (2, 1, "a contact needs an email or a phone")),
    "invalid_email_column": ("first_name,email\nAnn,not-an-email\n",
                             (2, 5, "row 2: invalid email")),
    # the reader decodes ahead of its row: the error names the byte's own line
    "not_utf8": ("email,first_name\n" + "a@example.com,Ann\n" * 3000
                 + "b@example.com,B\udcffob\n", (3002, 16, "not UTF-8 text")),
    "header_over_lines": ('"email\n",first_name\na@example.com,A\n',
                          (1, 1, "a quoted value runs from line 1 to line 2")),
}


def problems(path: Path) -> tuple[list[CsvProblem], list[CsvProblem]]:
    scanned: list[CsvProblem] = []
    scan_csv(path, EmailSet(), scanned.append)
    read = [r for _, r in read_csv(path) if isinstance(r, CsvProblem)]
    return scanned, read


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_lenient_case_is_an_error_at_its_position(tmp_path, name):
    text, (line, col, says) = CASES[name]
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    scanned, read = problems(path)
    assert scanned == read, (scanned, read)
    assert (scanned[0].line, scanned[0].col) == (line, col), scanned
    assert says in scanned[0].message, scanned


def test_the_documented_dialect_reads_every_row(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeffEmail , first_name,last_name\r\n"
                     'a@example.com,"Smith, ""Al""",=1+2\r\n'
                     "\r\n"  # an empty line is skipped
                     "b@example.com,B,@b\rc@example.com,C,-c\n".encode())
    rows = [r for _, r in read_csv(path)]
    assert all(isinstance(r, Contact) for r in rows), rows
    assert [(r.email, r.first_name, r.last_name) for r in rows] == [
        ("a@example.com", 'Smith, "Al"', "=1+2"), ("b@example.com", "B", "@b"),
        ("c@example.com", "C", "-c")]
    assert problems(path) == ([], [])


def test_validate_names_the_csv_position_and_an_empty_file_name(tmp_path):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n",
        "g.yaml": "kind: ContactGroup\nname: g\nprovider: mail\nspec: {file: g.csv}\n",
        "g.csv": CASES["unclosed_quote"][0],
        "o.yaml": 'kind: OptOutList\nname: o\nprovider: mail\nspec:\n  file: ""\n',
        "m.yaml": ('kind: Message\nname: m\nprovider: mail\nspec:\n  channel: email\n'
                   '  subject: s\n  body_file: ""\n'),
    })
    _, diagnostics = validate_directory(ws)
    shown = sorted(str(d).removeprefix(f"{ws}/") for d in errors_of(diagnostics))
    assert shown == [
        "g.csv:2:15: a quote opened here is not closed on its line (a value cannot hold a "
        "line break)",
        "m.yaml:7:14: spec.body_file: String should have at least 1 character",
        "o.yaml:5:9: spec.file: String should have at least 1 character",
    ]


def test_an_opt_out_email_starting_with_plus_is_an_email_not_a_phone(tmp_path):
    # found by the import round-trip fuzz: `+c@example.org` inline was read as a phone
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n",
        "o.yaml": ('kind: OptOutList\nname: o\nprovider: mail\nspec:\n'
                   '  entries: ["+c@example.org", "=x@example.org"]\n'),
    })
    _, diagnostics = validate_directory(ws)
    assert errors_of(diagnostics) == []
