"""Markdown renderer: golden output, summary first, folded details, the 60,000 limit."""

from __future__ import annotations

from conftest import check_golden
from plans import big_plan, every_kind_plan

from reconciler.render.markdown import COMMENT_MARKER, MAX_CHARS, render_markdown


def test_markdown_golden_every_kind_of_action():
    check_golden("plan.md", render_markdown(every_kind_plan()))


def test_summary_table_comes_before_folded_details():
    md = render_markdown(every_kind_plan())
    assert md.startswith(COMMENT_MARKER)
    assert md.index("| operation | count |") < md.index("<details>")
    # The details close, then the last line says what was refused (the plan fails).
    assert md.rstrip().endswith("a launched campaign is frozen; make a new campaign instead**")
    assert md.index("</details>") > md.index("<details>")
    assert (":warning: **Cannot be undone:** `OptOutList/unsubscribed`, `Campaign/spring-sale`, "
            "`Campaign/autumn`, `Campaign/flash-sms`") in md
    assert "| `Campaign/flash-sms` | send | 2027-04-01T10:00:00+02:00 | 1200 (15 suppressed" in md


def test_partial_plan_says_so():
    md = render_markdown(every_kind_plan(targets=["Campaign/winter"]))
    assert "**Partial plan: only Campaign/winter" in md


def _tables_whole(md: str) -> bool:
    """Every table row is complete: starts and ends with a pipe."""
    return all(line.endswith("|") for line in md.splitlines() if line.startswith("|"))


def test_2000_action_plan_fits_a_comment_with_summary_intact():
    md = render_markdown(big_plan(2000))
    assert len(md) < MAX_CHARS
    assert "**Plan: 2000 to create.**" in md
    assert "| create (to create) | 2000 |" in md
    assert "more actions not shown" in md
    assert "more campaigns" in md
    assert _tables_whole(md)
    assert md.count("<details>") == md.count("</details>") == 1
    assert md.count("```") % 2 == 0  # no code block cut in half


def test_truncation_drops_whole_actions_only():
    md = render_markdown(big_plan(300), max_chars=20_000)
    assert len(md) < 20_000
    shown = md.count("- **+ create**")
    assert 0 < shown < 300
    assert f"{300 - shown} more actions not shown" in md
