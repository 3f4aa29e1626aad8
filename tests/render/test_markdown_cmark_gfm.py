"""The plan comment as GitHub shows it: rendered with cmark-gfm and its GFM extensions
(tables, strikethrough, autolinks, tag filter), every line form the renderer emits reads as
meant: bold verbs (`~ update` too: a bare `~` is GFM's strikethrough mark), no stray
asterisks or struck-out text, whole tables, long explanations cut at a word."""

from __future__ import annotations

import html as htmllib
import re

import cmarkgfm
from cmarkgfm.cmark import Options
from plans import big_plan, every_kind_plan

from reconciler.engine.actions import Action, FieldChange
from reconciler.engine.plan import Plan
from reconciler.render.markdown import render_markdown
from reconciler.render.view import PlanView


def rendered(md: str) -> str:
    # GitHub lets <details> through its sanitiser: raw HTML kept, as it shows it
    return cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)


def visible(html: str) -> str:
    """The text a reader sees (tags dropped, entities decoded)."""
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


def test_every_action_verb_is_bold_and_nothing_is_struck_out():
    html = rendered(render_markdown(every_kind_plan()))
    for verb in ("+ create", "~ update", "-/+ replace", "- delete", "&gt; transition", "send",
                 "! refuse", "= adopt", "? warn"):
        assert f"<li><strong>{verb}</strong> <code>" in html, verb
    assert "<del>" not in html
    assert "**" not in visible(html)
    # the summary's counts and the campaign table render as tables, every row whole
    assert html.count("<table>") == 2
    assert "<td><code>Campaign/flash-sms</code></td>" in html
    assert "<td>Hi {first_name}, flash sale today only: 30% off. STOP 36111</td>" in html
    assert "<td>1,200 (15 suppressed by opt-outs)</td>" in html
    # the refusal line, last, is bold and whole
    assert re.search(r"<p>:no_entry: <strong>Refused: 1 action will not be applied.*"
                     r"make a new campaign instead</strong></p>\s*$", html)


def test_values_with_markdown_marks_show_as_written():
    text = "Sale ~today~ only *50%* off__ for vip_members"
    plan = Plan(actions=[
        Action("update", "Message", "promo", "mail", f"differs: {text}",
               changes=[FieldChange("subject", "Sale", text)]),
        Action("refuse", "Campaign", "launched", "mail", f"frozen: {text}")],
        live_fingerprint="x", workspace_digest="y")
    html = rendered(render_markdown(plan))
    assert "<del>" not in html and "<em>50%</em>" not in html
    assert visible(html).count(text) >= 3  # headline, refusal list, refused line


def test_long_refusal_and_safety_lines_end_at_a_word_with_an_ellipsis():
    reason = ("prevent_destroy is set on this campaign: Set prevent_destroy: false in the "
              "manifest in its own reviewed pull request first, then plan again. " * 12)
    safety = ("the plan deletes 40% of the managed resources (limit 25%). Re-run with "
              "--force after reviewing every deletion listed below. " * 14)
    plan = Plan(actions=[Action("refuse", "Campaign", "keep", "mail", reason)],
                live_fingerprint="x", workspace_digest="y")
    html = rendered(render_markdown(PlanView(plan, safety=[safety])))
    text = visible(html)
    cut = [line for line in text.splitlines() if line.endswith("\u2026")]
    assert cut, "long lines are cut"
    for line in cut:
        last = line[:-1].split()[-1]
        assert last.rstrip(",;:.") in (reason + safety).split() or \
            last in (reason + safety).split(), f"cut inside a word: {line[-40:]!r}"
    assert "Set p..." not in text and "--fo..." not in text


def test_a_folded_comment_renders_whole():
    plan = big_plan(2000)
    plan.actions[:0] = [Action("create", "ContactGroup", f"g{i}", "mail", "not in the account")
                        for i in range(500)]
    md = render_markdown(plan)
    html = rendered(md)
    assert len(md) <= 65_536
    assert "<details><summary>Details: 2,500 actions</summary>" in html
    assert "folded (not shown) 500 ContactGroup actions (500 create)" in visible(html)
    assert all(f"<code>Campaign/campaign-{i:04d}</code>" in html for i in range(2000))
    assert "<del>" not in html and "**" not in visible(html)
