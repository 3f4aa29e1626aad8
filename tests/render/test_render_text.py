"""Text renderer: golden output, colour rules, partial-plan note, irreversible marks."""

from __future__ import annotations

from conftest import check_golden
from plans import every_kind_plan

from reconciler.render.text import render_text, use_color
from reconciler.render.view import PlanView


def test_text_golden_every_kind_of_action():
    check_golden("plan.txt", render_text(every_kind_plan()) + "\n")


def test_text_marks_symbols_irreversible_and_refusals():
    text = render_text(every_kind_plan())
    for head in ("+ create Sender/newsletter", "~ update ContactGroup/vip",
                 "-/+ replace Campaign/spring-sale", "- delete Message/old-promo",
                 "> transition Campaign/winter", "send Campaign/flash-sms (sms)",
                 "! refuse Campaign/launched", "= adopt Sender/support"):
        assert head in text
    assert "# forces replacement" in text
    # Every irreversible action: an opt-in, a cancel (replace, delete) and a send.
    assert ("Irreversible: OptOutList/unsubscribed, Campaign/spring-sale, Campaign/autumn, "
            "Campaign/flash-sms") in text
    assert "recipients: 1,200 in 3 batches" in text and "96.00 EUR" in text
    assert "\033[" not in text


def test_colour_only_when_asked_and_never_with_no_color(monkeypatch):
    coloured = render_text(every_kind_plan(), color=True)
    assert "\033[32m+ create Sender/newsletter (mail)\033[0m" in coloured

    class Tty:
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("CI", raising=False)
    assert use_color(Tty())
    monkeypatch.setenv("CI", "true")  # a CI log, even on a pseudo-terminal
    assert not use_color(Tty())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())


def test_partial_plan_says_so():
    text = render_text(every_kind_plan(targets=["Campaign/spring-sale"]))
    assert text.startswith("Partial plan: only Campaign/spring-sale")
    assert "refused, 1 warning.\n(partial plan)\nRefused: 1 action" in text


def test_show_contacts_lists_each_sends_recipients_in_every_format_only_when_asked():
    # Changed with the fix of `--show-contacts` (it used to print only a note).
    from reconciler.engine.saved import plan_document
    from reconciler.render.markdown import render_markdown

    contacts = {"Campaign/flash-sms": ["+33612345678", "+33698765432"]}
    view = PlanView(every_kind_plan(), show_contacts=True, contacts=contacts)
    text = render_text(view)
    assert ("    recipients (2 addresses, --show-contacts):\n      +33612345678\n"
            "      +33698765432\n") in text
    assert "A plan file (-o) never holds them" in text
    assert "    +33698765432\n" in render_markdown(view)
    assert plan_document(view)["contacts"] == contacts
    hidden = PlanView(every_kind_plan(), contacts=contacts)  # not asked: counts only
    assert "+336" not in render_text(hidden) + render_markdown(hidden)
    assert "contacts" not in plan_document(hidden)


def test_unknown_outcomes_are_counted_per_campaign_and_never_called_a_match():
    from reconciler.engine.actions import Action
    from reconciler.engine.plan import Plan
    from reconciler.render.json import render_json
    from reconciler.render.markdown import render_markdown

    warn = Action(op="warn", kind="Campaign", name="launch", account="wa",
                  reason="outcome unknown for 300 recipients in 3 batches",
                  data={"unknown_recipients": 300, "unknown_batches": 3})
    view = PlanView(Plan(actions=[warn], live_fingerprint="0" * 64, workspace_digest="0" * 64))
    text = render_text(view)
    assert "matches" not in text and "outcome of 300 recipients is unknown" in text
    assert "Campaign/launch: nothing new to send; recipients 0; outcome unknown for 300" in text
    assert "outcome unknown for 300 (not resent)" in render_markdown(view)
    import json
    (row,) = json.loads(render_json(view))["campaigns"]
    assert (row["address"], row["op"], row["unknown"]) == ("Campaign/launch", "warn", 300)
