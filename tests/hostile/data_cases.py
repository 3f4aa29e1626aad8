"""Issue 26's workspaces: data around the loader (variables, CSV quirks, files refused
where a rule reads them, labels with control characters). Same shape as `cases.py`: each
copies the example workspace and breaks it one way; the console script must end in exit 1
with one-line `file:line:col: message` errors naming the problem."""

from __future__ import annotations

import os
from pathlib import Path

from hostile.cases import BY_NAME, CASES, Case, _add, _edit, _outside_target

VARIABLE_DOC = "kind: Message\nname: expanded\nprovider: mail\nspec:\n"


def _vars(ws: Path, text: str) -> None:
    _edit(ws / "campaignctl.yaml", "vars:\n  sale_year: 2027", f"vars:\n  sale_year: 2027\n{text}")


def case_var_big_list(ws: Path) -> None:
    _vars(ws, "  big: [" + ", ".join(["x"] * 200_000) + "]")
    _add(ws, "expansion.yaml", VARIABLE_DOC + "".join(f"  k{i}: ${{var.big}}\n"
                                                      for i in range(5000)))


def case_var_medium_list(ws: Path) -> None:
    _vars(ws, "  big: [" + ", ".join(["x"] * 2000) + "]")
    _add(ws, "expansion.yaml", VARIABLE_DOC + "".join(f"  k{i}: ${{var.big}}\n"
                                                      for i in range(20_000)))


def case_var_long_text(ws: Path) -> None:
    _vars(ws, "  s: " + "a" * 4_000_000)
    _add(ws, "expansion.yaml", VARIABLE_DOC + '  body: "' + "${var.s}" * 8 + '"\n')


def case_var_template_copies(ws: Path) -> None:
    _vars(ws, "  big: [" + ", ".join(["x"] * 300) + "]")
    keys = "".join(f"  k{i}: v\n" for i in range(4000))
    _add(ws, "expansion.yaml", "kind: Message\nname: t\nprovider: mail\nfor_each:\n" + keys
         + "spec:\n  extra: ${var.big}\n")


def _csv(ws: Path, text: str | bytes) -> None:
    if isinstance(text, bytes):
        (ws / "subscribers.csv").write_bytes(text)
    else:
        (ws / "subscribers.csv").write_text(text)


def case_csv_unclosed_quote(ws: Path) -> None:
    _csv(ws, 'email,first_name\na@example.com,"Alice\nb@example.com,Bob\nc@example.com,Carol\n')


def case_csv_duplicate_header(ws: Path) -> None:
    _csv(ws, "email,email\na@example.com,b@example.com\n")


def case_csv_empty_header(ws: Path) -> None:
    _csv(ws, "email,,first_name\na@example.com,,Ann\n")


def case_csv_nul_cell(ws: Path) -> None:
    _csv(ws, b"email,first_name\na@example.com,An\x00n\n")


def case_csv_fewer_fields(ws: Path) -> None:
    _csv(ws, "email,first_name,last_name\na@example.com,Ann\n")


def case_csv_more_fields(ws: Path) -> None:
    _csv(ws, "email,first_name\na@example.com,Ann,Lee\n")


def case_csv_empty_file_name(ws: Path) -> None:
    _edit(ws / "groups.yaml", "file: subscribers.csv", 'file: ""')


def _sms_optout_file(ws: Path, value: str) -> None:
    _edit(ws / "sms.yaml", '    - "+33655667788"\n', f'    - "+33655667788"\n  file: {value}\n')
    # another problem elsewhere: it must be reported too, not dropped
    _edit(ws / "senders.yaml", "email: news@acme.example", "email: not-an-email")


def case_sms_optout_absolute(ws: Path) -> None:
    _sms_optout_file(ws, "/dev/zero")


def case_sms_optout_dotdot(ws: Path) -> None:
    _sms_optout_file(ws, f"../{_outside_target(ws).name}")


def case_sms_optout_long(ws: Path) -> None:
    _sms_optout_file(ws, "x" * 300 + ".csv")


def case_sms_optout_folder(ws: Path) -> None:
    (ws / "folder.csv").mkdir()
    _sms_optout_file(ws, "folder.csv")


def case_sms_optout_symlink_out(ws: Path) -> None:
    os.symlink(_outside_target(ws), ws / "linked.csv")
    _sms_optout_file(ws, "linked.csv")


def case_sms_optout_fifo(ws: Path) -> None:
    os.mkfifo(ws / "pipe.csv")
    _sms_optout_file(ws, "pipe.csv")


def case_template_kind_control(ws: Path) -> None:
    _add(ws, "template.yaml", 'kind: "Campaign\\n\\u202e+ create Fake/x"\nname: t\n'
                              "provider: mail\nfor_each: [a]\nspec: {}\n")


DATA_CASES: list[Case] = [
    Case("var_big_list", case_var_big_list, "expansion.yaml", "values in this file"),
    Case("var_medium_list", case_var_medium_list, "expansion.yaml", "values in this file"),
    Case("var_long_text", case_var_long_text, "expansion.yaml", "MiB of text"),
    Case("var_template_copies", case_var_template_copies, "expansion.yaml",
         "values in this file"),
    Case("csv_unclosed_quote", case_csv_unclosed_quote, "subscribers.csv:2:15",
         "not closed on its line"),
    Case("csv_duplicate_header", case_csv_duplicate_header, "subscribers.csv:1:7",
         "named twice"),
    Case("csv_empty_header", case_csv_empty_header, "subscribers.csv:1:7", "has no name"),
    Case("csv_nul_cell", case_csv_nul_cell, "subscribers.csv:2:17", "NUL byte"),
    Case("csv_fewer_fields", case_csv_fewer_fields, "subscribers.csv:2:19",
         "expected 3 columns"),
    Case("csv_more_fields", case_csv_more_fields, "subscribers.csv:2:19",
         "expected 2 columns"),
    Case("csv_empty_file_name", case_csv_empty_file_name, "groups.yaml:18:9",
         "at least 1 character"),
    Case("sms_optout_absolute", case_sms_optout_absolute, "sms.yaml:38:9",
         "OptOutList/sms-stop: file '/dev/zero': an absolute path"),
    Case("sms_optout_dotdot", case_sms_optout_dotdot, "sms.yaml:38:9",
         "OptOutList/sms-stop: file '../outside-secret.csv' is outside the workspace"),
    Case("sms_optout_long", case_sms_optout_long, "sms.yaml:38:9", "OptOutList/sms-stop"),
    Case("sms_optout_folder", case_sms_optout_folder, "sms.yaml:38:9",
         "OptOutList/sms-stop: CSV file is a directory"),
    Case("sms_optout_symlink_out", case_sms_optout_symlink_out, "sms.yaml:38:9",
         "OptOutList/sms-stop: file 'linked.csv'"),
    Case("sms_optout_fifo", case_sms_optout_fifo, "sms.yaml:38:9",
         "OptOutList/sms-stop: CSV file is a named pipe"),
    Case("template_kind_control", case_template_kind_control, "template.yaml",
         "Campaign\\n\\u202e+ create Fake/x"),
]
DATA_BY_NAME = {c.name: c for c in DATA_CASES}
#: issue 18's cases and these, for the benchmark that runs them all
ALL_CASES = CASES + DATA_CASES
ALL_BY_NAME = {**BY_NAME, **DATA_BY_NAME}
