"""docs/reference/ is written from the command line itself (reconciler/tools/reference.py):
one page per command and the JSON formats from their schemas. The committed pages must be
what the CLI says now."""

from __future__ import annotations

import subprocess
import sys

import click

from reconciler.tools import reference


def test_the_committed_reference_pages_are_current():
    stale = reference.stale()
    assert not stale, (f"stale: {stale}; run `python -m reconciler.tools.reference`")


def test_every_command_has_a_page_with_each_of_its_options():
    pages = reference.pages()
    for path, command, _ in reference.commands():
        page = pages[reference.page_name(path)]
        assert f"# `campaignctl {' '.join(path)}`" in page
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert f"`{param.opts[0]}`" in page, (path, param.opts)
        assert f"]({reference.page_name(path)})" in pages["index.md"]
    formats = pages["formats.md"]
    for name in ("plan.schema.json", "apply-events.schema.json", "status.schema.json"):
        assert f"## `{name}`" in formats
    assert "### event `batch_unknown`" in formats


def test_a_changed_option_makes_the_pages_stale(tmp_path, monkeypatch):
    reference.write(tmp_path)
    assert reference.stale(tmp_path) == []
    plan = reference.cli.commands["plan"]
    option = next(p for p in plan.params if p.name == "detailed_exitcode")
    monkeypatch.setattr(option, "help", "Something else.")
    assert reference.stale(tmp_path) == ["plan.md"]
    (tmp_path / "gone.md").write_text("a command that no longer exists")
    assert "gone.md" in reference.stale(tmp_path)


def test_the_check_mode_passes_on_the_committed_pages():
    r = subprocess.run([sys.executable, "-m", "reconciler.tools.reference", "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
