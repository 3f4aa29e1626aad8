"""One renderer registry keyed by (view, format): every command's --format offers exactly
the registry's formats for its view, and each format prints what the command promises."""

from __future__ import annotations

import json

import click
import pytest

from reconciler.cli import cli
from reconciler.render.registry import RENDERERS, RenderOptions, formats, render
from tests.conftest import cli_in_process, write_workspace

COMMAND_VIEWS = {("plan",): "plan", ("show",): "plan", ("validate",): "validate",
                 ("status",): "status", ("state", "ledger", "unknown"): "ledger-unknown"}


def command(path: tuple[str, ...]) -> click.Command:
    cmd: click.Command = cli
    for name in path:
        assert isinstance(cmd, click.Group)
        cmd = cmd.commands[name]
    return cmd


@pytest.mark.parametrize("path", list(COMMAND_VIEWS), ids=" ".join)
def test_each_command_offers_the_registry_formats_of_its_view(path):
    [option] = [p for p in command(path).params if p.name == "fmt"]
    view = COMMAND_VIEWS[path]
    assert tuple(option.type.choices) == formats(view)
    assert option.default == "text" == formats(view)[0]


def test_every_view_of_the_registry_is_offered_by_a_command():
    assert {v for v, _ in RENDERERS} == set(COMMAND_VIEWS.values())
    assert formats("plan") == ("text", "json", "markdown", "html")
    assert formats("validate") == ("text", "json", "github")
    assert formats("status") == ("text", "json", "markdown")
    assert formats("ledger-unknown") == ("text", "json")


def test_an_unknown_format_names_the_view_s_choices():
    with pytest.raises(KeyError, match="'yaml' renderer for the view 'status' .*text, json, "
                                       "markdown"):
        render("status", "yaml", [])


def test_an_unknown_format_on_the_command_line_exits_1_with_the_choices(tmp_path, capsys):
    code, out = cli_in_process(capsys, "validate", str(tmp_path), "--format", "yaml")
    assert code == 1
    assert "'yaml' is not one of 'text', 'json', 'github'" in out
    assert "Traceback" not in out


BROKEN = {
    "campaignctl.yaml": "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n",
    "c.yaml": "kind: Campaign\nname: launch\nprovider: mail\nspec:\n  message: missing\n",
}


def test_validate_text_puts_errors_and_their_count_on_stderr(tmp_path, capsys):
    ws = write_workspace(tmp_path / "ws", BROKEN)
    from reconciler.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(ws)])
    out = capsys.readouterr()
    assert exit_.value.code == 1
    assert "Message 'missing' does not exist" in out.err
    assert out.err.rstrip().endswith("error.") or out.err.rstrip().endswith("errors.")
    assert "valid" not in out.out


def test_validate_json_and_github_carry_the_same_findings(tmp_path, capsys):
    ws = write_workspace(tmp_path / "ws", BROKEN)
    code, out = cli_in_process(capsys, "validate", str(ws), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["valid"] is False and doc["errors"] >= 1
    messages = [d["message"] for d in doc["diagnostics"]]
    code, out = cli_in_process(capsys, "validate", str(ws), "--format", "github")
    assert code == 1
    assert out.count("::error ") == doc["errors"]
    assert any("Message 'missing' does not exist" in m for m in messages)


def test_validate_text_quiet_keeps_errors_and_the_verdict_only():
    class D:
        def __init__(self, severity, text):
            self.severity, self.text = severity, text

        def __str__(self):
            return self.text

    found = [D("warning", "w: a warning"), D("error", "e: an error")]
    loud = render("validate", "text", found, RenderOptions(directory="ws"))
    quiet = render("validate", "text", found, RenderOptions(directory="ws", quiet=True))
    assert loud.stdout == "w: a warning" and loud.stderr == "e: an error\n1 error."
    assert quiet.stdout is None and quiet.stderr == "e: an error\n1 error."
    ok = render("validate", "text", found[:1], RenderOptions(directory="ws", environment="prod"))
    assert ok.stdout == "w: a warning\nws: valid (environment prod)." and ok.stderr is None


def test_ledger_unknown_renders_rows_for_people_and_machines():
    row = {"account": "sms", "vendor": "octopush", "campaign": "promo", "batch": 3,
           "status": "unknown", "recipients": 2, "ticket": None,
           "requested_at": "2027-03-20T09:00:00+00:00",
           "updated_at": "2027-03-20T09:00:05+00:00", "note": "timeout", "cost": None}
    text = render("ledger-unknown", "text", [row]).stdout
    assert text.splitlines()[0] == "batch 3: Campaign/promo on sms (octopush), 2 recipients, unknown"
    assert "  why unknown: timeout" in text and "no ticket" in text
    assert text.splitlines()[-1].startswith("1 batch. When you know:")
    assert render("ledger-unknown", "text", []).stdout == "No batch has an unknown outcome."
    assert json.loads(render("ledger-unknown", "json", [row]).stdout) == {"format_version": 1,
                                                                     "unknown_batches": [row]}
