"""${var.NAME} expansion counts against the limits of the file it happens in, at the
reference that passes them: a variable referenced many times is as large as the YAML it
stands for (issue 26)."""

from __future__ import annotations

from pathlib import Path

from conftest import write_workspace

from reconciler.validate import errors_of, validate_directory
from reconciler.yamlsource import MAX_FILE_BYTES, MAX_NODES

HEAD = "kind: Message\nname: m\nprovider: mail\nspec:\n"


def config(**variables: str) -> str:
    lines = "".join(f"  {k}: {v}\n" for k, v in variables.items())
    return f"providers:\n  mail: {{type: email-campaigns, base_url: sandbox}}\nvars:\n{lines}"


def errors(ws: Path) -> list[str]:
    _, diagnostics = validate_directory(ws)
    return [str(d).removeprefix(f"{ws}/") for d in errors_of(diagnostics)]


def test_a_list_referenced_many_times_stops_at_the_reference_past_the_value_limit(tmp_path):
    big = "[" + ", ".join(["x"] * 200_000) + "]"
    refs = "".join(f"  k{i}: ${{var.big}}\n" for i in range(5000))
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(big=big),
                                           "m.yaml": HEAD + refs})
    found = errors(ws)
    # k0..k3 bring 800,000 values; k4 passes 1,000,000 with the file's own: line 9
    assert found == [f"m.yaml:9:7: ${{var.big}} makes more than {MAX_NODES:,} values in this "
                     "file (each reference counted as expanded): the limit"]


def test_many_references_to_a_medium_list_are_refused_too(tmp_path):
    big = "[" + ", ".join(["x"] * 2000) + "]"
    refs = "".join(f"  k{i}: ${{var.big}}\n" for i in range(20_000))
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(big=big),
                                           "m.yaml": HEAD + refs})
    (line,) = errors(ws)
    assert line.startswith("m.yaml:") and "values in this file" in line


def test_text_built_from_references_counts_against_the_file_size(tmp_path):
    long = "a" * (2 * 1024 * 1024)
    body = "${var.s}" * 10
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": config(s=long),
        "m.yaml": HEAD + f'  channel: email\n  subject: hi\n  body: "{body}"\n'})
    (line,) = errors(ws)
    assert line.startswith("m.yaml:7:9: ${var.s} makes this file larger than "
                           f"{MAX_FILE_BYTES // 2**20} MiB of text")


def test_the_budget_is_the_files_own_documents_after_the_limit_are_not_read(tmp_path):
    big = "[" + ", ".join(["x"] * 500_001) + "]"
    doc = HEAD + "  k: ${var.big}\n"
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": config(big=big),
        "m.yaml": doc + "---\n" + doc.replace("name: m", "name: n"),
        "other.yaml": doc.replace("name: m", "name: o")})
    found = errors(ws)
    # the second reference in m.yaml passes the limit; other.yaml has a budget of its own
    # (its one reference fits) and fails only for the unknown field
    assert [e for e in found if "values in this file" in e] == [
        "m.yaml:11:6: ${var.big} makes more than 1,000,000 values in this file (each "
        "reference counted as expanded): the limit"]
    second = [e for e in found if e.startswith(("m.yaml:7:", "m.yaml:8:", "m.yaml:11:"))]
    assert len(second) == 1, found  # the document past the limit is not read further
    assert any(e.startswith("other.yaml:5:3") for e in found), found


def test_each_template_copy_counts_its_body(tmp_path):
    keys = "".join(f"    k{i}: v\n" for i in range(4000))
    items = ", ".join(["x"] * 300)
    doc = (f"kind: Message\nname: t\nprovider: mail\nfor_each:\n{keys}spec:\n"
           f"  channel: email\n  subject: ${{each.key}}\n  body: b\n  extra: [{items}]\n")
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(x=1), "t.yaml": doc})
    (line,) = errors(ws)
    assert line.startswith("t.yaml:4:1: Message/t: for_each key ") and "values" in line, line


def test_expansion_within_the_limits_is_untouched(tmp_path):
    big = "[" + ", ".join(f"g{i}" for i in range(3)) + "]"
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": config(big=big, subject="Spring"),
        "m.yaml": HEAD + "  channel: email\n  subject: ${var.subject} ${var.subject}\n"
                         "  body: b\n"})
    assert errors(ws) == []
