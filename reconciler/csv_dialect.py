"""The CSV dialect contact and opt-out files are read in, strictly.

RFC 4180 as spreadsheets write it: UTF-8 (a byte-order mark is allowed and skipped),
`,` between values, `"` around a value that holds a `,` or a `"` (doubled inside), lines
ending in LF, CRLF or CR, one header row. Python's csv module is lenient where a contact
list must not be: an unclosed quote reads every following row into one value, a NUL byte
passes, duplicate or empty header names pass. Here each of those is an error at
`file:line:col`, and no row is ever dropped without one:

- a value cannot hold a line break, so a quote opened and not closed on its line is an
  error at that quote (the rows after it are not swallowed);
- text after a closing quote (`"Ann"x`) is an error (the reader's strict mode);
- a NUL byte anywhere is an error at its position;
- every header name is one of the known columns, once, and none is empty;
- every row has as many values as the header (an empty line is skipped; a row of empty
  values is a row without an address, an error).

Columns in messages are characters on the line (1-based), as for YAML.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from reconciler.workspace_files import (
    MAX_CSV_BYTES,
    CsvRefused,
    FileRefused,
    bounded_lines,
    open_csv,
    open_regular,
)


def reader(lines: Iterable[str]) -> Iterator[list[str]]:
    """The strict reader over `lines` (bounded_lines of an open_csv file, which refuses a
    NUL byte with its position: CsvRefused)."""
    return csv.reader(lines, strict=True)


def column(row: list[str], index: int) -> int:
    """The 1-based character column where value `index` of `row` starts (as written
    without quotes; past the last value: just after it)."""
    return 1 + sum(len(v) + 1 for v in row[:index])


def header_problem(header: list[str], known: tuple[str, ...]) -> tuple[int, str] | None:
    """(column, why) for a header row with an empty or repeated name, else None."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        if not key:
            return column(header, i), (f"header column {i + 1} has no name (the header names "
                                       f"each column once: {', '.join(known)})")
        if key in seen:
            return column(header, i), (f"column {key!r} is named twice in the header "
                                       f"(columns {seen[key] + 1} and {i + 1})")
        seen[key] = i
    return None


def width_problem(row: list[str], width: int) -> tuple[int, str]:
    """(column, why) for a row whose number of values is not the header's."""
    where = column(row, width) if len(row) > width else column(row, len(row))
    return where, f"expected {width} columns (as the header), got {len(row)}"


def spanning(start: int, end: int) -> str:
    return (f"a quoted value runs from line {start} to line {end}: a value cannot hold a "
            "line break (an unclosed quote?)")


def located_error(path: Path, exc: Exception, start: int) -> tuple[int, int, str]:
    """(line, column, message) of an error that stopped the reader in the record starting
    at line `start`: the position of the quote at fault, found by reading that line again
    (errors only)."""
    if isinstance(exc, CsvRefused):
        return exc.line, exc.col, exc.message
    if isinstance(exc, UnicodeDecodeError):
        line, col = _bad_byte(path) or (start, 1)
        return line, col, f"not UTF-8 text (an invalid byte here: {exc.reason})"
    text = _line(path, start)
    col, why = quote_problem(text) if text is not None else (0, "")
    if not col:
        return start, 1, f"unreadable CSV: {exc}"
    return start, col, why


def quote_problem(line: str) -> tuple[int, str]:
    """(column, why) of the first quoting error of one CSV line, or (0, "")."""
    text = line.rstrip("\r\n")
    i, n, field_start = 0, len(text), True
    while i < n:
        c = text[i]
        if c == ",":
            field_start, i = True, i + 1
        elif c == '"' and field_start:
            opened, i = i, i + 1
            while True:
                j = text.find('"', i)
                if j < 0:
                    return opened + 1, ("a quote opened here is not closed on its line (a "
                                        "value cannot hold a line break)")
                if text[j + 1:j + 2] == '"':
                    i = j + 2
                    continue
                i = j + 1
                break
            if i < n and text[i] != ",":
                return i + 1, "text after a closing quote (write \"\" for a quote inside)"
            field_start = False
        else:
            field_start, i = False, i + 1
    return 0, ""


def _bad_byte(path: Path) -> tuple[int, int] | None:
    """(line, column) of the first byte that is not UTF-8 (errors only: the reader decodes
    ahead of the row it is on, so its own position says less)."""
    try:
        with open_regular(path, MAX_CSV_BYTES, "CSV file") as fh:
            for number, raw in enumerate(fh, 1):
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    return number, len(raw[:exc.start].decode("utf-8", "replace")) + 1
    except (OSError, FileRefused):
        return None
    return None


def _line(path: Path, number: int) -> str | None:
    try:
        with open_csv(path) as fh:
            for i, line in enumerate(bounded_lines(fh), 1):
                if i == number:
                    return line
    except (OSError, csv.Error, UnicodeDecodeError, ValueError):
        return None
    return None
