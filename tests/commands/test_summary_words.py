"""The summary lines a user reads, in every format, for one and for many: golden files
(UPDATE_GOLDEN=1 rewrites them), and the words of an apply on the example workspace."""

from __future__ import annotations

import re
import shutil

from conftest import EXAMPLE, check_golden, run_cli

from reconciler.engine.actions import Action, FieldChange, SendSummary
from reconciler.engine.executor import ApplyResult
from reconciler.engine.plan import Plan
from reconciler.engine.saved import plan_document
from reconciler.render.apply import summary_lines
from reconciler.render.apply_report import apply_report
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text
from reconciler.render.view import PlanView
from reconciler.words import plural


def send(name: str, recipients: int, batches: int, messages: int | None) -> Action:
    return Action("send", "Campaign", name, "sms", "not sent yet",
                  send=SendSummary(recipients=recipients, batches=batches,
                                   send_at="2027-04-01T10:00:00+02:00", timezone="Europe/Paris",
                                   estimated_messages=messages))


def plan_of(*actions: Action, targets: list[str] | None = None) -> Plan:
    return Plan(actions=list(actions), live_fingerprint="f" * 64, workspace_digest="d" * 64,
                created_at="2027-01-01T00:00:00+00:00", targets=targets or [])


ONE = plan_of(
    send("one", 1, 1, 1),
    Action("update", "Campaign", "scheduled", "sched", "differs from the manifest",
           changes=[FieldChange("name", "Winter", "Winter 2030")],
           data={"manifest_send_at": "2030-01-15T09:00:00+01:00"}),
    Action("transition", "Campaign", "draft", "sched", "desired state is DRAFT",
           path=["SCHEDULED", "DRAFT"]),
    Action("warn", "Campaign", "lost", "wa", "outcome unknown for 1 recipient in 1 batch",
           data={"unknown_recipients": 1, "resend_recipients": 1}),
    Action("refuse", "Campaign", "late", "sms", "send time has already passed"))
MANY = plan_of(send("a", 2, 2, 2), send("b", 1200, 3, 2400),
               Action("warn", "Account", "x", "x", "plain http"),
               Action("warn", "Account", "y", "y", "plain http"),
               Action("refuse", "Campaign", "c", "sms", "frozen"),
               Action("refuse", "Campaign", "d", "sms", "frozen"))


def plan_summary(view: PlanView) -> list[str]:
    """The lines of every format that say what the plan does, in numbers."""
    text = render_text(view).splitlines()
    keep = [line for line in text if line.startswith(("  Campaign/", "Plan: ", "No changes",
                                                      "Refused: ", "    recipients: "))]
    md = render_markdown(view).splitlines()
    keep += [line for line in md if line.startswith(("**Plan", "| `Campaign/", "<details>",
                                                     ":no_entry:"))]
    doc = plan_document(view)
    keep += [f"json text: {doc['summary']['text']}", f"json refused: "
             f"{doc['summary']['refused_text']}"]
    keep += [f"json {c['address']}: send_at {c['send_at']}" for c in doc["campaigns"]]
    return keep


def test_plan_summary_lines_golden():
    out = []
    for title, plan in (("one of each", ONE), ("many of each", MANY),
                        ("nothing", plan_of()), ("partial", plan_of(targets=["Campaign/a"]))):
        out += [f"## {title}", *plan_summary(PlanView(plan)), ""]
    check_golden("summary-plan.txt", "\n".join(out))


def test_apply_summary_lines_golden():
    a, b = send("a", 1, 1, 1), send("b", 2, 2, 2)
    cases = {
        "one write, one read, read back": (ApplyResult(done=[a]), 1, 1, 1, ()),
        "send-only: nothing to read back": (ApplyResult(done=[a, b]), 2, 0, 0, ()),
        "one target": (ApplyResult(done=[a]), 1, 3, 2, ("Campaign/a",)),
        "two targets": (ApplyResult(done=[a, b]), 2, 3, 2, ("Campaign/a", "Campaign/b")),
        "a failure": (ApplyResult(done=[a], failed=[(b, "HTTP 500")]), 2, 2, 0, ()),
    }
    out = []
    for title, (result, writes, reads, read_back, targets) in cases.items():
        stdout, stderr = summary_lines(result, writes, reads, [], "campaignctl plan ws",
                                       read_back=read_back, targets=targets)
        report = [line for line in apply_report(result, writes=writes, reads=reads)
                  .splitlines() if line.startswith("**")]
        out += [f"## {title}", *stdout, *(f"stderr: {line}" for line in stderr), *report, ""]
    check_golden("summary-apply.txt", "\n".join(out))


def test_plural_helper():
    assert [plural(n, "batch") for n in (0, 1, 2)] == ["0 batches", "1 batch", "2 batches"]
    assert plural(1, "message") == "1 message" and plural(3, "entry") == "3 entries"
    assert plural(1, "metadata entry") == "1 metadata entry"
    assert plural(2, "recipient") == "2 recipients" and plural(1, "opt-out") == "1 opt-out"


def test_what_a_user_reads_after_a_targeted_send_only_apply(tmp_path):
    """An SMS send alone: nothing can be read back from Octopush, and the rest of the
    workspace is still to apply, so neither "matches" nor "no changes" is claimed."""
    ws = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    env = {"CAMPAIGNCTL_ENV": "staging"}
    r = run_cli("apply", str(ws), "--target", "Campaign/spring-sale-sms", "--auto-approve",
                env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert "recipients: 3 in 1 batch, at 2027-03-20T10:00:00+01:00 (Europe/Paris)" in r.stdout
    assert "estimate 3 messages, 0.17 EUR" in r.stdout  # 3 x 0.055, as the sandbox bills
    assert lines[-3] == "Apply: 2 done, 0 failed, 0 skipped; 1 write call, 0 read calls."
    assert lines[-2] == ("Read-back: nothing to read back from the vendors (their APIs cannot "
                         "be read); the send ledger records every batch sent.")
    assert lines[-1] == (f"Next: `campaignctl plan {ws} --env staging --target "
                         "Campaign/spring-sale-sms` should now show no changes; this apply "
                         "touched only Campaign/spring-sale-sms and what it depends on: run "
                         f"`campaignctl plan {ws} --env staging` for the rest of the workspace.")

    # The rest: email-campaigns and scheduled-campaigns are read back over their APIs.
    r = run_cli("apply", str(ws), "--auto-approve", env=env)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    assert re.fullmatch(r"Read-back: every object apply touched matches its manifest "
                        r"\([2-9]\d* read calls\)\.", lines[-2]), lines[-2]
    assert lines[-1] == f"Next: `campaignctl plan {ws} --env staging` should now show no changes."


def test_a_campaign_whose_send_time_does_not_change_shows_the_manifests():
    """A title update or a state transition carries no send time; the plan shows the
    manifest's instead of "not scheduled"."""
    from reconciler.api.pipeline import load_valid
    from reconciler.engine.planner import note_send_times

    ws = load_valid(EXAMPLE, "staging")
    update = Action("update", "Campaign", "winter-newsletter", "sched", "differs",
                    changes=[FieldChange("name", "Winter", "Winter 2030")])
    draft = Action("create", "Campaign", "spring-sale", "mail", "not in the account")
    note_send_times([update, draft], ws)
    text = render_text(PlanView(plan_of(update)))
    assert "Campaign/winter-newsletter: send 2030-01-15T09:00:00+01:00;" in text
    assert draft.data["manifest_send_at"] == "2027-03-20T09:00:00-04:00"


def test_plan_show_contacts_lists_the_recipients_and_the_plan_file_holds_none(tmp_path):
    ws = tmp_path / "campaigns"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    plan_file = tmp_path / "plan.json"
    r = run_cli("plan", str(ws), "--show-contacts", "-o", str(plan_file),
                env={"CAMPAIGNCTL_ENV": "staging"})
    assert r.returncode == 0, r.stderr
    # the 5 subscribers of the email campaign, the SMS recipients less the opted out one
    assert ("recipients (5 addresses, --show-contacts):\n      ann@example.com\n"
            "      bob@example.com\n      cleo@example.com\n") in r.stdout
    sms = r.stdout[r.stdout.index("send Campaign/spring-sale-sms"):]
    sms = sms[:sms.index("\nsend Campaign/spring-sale-whatsapp")]
    assert "recipients (3 addresses, --show-contacts):" in sms
    assert sms.count("      +336") == 3 and "+33655667788" not in sms  # opted out
    saved = plan_file.read_text()
    assert "@example.com" not in saved and "+336" not in saved
    shown = run_cli("show", str(plan_file))
    assert "ann@example.com" not in shown.stdout and "recipients: 5 in 1 batch" in shown.stdout
