"""`campaignctl apply [DIR|PLANFILE]`: show the plan, ask (unless --auto-approve), apply,
and print what was done; the rules are reconciler.api.apply's."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import ResendCount, calls, env_option, output, var_option
from reconciler.cli.shell import (
    EXIT_ERROR,
    confirm_count_on_terminal,
    confirm_on_terminal,
    reporter,
)
from reconciler.engine.contract import DEFAULT_PARALLELISM
from reconciler.errors import CampaignctlError
from reconciler.render.escape import printable
from reconciler.render.text import render_text, use_color
from reconciler.render.view import PlanView
from reconciler.words import plural


@calls(api.apply, renamed={"workspace_dir": "workspace"})
@click.command()
@click.argument("source", default=".", type=click.Path(exists=True, path_type=Path),
                metavar="[DIR|PLANFILE]")
@click.option("--target", "targets", multiple=True, metavar="KIND/NAME",
              help="Apply only this resource and what it depends on (repeatable).")
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="Allow a plan beyond the safety thresholds in campaignctl.yaml.")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
              help="With a PLANFILE: the workspace, when it moved since the plan was saved.")
@click.option("--resend-unknown", "resend_unknown", type=ResendCount(), is_flag=False,
              flag_value=ResendCount.MISSING, default=None, metavar="COUNT",
              help="Send again the COUNT recipients whose outcome is unknown, as the plan "
                   "counts them (a reviewed decision; another number sends nothing).")
@click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the result as Markdown (done, failed, unknown; counts) to "
                   "FILE, for a pull-request comment.")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True,
              help="json: a stream of events, one JSON object per line (action started, done, "
                   "failed; batch sent, unknown; summary), see docs/reference/formats.md; needs "
                   "--auto-approve or a PLANFILE.")
@click.option("--parallelism", type=int, default=DEFAULT_PARALLELISM, show_default=True,
              metavar="N",
              help="Run at most N actions at once (1 to 256; 1: one at a time, in plan order), "
                   "each only after what it depends on, and at most each account's "
                   "max_concurrency at once; sends run one at a time.")
@var_option
@env_option
def apply(source: Path, targets: tuple[str, ...], auto_approve: bool, force: bool,
          workspace_dir: Path | None, resend_unknown: int | None, report: Path | None,
          fmt: str, parallelism: int, variables: tuple[str, ...],
          environment: str | None) -> None:
    """Apply a fresh plan of DIR (asks to confirm), or exactly a saved PLANFILE."""
    events = None
    try:
        if fmt == "json":
            from reconciler.render.apply_events import JsonEvents

            events = JsonEvents()
            if not auto_approve and source.is_dir():
                raise CampaignctlError("apply --format json asks nothing: give --auto-approve "
                                       "(after reviewing the plan) or a saved PLANFILE")
        _apply(source, targets, auto_approve, force, workspace_dir, resend_unknown, report,
               environment, variables, events, parallelism)
    except CampaignctlError as exc:
        if events is not None:
            events.emit("error", message=str(exc))
        if report is not None:
            from reconciler.render.apply_report import apply_report

            report.write_text(apply_report(None, error=str(exc)), encoding="utf-8")
        raise


def _apply(source: Path, targets: tuple[str, ...], auto_approve: bool, force: bool,
           workspace_dir: Path | None, resend_unknown: int | None, report: Path | None,
           environment: str | None, variables: tuple[str, ...] = (), events=None,
           parallelism: int = DEFAULT_PARALLELISM) -> None:
    from reconciler.render.apply import summary_lines

    color, quiet = use_color(), output().quiet

    def on_review(review: api.Review) -> None:
        if events is not None:
            for note in review.plan.notes:
                events.emit("note", message=note)
        elif review.saved is not None:
            if not quiet and not review.blocked:  # the saved plan was reviewed
                click.echo(f"Applying the saved plan {printable(review.saved)}: "
                           f"{plural(len(review.plan.changes), 'action')}.")
                for note in review.plan.notes:
                    click.echo(f"Note: {printable(note)}")
        elif not (quiet and auto_approve):  # what is confirmed (or refused) is always shown
            click.echo(render_text(review.plan, color))

    def confirm(plan) -> bool:
        sends = send_confirmation(PlanView(plan))
        if sends is None:
            return confirm_on_terminal("Apply these changes?", "the plan")
        count, question = sends
        return confirm_count_on_terminal(count, question, "the plan")

    progress = events if events is not None else reporter()
    try:
        outcome = api.apply(source, targets=targets, environment=environment,
                            workspace=workspace_dir, force=force,
                            resend_unknown=api.UNCOUNTED if resend_unknown == ResendCount.MISSING
                            else resend_unknown,
                            confirm=None if auto_approve else confirm, on_review=on_review,
                            reporter=progress, variables=variables,
                            parallelism=parallelism)
    finally:
        progress.close()
    if report is not None:
        from reconciler.render.apply_report import apply_report

        report.write_text(apply_report(outcome.result, notes=outcome.plan.notes,
                                       writes=outcome.writes, reads=outcome.reads),
                          encoding="utf-8")
    refused = PlanView(outcome.plan).refused_line
    if events is not None:
        _summary_event(events, outcome, source, targets, refused)
        return
    if outcome.lineage_recorded and not quiet:  # -q: only errors and the summary
        click.echo(outcome.lineage_recorded, err=True)
    if outcome.result is None:
        if quiet:
            pass
        elif not outcome.plan.has_changes:
            click.echo(render_text(outcome.plan, color))
        else:
            click.echo("Apply cancelled; nothing was changed.")
        if refused is not None:
            sys.exit(EXIT_ERROR)
        return
    directory, environment = outcome.directory, outcome.environment
    plan_command = f"campaignctl plan {directory}" + (f" --env {environment}"
                                                      if environment else "")
    out, err = summary_lines(outcome.result, outcome.writes, outcome.reads, outcome.drift,
                             plan_command, refused, read_back=outcome.read_back,
                             targets=tuple(outcome.plan.targets) if not source.is_dir()
                             else targets)
    if not quiet:  # -q: only errors
        click.echo("\n" + "\n".join(out))
    for line in err:
        click.echo(line, err=True)
    if not outcome.result.ok or refused is not None:
        sys.exit(EXIT_ERROR)


def send_confirmation(view) -> tuple[int, str] | None:
    """What an irreversible send asks to have typed back: its recipients, with the cost
    restated; None when the plan sends to no counted recipient (a y/N question then)."""
    from reconciler.money import money

    sends = [c for c in view.campaigns if c.op == "send" and c.recipients]
    total = sum(c.recipients for c in sends)
    if not total:
        return None
    costs: dict[str, float] = {}
    for c in sends:
        if c.estimated_cost is not None:
            costs[c.currency or ""] = costs.get(c.currency or "", 0.0) + c.estimated_cost
    cost = " and ".join(money(v, k) for k, v in costs.items())
    unpriced = sum(1 for c in sends if c.estimated_cost is None)
    detail = (f", estimated cost {cost}" if cost else "") + (
        f" ({plural(unpriced, 'send')} not priced)" if cost and unpriced else "")
    across = f" in {plural(len(sends), 'campaign')}" if len(sends) > 1 else ""
    return total, (f"This cannot be undone: {plural(total, 'recipient')}{across}{detail}.\n"
                   f"Type {total} to send to {plural(total, 'recipient')}")


def _summary_event(events, outcome, source: Path, targets: tuple[str, ...],
                   refused: str | None) -> None:
    """apply --format json: the last event, and the exit status the text output has."""
    from reconciler.render.apply import summary_lines

    if outcome.lineage_recorded:
        events.emit("note", message=outcome.lineage_recorded)
    lines: list[str] = []
    if outcome.result is not None:
        command = f"campaignctl plan {outcome.directory}" + (
            f" --env {outcome.environment}" if outcome.environment else "")
        out, err = summary_lines(outcome.result, outcome.writes, outcome.reads, outcome.drift,
                                 command, refused, read_back=outcome.read_back,
                                 targets=tuple(outcome.plan.targets)
                                 if not source.is_dir() else targets)
        lines = out + err
    elif outcome.plan.has_changes:
        lines = ["Apply cancelled; nothing was changed."]
    else:
        lines = [PlanView(outcome.plan).summary_line]
    events.summary(outcome.result, changes=len(outcome.plan.changes), reads=outcome.reads,
                   writes=outcome.writes, drift=outcome.drift, refused=refused, lines=lines)
    if (outcome.result is not None and not outcome.result.ok) or refused is not None:
        sys.exit(EXIT_ERROR)
