"""The plan's sample recipients carry each variable that takes a contact value: the
recipient's own value masked, the default (marked) when it has none, `(none)` when neither;
in the plan JSON, the text and Markdown details (as cmark-gfm renders them) and the HTML
report, never a real contact."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options
from conftest import run_cli, sandbox_accounts
from test_contact_values import connectly_ws

from reconciler.engine.actions import Action, SendSummary
from reconciler.engine.content import recipient_samples, send_content
from reconciler.engine.plan import Plan
from reconciler.render.html.content import samples_block
from reconciler.render.markdown import render_markdown
from reconciler.render.view import content_lines
from reconciler.workspace import load_workspace

PEOPLE = [("+14155551000", "Annabel", "Lee"), ("+14155551001", "", "Moss"),
          ("+14155551002", "", "")]
VARIABLES = ('{name: "${contact.first_name | default(\\"there\\")}", '
             'full: "${contact.first_name | default(\\"friend\\")} ${contact.last_name}", '
             'last: "${contact.last_name}", promo: SPRING}')


def workspace(root: Path, url: str = "https://connectly.invalid") -> Path:
    ws = connectly_ws(root, url, VARIABLES, [])
    (ws / "all.csv").write_text("phone,first_name,last_name\n"
                                + "".join(f"{p},{f},{n}\n" for p, f, n in PEOPLE))
    return ws


def test_samples_show_each_contact_variable_masked_defaulted_or_none(tmp_path):
    ws, diags = load_workspace(workspace(tmp_path / "ws"))
    assert not diags, diags
    campaign = ws.get("Campaign", "hello")
    variables = dict(campaign.spec.variables)
    got = send_content(ws, campaign, "whatsapp", {"variables": variables})["samples"]
    assert got == [
        {"to": "<phone>", "values": {"first_name": "A******", "last_name": "L**",
                                     "name": "A******", "full": "A****** L**", "last": "L**"}},
        {"to": "<phone>", "values": {"first_name": None, "last_name": "M***", "name": "there",
                                     "full": "friend M***", "last": "M***"},
         "defaulted": ["name", "full"]},
        # no first name, no last name: the defaults, and nothing for `last` (no default)
        # nor for `full` (half of it would be empty)
        {"to": "<phone>", "values": {"first_name": None, "last_name": None, "name": "there",
                                     "full": None, "last": None},
         "defaulted": ["name"]}]
    # nothing of anyone's own value beyond its first letter
    dumped = json.dumps(got)
    for _, first, last in PEOPLE:
        for value in filter(None, (first, last)):
            assert value not in dumped
    # no contact-valued variable and no placeholder: no samples at all
    assert recipient_samples(ws, campaign, "whatsapp", [], {}) == []


def test_a_partly_empty_template_is_none_not_half_a_value(tmp_path):
    ws, _ = load_workspace(workspace(tmp_path / "ws"))
    campaign = ws.get("Campaign", "hello")
    third = recipient_samples(ws, campaign, "whatsapp", [],
                              {"full": '${contact.first_name | default("friend")} '
                                       "${contact.last_name}"})[2]
    assert third == {"to": "<phone>", "values": {"full": None}}


SAMPLES = [{"to": "<phone>", "values": {"first_name": "A**", "name": "A**"}},
           {"to": "<phone>", "values": {"first_name": None, "name": "there"},
            "defaulted": ["name"]},
           {"to": "<phone>", "values": {"first_name": None, "name": None}}]


def send_plan() -> Plan:
    content = {"channel": "whatsapp", "sender": "+14155550100",
               "template": "hello version 1",
               "variables": {"name": '${contact.first_name | default("there")}'},
               "samples": SAMPLES}
    return Plan(actions=[Action("send", "Campaign", "hello", "wa", "not sent yet",
                                irreversible=True, content=content,
                                send=SendSummary(recipients=3, batches=1, send_at="now"))],
                live_fingerprint="x", workspace_digest="y")


def test_text_markdown_and_html_show_the_sample_values():
    line = ("  sample recipients: <phone> first_name=A**, name=A**; "
            "<phone> first_name=(none), name=there (default); "
            "<phone> first_name=(none), name=(none)")
    assert line in content_lines(send_plan().actions[0].content)

    # the Markdown comment, as GitHub renders it: the line whole, in the details' code block
    html = cmarkgfm.github_flavored_markdown_to_html(render_markdown(send_plan()),
                                                     options=Options.CMARK_OPT_UNSAFE)
    block = re.search(r"<pre><code>(.*?)</code></pre>", html, re.S)
    assert block, html
    assert line.strip().replace("<", "&lt;").replace(">", "&gt;") in block.group(1)

    report = samples_block(send_plan().actions[0].content)
    assert ('<td class="default">there <span class="muted">(default)</span></td>'
            in report)
    assert report.count('<td class="empty">(none)</td>') == 3
    assert "<td>A**</td>" in report and "&lt;phone&gt;" in report


def test_plan_markdown_of_a_connectly_campaign_shows_masked_samples(tmp_path, sandbox_server):
    ws = sandbox_accounts(workspace(tmp_path / "ws", sandbox_server.url))
    manifest = ws / "wa.yaml"  # only the variable the brief's campaigns use
    manifest.write_text(manifest.read_text().replace(
        f"variables: {VARIABLES}",
        'variables: {name: "${contact.first_name | default(\\"there\\")}"}'))
    md = run_cli("plan", str(ws), "--format", "markdown")
    assert md.returncode == 0, md.stdout + md.stderr
    assert ("sample recipients: <phone> first_name=A******, last_name=L**, name=A******; "
            "<phone> first_name=(none), last_name=M***, name=there (default); "
            "<phone> first_name=(none), last_name=(none), name=there (default)") in md.stdout, \
        md.stdout
    text = run_cli("plan", str(ws), "--show-contacts")
    assert "name=there (default)" in text.stdout  # the samples stay masked here too
    for out in (md.stdout, text.stdout):
        assert "Annabel" not in out and "Moss" not in out
    assert all(p not in md.stdout for p, _, _ in PEOPLE)
    html = run_cli("plan", str(ws), "--format", "html")
    assert html.returncode == 0, html.stdout + html.stderr
    page = html.stdout
    assert page.count('<td class="default">there <span class="muted">(default)</span>') == 2
    assert "<td>A******</td>" in page and "Annabel" not in page and "Moss" not in page
    # a saved plan holds them (the format's schema takes `defaulted`) and shows them again
    saved = tmp_path / "plan.json"
    assert run_cli("plan", str(ws), "-o", str(saved)).returncode == 0
    (send,) = [a for a in json.loads(saved.read_text())["actions"] if a["op"] == "send"]
    assert send["content"]["samples"][1]["defaulted"] == ["name"]
    shown = run_cli("show", str(saved), "--workspace", str(ws), "--format", "markdown")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "<phone> first_name=(none), last_name=M***, name=there (default)" in shown.stdout
