"""A pull request's author writes the manifests, and the plan comment quotes them (reasons,
field values, names); a vendor's error is quoted in the apply report and status. Rendered by
GitHub's own Markdown renderer (cmark-gfm), that text shows as written: never as HTML (an
HTML comment hiding the actions after it, an image calling home) nor as a link whose text
lies about where it goes."""

from __future__ import annotations

import cmarkgfm
from cmarkgfm.cmark import Options

from reconciler.engine.actions import Action, FieldChange
from reconciler.engine.executor import ApplyResult
from reconciler.engine.plan import Plan
from reconciler.render.apply_report import apply_report
from reconciler.render.markdown import render_markdown
from reconciler.render.status import render_markdown as status_markdown
from reconciler.status.model import CampaignStatus

HIDE = "<!-- everything after this is hidden"
IMAGE = "<img src=https://evil.example/pixel.gif>"
LINK = "[approved by security](https://evil.example/)"
HOSTILE = f"{HIDE} {IMAGE} {LINK} \\[x] &lt; |"


def html(md: str) -> str:
    # As GitHub renders a comment: GFM extensions, raw HTML allowed through its sanitiser
    # (here: not escaped by the renderer, so what survives is what we wrote).
    return cmarkgfm.github_flavored_markdown_to_html(md, options=Options.CMARK_OPT_UNSAFE)


def assert_inert(rendered: str) -> None:
    assert "<!--" not in rendered.replace("<!-- campaignctl-plan -->", "").replace(
        "<!-- campaignctl-apply -->", "")
    assert "<img" not in rendered, rendered
    assert "&lt;img src=" in rendered and "&lt;!-- everything after this" in rendered
    # A bare URL may be autolinked (its text is the URL itself); a link whose text says
    # something else never is.
    assert ">approved by security</a>" not in rendered
    assert "[approved by security](" in rendered


def test_plan_comment_shows_manifest_text_as_written():
    plan = Plan(actions=[
        Action("update", "Message", "promo", "mail", f"differs {HOSTILE}",
               changes=[FieldChange("subject", "Sale", HOSTILE)]),
        Action("refuse", "Campaign", "launched", "mail", f"frozen {HOSTILE}"),
        Action("create", "Sender", "news", "mail", "not in the live state"),
    ], live_fingerprint="x", workspace_digest="y")
    rendered = html(render_markdown(plan))
    assert_inert(rendered)
    # the actions after the hostile text are still there for the reviewer
    assert "Sender/news" in rendered and "frozen" in rendered


def test_apply_report_and_status_show_vendor_text_as_written():
    failed = Action("create", "Sender", "news", "mail", "new")
    result = ApplyResult(done=[], failed=[(failed, f"HTTP 400: {HOSTILE}")], skipped=[])
    assert_inert(html(apply_report(result, notes=[f"note {HOSTILE}"])))
    assert_inert(html(apply_report(None, error=f"refused: {HOSTILE}")))
    status = CampaignStatus(name="promo", account="mail", vendor="octopush",
                            state=f"sent {HOSTILE}")
    assert_inert(html(status_markdown([status])))
