"""Markdown renderer: golden output, summary first, folded details, the 60,000 limit."""

from __future__ import annotations

from conftest import check_golden
from plans import big_plan, every_kind_plan

from reconciler.engine.actions import Action, FieldChange
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
    assert ("| `Campaign/flash-sms` | send | sms, from ACME | Hi {first\\_name}, flash sale today "
            "only: 30% off. STOP 36111 | 1,200 (15 suppressed by opt-outs) | Thu 01 Apr 2027 "
            "10:00 Europe/Paris (UTC+02:00) | - | 96.00 EUR (2,400 messages) | **yes** |") in md
    # What is sent comes first in the details.
    assert md.index("- **send** `Campaign/flash-sms`") < md.index("`Sender/newsletter`")


def test_partial_plan_says_so():
    md = render_markdown(every_kind_plan(targets=["Campaign/winter"]))
    assert "**Partial plan: only Campaign/winter" in md


def _tables_whole(md: str) -> bool:
    """Every table row is complete: starts and ends with a pipe."""
    return all(line.endswith("|") for line in md.splitlines() if line.startswith("|"))


def test_2000_action_plan_fits_a_comment_and_names_every_campaign():
    md = render_markdown(big_plan(2000))
    assert len(md) < MAX_CHARS
    assert "**Plan: 2,000 to create.**" in md
    assert "| create (to create) | 2,000 |" in md
    assert all(f"`Campaign/campaign-{i:04d}`" in md for i in range(2000))
    assert "listed by name only" in md and "more campaigns: named in the details below" in md
    assert _tables_whole(md)
    assert md.count("<details>") == md.count("</details>") == 1
    assert md.count("```") % 2 == 0  # no code block cut in half


def test_contact_groups_fold_first_and_the_comment_says_so():
    plan = big_plan(300)
    groups = [Action("create", "ContactGroup", f"group-{i:03d}", "mail", "not in the account",
                     changes=[FieldChange("title", None, f"Group number {i} " + "x" * 80)])
              for i in range(300)]
    plan.actions[:0] = groups  # planned first, shown last
    md = render_markdown(plan, max_chars=40_000)
    assert len(md) < 40_000
    assert "folded (not shown) 300 ContactGroup actions (300 create)" in md
    assert "`ContactGroup/group-000`" not in md
    assert all(f"`Campaign/campaign-{i:04d}`" in md for i in range(300))
