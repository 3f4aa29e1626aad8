"""A saved plan binds to its actions: engine/review.py, case by case."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import PINNED_ACTION, run_cli

from reconciler.engine.actions import Action, FieldChange, SendSummary
from reconciler.engine.plan import Plan
from reconciler.engine.review import compare_plans
from reconciler.engine.saved import StalePlan, check_saved


def send(recipients=5, suppressed=0, **kw) -> Action:
    return Action("create", "Campaign", "sale", "mail", "not in the account",
                  send=SendSummary(recipients, 1, "2030-01-01T09:00:00-05:00",
                                   suppressed=suppressed, **kw),
                  depends_on=["Sender/news"])


def plan(*actions: Action) -> Plan:
    return Plan(list(actions), "f" * 64, "d" * 64)


def sender_drift(name="news") -> Action:
    return Action("update", "Sender", name, "mail", "differs from the manifest",
                  changes=[FieldChange("description", "Edited live", "News")],
                  origin="outside")


def test_the_same_actions_apply():
    review = compare_plans(plan(send()), plan(send()))
    assert not review.problems and not review.notes and len(review.run) == 1


def test_an_audience_shrunk_by_opt_outs_is_still_the_reviewed_send():
    review = compare_plans(plan(send(5, 0)), plan(send(4, 1)))
    assert not review.problems
    assert review.notes == ["Campaign/sale: sending to 4 recipients, not the reviewed 5: "
                            "1 opted out since the plan was saved"]
    assert review.run[0].send.recipients == 4


@pytest.mark.parametrize("fresh, line", [
    (send(5312, 0), "Campaign/sale: recipients 5,000 -> 5,312 (group grew)"),
    (send(4990, 0), "Campaign/sale: recipients 5,000 -> 4,990 (group shrank)"),
    (send(5001, 9), "Campaign/sale: recipients 5,000 -> 5,001 (group grew)"),
    (send(5000, 0, already_sent=3), "Campaign/sale: already sent 0 -> 3 (another apply sent since the plan)"),
])
def test_anything_else_is_a_field_level_difference(fresh, line):
    review = compare_plans(plan(send(5000, 0)), plan(fresh))
    assert line in review.problems


def test_unrelated_drift_is_left_alone_but_drift_a_reviewed_action_needs_is_refused():
    review = compare_plans(plan(send()), plan(send(), sender_drift("other")))
    assert not review.problems and review.left_alone == ["Sender/other"]
    assert [a.address for a in review.run] == ["Campaign/sale"]
    assert "changed outside campaignctl since the plan was saved" in review.notes[0]
    review = compare_plans(plan(send()), plan(send(), sender_drift("news")))
    assert review.problems == [
        "Sender/news: new: apply would now also update it (changed outside campaignctl: differs "
        "from the manifest); a reviewed action depends on it"]


def test_a_reviewed_action_that_disappeared_or_changed_op_is_refused():
    review = compare_plans(plan(send()), plan())
    assert review.problems == ["Campaign/sale: gone: reviewed create, apply would now do "
                               "nothing (already applied, or the live object already matches)"]
    refused = Action("refuse", "Campaign", "sale", "mail", "send time has passed")
    assert compare_plans(plan(send()), plan(refused)).problems == [
        "Campaign/sale: reviewed create, apply would now refuse (send time has passed)"]


def test_field_changes_name_the_field():
    old = Action("update", "Sender", "news", "mail", "r",
                 changes=[FieldChange("email", "a@x.example", "b@x.example")])
    new = Action("update", "Sender", "news", "mail", "r",
                 changes=[FieldChange("email", "c@x.example", "b@x.example")])
    assert compare_plans(plan(old), plan(new)).problems == [
        "Sender/news: email was 'a@x.example' when reviewed, is 'c@x.example' now (changed "
        "outside campaignctl)"]


def bound(action: Action, csv="c" * 64, group="g" * 64, live=None) -> Action:
    """`action` with the inputs a plan records (engine/binding.py)."""
    action.inputs = {"manifests": {"Campaign/sale": "a" * 64, "ContactGroup/subs": group,
                                   "Sender/news": "b" * 64},
                     "files": {"subscribers.csv": csv}, "live": live}
    return action


def test_changed_workspace_lists_what_apply_would_now_do():
    # The workspace digest differs (another merge); this action's inputs do not: applies.
    fresh = Plan([bound(send(5))], "f" * 64, "e" * 64)
    assert check_saved(plan(bound(send(5))), fresh).actions[0].address == "Campaign/sale"
    fresh = Plan([bound(send(6), csv="9" * 64)], "f" * 64, "e" * 64)
    with pytest.raises(StalePlan) as exc:
        check_saved(plan(bound(send(5))), fresh)
    assert "the workspace changed since the plan was saved" in str(exc.value)
    assert ("Campaign/sale: changed inputs since the review: file subscribers.csv"
            in str(exc.value))
    assert "Campaign/sale: recipients 5 -> 6 (group grew)" in str(exc.value)
    assert "(2 differences, per action)" in str(exc.value)


@pytest.mark.parametrize("fresh, line", [
    (bound(send(), group="9" * 64),
     "Campaign/sale: changed inputs since the review: manifest ContactGroup/subs"),
    (bound(send(), live="1" * 64), "Campaign/sale: changed inputs since the review: the live "
                                   "object (changed at the vendor since the review)"),
])
def test_the_same_action_on_other_inputs_is_refused_naming_the_input(fresh, line):
    review = compare_plans(plan(bound(send())), plan(fresh))
    assert review.problems == [line]


def test_a_merged_change_not_yet_applied_is_refused_and_one_applied_is_not_there():
    other = Action("create", "Campaign", "other-pr", "mail", "not in the account")
    review = compare_plans(plan(send()), plan(send(), other))
    assert review.problems == [
        "Campaign/other-pr: not yet applied: create (not in the account), merged in the "
        "manifests but not in this plan; apply its own reviewed plan first, or plan again"]
    assert review.workspace_moved
    # Once the other pull request's plan is applied, the fresh plan no longer holds it.
    assert not compare_plans(plan(send()), plan(send())).problems


def test_init_writes_a_workspace_that_validates_and_plans(tmp_path):
    ws = tmp_path / "new"
    r = run_cli("init", str(ws))
    assert r.returncode == 0, r.stderr
    assert (ws / ".gitignore").read_text().splitlines()[-1] == ".campaignctl/"
    kinds = sorted(line.split(": ")[1] for f in ws.glob("*.yaml") if f.name != "campaignctl.yaml"
                   for line in f.read_text().splitlines() if line.startswith("kind: "))
    assert kinds == ["Campaign", "ContactGroup", "Message", "OptOutList", "Sender"]
    assert "#   api_key: ${SCHED_API_KEY}" in (ws / "campaignctl.yaml").read_text()
    assert run_cli("validate", str(ws)).returncode == 0
    r = run_cli("plan", str(ws), "--detailed-exitcode")
    assert r.returncode == 2 and "+ create Campaign/welcome (mail)" in r.stdout
    again = run_cli("init", str(ws))
    assert again.returncode == 1 and "not overwriting" in again.stderr
    # CI workflows for a repository without a workspace yet: no warning about a file that
    # does not exist, a pointer to `init` instead.
    r = run_cli("init", "--ci", "github", str(tmp_path / "repo"), "--action", PINNED_ACTION)
    assert r.returncode == 0 and "SQLite" not in r.stderr and "campaignctl init" in r.stderr
    r = run_cli("init", "--ci", "github", str(tmp_path / "repo2"), "--action", "not pinned")
    assert r.returncode == 1 and "OWNER/REPO@REF" in r.stderr


def test_init_and_env(tmp_path):
    """`--env` names the environment the CI workflows use (all three); a new workspace has
    none, so `init DIR --env` is refused, while CAMPAIGNCTL_ENV set for other commands is
    no error there."""
    r = run_cli("init", str(tmp_path / "new"), "--env", "staging")
    assert r.returncode == 1 and "--env goes with --ci github" in r.stderr
    assert not (tmp_path / "new").exists()
    r = run_cli("init", str(tmp_path / "new"), env={"CAMPAIGNCTL_ENV": "staging"})
    assert r.returncode == 0, r.stderr
    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).parent.parent / "campaigns", repo / "campaigns",
                    ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    r = run_cli("init", "--ci", "github", str(repo), "--env", "staging",
                "--action", PINNED_ACTION)
    assert r.returncode == 0, r.stderr
    for name in ("plan", "apply", "drift"):
        text = (repo / ".github" / "workflows" / f"campaignctl-{name}.yml").read_text()
        assert "  CAMPAIGNCTL_WORKSPACE: campaigns\n  CAMPAIGNCTL_ENV: staging\n" in text
