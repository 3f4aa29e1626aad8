"""Control characters in any field a plan renders are shown escaped, never interpreted: a
`path` holding `\\r\\n+ create Fake/x` must not print as a forged action line in `plan` or
`show`, an ANSI escape must not clear the terminal, a bidi override must not reorder a line.
Every string field of every kind of action is tried, in text and Markdown."""

from __future__ import annotations

import json

import pytest
from plans import every_kind_plan

from reconciler.engine.actions import Action, FieldChange, SendSummary, SetChange
from reconciler.engine.plan import Plan
from reconciler.engine.plan_file import PlanFileError
from reconciler.engine.saved import read_saved, save_plan
from reconciler.engine.signing import PlanKey
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from reconciler.render.view import PlanView

FORGED = "+ create Fake/x"
EVIL = f"\r\n{FORGED}\x1b[2J\u202e\u2028\x85"
CONTROLS = ("\r", "\x1b", "\u202e", "\u2028", "\x85")


def hostile_plan() -> Plan:
    e = EVIL
    actions = [
        Action("transition", "Campaign", f"winter{e}", f"sched{e}", f"desired{e}",
               path=["DRAFT", f"SCHEDULED{e}"], depends_on=[f"Message/m{e}"],
               data={"policy": {"pack_version": f"1{e}", "purpose": f"p{e}",
                                "rules": [f"r{e}"], "waived": [f"w{e}"]},
                     "zones": {f"Europe/Paris{e}": 3},
                     "waves": [{"zone": f"z{e}", "local": f"l{e}", "utc": f"u{e}",
                                "recipients": 3}],
                     "window_warnings": [f"warn{e}"]}),
        Action("update", "ContactGroup", "vip", "mail", "differs",
               changes=[FieldChange(f"tag{e}", f"a{e}", f"b{e}")],
               sets=[SetChange(f"contacts{e}", add=1, remove=0, total_after=2, note=f"n{e}")]),
        Action("send", "Campaign", "flash", "sms", f"not sent yet{e}",
               send=SendSummary(recipients=3, batches=1, send_at=f"2027-04-01T10:00{e}",
                                timezone=f"Europe/Paris{e}", estimated_messages=3,
                                estimated_cost=1.0, currency=f"EUR{e}",
                                estimate_basis=f"basis{e}"),
               content={"channel": f"sms{e}", "sender": f"ACME{e}", "text": f"t{e}",
                        "subject": f"s{e}", "first_lines": [f"f{e}"], "body_format": f"b{e}",
                        "template": f"tpl{e}", "variables": {f"k{e}": f"v{e}"},
                        "segments": 1, "encoding": f"GSM{e}", "sample": f"x{e}"}),
        Action("refuse", "Campaign", "launched", "mail", f"frozen{e}"),
    ]
    return Plan(actions=actions, live_fingerprint="f" * 64, workspace_digest="d" * 64,
                environment=f"staging{e}", targets=[f"Campaign/winter{e}"],
                templates={f"Campaign/winter{e}": f"Campaign/t[{e}]"},
                policy={"pack_version": f"v{e}", "waived": [{"rule": f"r{e}",
                                                              "reason": f"why{e}"}]})


def assert_clean(text: str) -> None:
    for line in text.splitlines():
        assert not line.lstrip(" -*`").startswith(FORGED), line
    for c in CONTROLS:
        assert c not in text, repr(c)
    assert "\\r\\n+ create Fake/x\\x1b[2J\\u202e" in text  # shown, escaped


@pytest.mark.parametrize("render", [render_text, render_markdown])
def test_control_characters_in_every_field_are_escaped(render):
    view = PlanView(hostile_plan(), safety=[f"too many deletes{EVIL}"])
    assert_clean(render(view))


def test_show_of_a_saved_plan_escapes_them(tmp_path):
    """`show` renders a saved file: the same escaping, whatever the file holds."""
    path = tmp_path / "plan.json"
    save_plan(hostile_plan(), path, tmp_path, [f"s{EVIL}"], key=PlanKey(b"k" * 32))
    assert "\\r\\n+ create Fake/x" in path.read_text()  # JSON escapes them itself
    # A field the format enumerates (a content's channel) refuses the file, on one line.
    with pytest.raises(PlanFileError) as refused:
        read_saved(path)
    assert "content.channel" in str(refused.value)
    assert str(refused.value).isprintable()
    # Every free-text field holds the evil text: shown escaped.
    doc = json.loads(path.read_text())
    for action in doc["actions"]:
        if action["content"]:
            action["content"]["channel"] = "sms"
    path.write_text(json.dumps(doc))
    view = read_saved(path).view()
    assert_clean(render_text(view))
    assert_clean(render_markdown(view))


def test_ordinary_plans_render_as_before():
    """Escaping changes nothing printable (the golden files hold the rest)."""
    view = PlanView(every_kind_plan())
    text = render_text(view)
    assert "Hi {first_name}, flash sale today only: 30% off. STOP 36111" in text
    assert json.dumps(text).count("\\u") == 0
