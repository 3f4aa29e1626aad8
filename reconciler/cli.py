"""The `campaignctl` command line. Exit codes: 0 ok, 1 any error (never 2: CI reads 2 as
"changes present" with --detailed-exitcode), 2 only for pending changes."""

from __future__ import annotations

import re
import sys
from contextlib import closing
from pathlib import Path

import click

from reconciler import __version__, cli_options
from reconciler.cli_options import (
    ResendCount,
    add_output_options,
    configure_logging,
    env_option,
    output,
)
from reconciler.engine.contract import RunOptions
from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.render.text import render_text, use_color
from reconciler.secrets import redacted_output
from reconciler.validate import errors_of, validate_directory
from reconciler.words import plural, word

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="campaignctl")
def cli() -> None:
    """Campaigns as code: validate, plan and apply email and SMS campaigns.

    -q, -v and --debug go before or after the command name (`campaignctl -v plan`)."""
    configure_logging(output())  # CAMPAIGNCTL_LOG, or the flags given so far


def _reporter():
    """Progress on stderr for this run: bars on a terminal, lines in CI, none with -q."""
    from reconciler.render.progress import make_reporter

    return make_reporter(quiet=output().quiet)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("text", "json", "github")), default="text",
              show_default=True,
              help="github: workflow commands GitHub shows as annotations on the diff.")
@click.option("--show-contacts", is_flag=True,
              help="Print the invalid email or phone itself (default: its file and row).")
@env_option
def validate(directory: Path, fmt: str, show_contacts: bool, environment: str | None) -> None:
    """Check manifests offline, with no credentials: schema, references, vendor rules."""
    _, diagnostics = validate_directory(directory, offline=True, show_contacts=show_contacts,
                                        environment=environment)
    errors = errors_of(diagnostics)
    if fmt == "json":
        from reconciler.render.diagnostics import render_json

        click.echo(render_json(diagnostics, str(directory)))
    elif fmt == "github":
        from reconciler.render.diagnostics import render_github

        if diagnostics:
            click.echo(render_github(diagnostics))
    else:
        quiet = output().quiet  # -q: the errors and the verdict, no warnings
        for d in diagnostics:
            if not quiet or d.severity == "error":
                click.echo(str(d), err=d.severity == "error")
    if errors:
        if fmt == "text":
            click.echo(f"{plural(len(errors), 'error')}.", err=True)
        sys.exit(EXIT_ERROR)
    if fmt == "text":
        click.echo(f"{directory}: valid" + (f" (environment {environment})." if environment
                                            else "."))


FORMATS = ("text", "json", "markdown")


def _render(view, fmt: str, color: bool) -> str:
    if fmt == "json":
        from reconciler.render.json import render_json

        return render_json(view)
    if fmt == "markdown":
        from reconciler.render.markdown import render_markdown

        return render_markdown(view)
    return render_text(view, color)


def _existing(directory: Path, environment: str | None) -> tuple[int, object]:
    """(managed resources = bindings in the state store, safety settings)."""
    store = _store(directory, environment)
    try:
        return len(store.bindings()), store_config(directory, environment).safety
    finally:
        store.close()


def store_config(directory: Path, environment: str | None = None):
    from reconciler.state.backend import workspace_config

    return workspace_config(directory, environment)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--target", "targets", multiple=True, metavar="KIND/NAME",
              help="Plan only this resource and what it depends on (repeatable).")
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when there are changes, 0 when none, 1 on error.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to print the plan (json: the documented format, see docs/plans.md).")
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Save the plan to FILE (JSON) for `campaignctl apply FILE`.")
@click.option("--show-contacts", is_flag=True,
              help="List each send's recipients (addresses); a plan file (-o) never "
                   "holds them.")
@click.option("--vendor-estimate", is_flag=True,
              help="Price SMS sends with the vendor's simulation: SENDS one frame of "
                   "recipients' phone numbers to the vendor (default: a local estimate).")
@env_option
def plan(directory: Path, targets: tuple[str, ...], detailed_exitcode: bool, fmt: str,
         out_file: Path | None, show_contacts: bool, vendor_estimate: bool,
         environment: str | None) -> None:
    """Read live state and show what apply would change."""
    from reconciler.engine.safety import violations
    from reconciler.render.view import PlanView
    from reconciler.run import plan_workspace

    outcome = plan_workspace(directory, list(targets),
                             options=RunOptions(show_contacts=show_contacts,
                                                vendor_estimate=vendor_estimate),
                             environment=environment, reporter=_reporter())
    existing, safety = _existing(directory, environment)
    found = [str(v) for v in violations(outcome.plan, existing, safety)]
    view = PlanView(outcome.plan, directory=str(directory.resolve()), safety=found,
                    show_contacts=show_contacts, contacts=outcome.contacts)
    quiet = output().quiet
    if quiet and fmt == "text":  # the summary, and what stops the plan
        click.echo("\n".join([view.summary_line, *(f"Safety: {m}" for m in found),
                              *([view.refused_line] if view.refused_line else [])]))
    else:
        click.echo(_render(view, fmt, use_color() and fmt == "text"))
    if out_file is not None:
        from reconciler.saved_plans import save_signed

        save_signed(outcome.plan, out_file, directory, environment, found)
        if not quiet:
            click.echo(f"Saved the plan to {out_file}; run `campaignctl apply {out_file}` to "
                       "apply exactly these actions.", err=True)
    if view.refused:
        sys.exit(EXIT_ERROR)  # never 2: a refused action fails the plan, changes or not
    if detailed_exitcode and view.outstanding:  # changes, or unknown outcomes to decide
        sys.exit(EXIT_CHANGES)


@cli.command()
@click.argument("planfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Verify the plan's signature with this workspace's state (else it is "
                   "shown flagged UNVERIFIED).")
@env_option
def show(planfile: Path, fmt: str, workspace_dir: Path | None, environment: str | None) -> None:
    """Print a saved plan (`plan -o FILE`) as `plan` did; no API call, no credentials.
    The first line says whether its signature verified (JSON: on stderr)."""
    from reconciler.saved_plans import show_saved

    view, verdict, verified = show_saved(planfile, workspace_dir, environment)
    if fmt == "json":
        click.echo(verdict, err=True)
        click.echo(_render(view, fmt, False))
    else:
        click.echo(verdict + "\n\n" + _render(view, fmt, use_color() and fmt == "text"))
    if workspace_dir is not None and not verified:
        sys.exit(EXIT_ERROR)


@cli.command()
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
@env_option
def apply(source: Path, targets: tuple[str, ...], auto_approve: bool, force: bool,
          workspace_dir: Path | None, resend_unknown: int | None, report: Path | None,
          environment: str | None) -> None:
    """Apply a fresh plan of DIR (asks to confirm), or exactly a saved PLANFILE."""
    try:
        _apply(source, targets, auto_approve, force, workspace_dir, resend_unknown, report,
               environment)
    except CampaignctlError as exc:
        if report is not None:
            from reconciler.render.apply_report import apply_report

            report.write_text(apply_report(None, error=str(exc)))
        raise


def _apply(source: Path, targets: tuple[str, ...], auto_approve: bool, force: bool,
           workspace_dir: Path | None, resend_unknown: int | None, report: Path | None,
           environment: str | None) -> None:
    from reconciler.engine.safety import enforce
    from reconciler.render.apply import summary_lines
    from reconciler.render.view import PlanView
    from reconciler.run import apply_workspace

    color = use_color()
    options = RunOptions(resend_unknown=resend_unknown is not None,
                         resend_expected=None if resend_unknown == ResendCount.MISSING
                         else resend_unknown)
    saved = None
    if source.is_file():
        from reconciler.engine.saved import check_not_expired, check_saved
        from reconciler.saved_plans import open_for_apply

        if targets:
            raise CampaignctlError("--target applies to a directory; a saved plan already "
                                   "holds its targets")
        # Verified against the state's key before anything else: 0 vendor calls otherwise.
        verified, directory, environment = open_for_apply(source, workspace_dir, environment)
        saved = verified.plan
        check_not_expired(saved, options.now)
        targets = tuple(saved.targets)
    else:
        directory = source
    existing, safety = _existing(directory, environment)
    quiet = output().quiet
    reporter = _reporter()

    def approve(plan) -> bool:
        if saved is not None:
            # The saved plan was reviewed; check_saved proved this plan is the same.
            enforce(plan, existing, safety, force)
            if not quiet:
                click.echo(f"Applying the saved plan {source}: {plural(len(plan.changes), 'action')}.")
                for note in plan.notes:
                    click.echo(f"Note: {note}")
            return True
        if not (quiet and auto_approve):  # what is confirmed is always shown
            click.echo(render_text(plan, color))
        enforce(plan, existing, safety, force)
        if auto_approve:
            return True
        if not sys.stdin.isatty():
            raise CampaignctlError("no terminal to confirm on: re-run with --auto-approve "
                                   "(after reviewing the plan)")
        return click.confirm("Apply these changes?", default=False)

    try:
        outcome = apply_workspace(directory, targets=list(targets), approve=approve,
                                  reporter=reporter, options=options, expected=saved,
                                  check=check_saved if saved is not None else None,
                                  environment=environment)
    finally:
        reporter.close()
    if report is not None:
        from reconciler.render.apply_report import apply_report

        report.write_text(apply_report(outcome.result, notes=outcome.plan.notes,
                                       writes=outcome.writes, reads=outcome.reads))
    refused = PlanView(outcome.plan).refused_line
    if outcome.lineage_recorded:
        click.echo(outcome.lineage_recorded, err=True)
    if outcome.result is None:
        if not outcome.plan.has_changes:
            click.echo(render_text(outcome.plan, color))
        else:
            click.echo("Apply cancelled; nothing was changed.")
        if refused is not None:
            sys.exit(EXIT_ERROR)
        return
    plan_command = f"campaignctl plan {directory}" + (f" --env {environment}"
                                                      if environment else "")
    out, err = summary_lines(outcome.result, outcome.writes, outcome.reads, outcome.drift,
                             plan_command, refused, read_back=outcome.read_back,
                             targets=targets)
    click.echo("\n" + "\n".join(out))
    for line in err:
        click.echo(line, err=True)
    if not outcome.result.ok or refused is not None:
        sys.exit(EXIT_ERROR)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--target", default=None, metavar="Campaign/NAME",
              help="One campaign, with details: batches (tickets, times, outcomes), events.")
@click.option("--show-contacts", is_flag=True,
              help="With --target: list the recipients and their outcomes (counts otherwise).")
@env_option
def status(directory: Path, fmt: str, target: str | None, show_contacts: bool,
           environment: str | None) -> None:
    """Per campaign: state, send time, planned / sent / rejected / unknown, cost, results."""
    from reconciler.status import RENDERERS, collect

    click.echo(RENDERERS[fmt](collect(directory, target, show_contacts, environment)))


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def render(directory: Path, environment: str | None) -> None:
    """Print the manifests as they expand: for_each templates, ${var.NAME} values."""
    from reconciler.expanded import render_expanded

    text, diagnostics = render_expanded(directory, environment)
    if diagnostics:
        raise ValidationFailed(diagnostics)
    click.echo(text, nl=False)


@cli.command()
@click.option("--out", "out_dir", default="schemas", type=click.Path(path_type=Path))
def schema(out_dir: Path) -> None:
    """Write the JSON Schemas for editors to schemas/: one per kind, and campaignctl.yaml's."""
    from reconciler.schema import write_schemas

    for path in write_schemas(out_dir):
        click.echo(f"wrote {path}")


@cli.group()
def state() -> None:
    """Inspect and edit the state store (bindings, send ledger, lock)."""


def _store(directory: Path, environment: str | None):
    from reconciler.state.backend import open_workspace_store

    return open_workspace_store(directory, environment)


def _bound(store, address: str) -> list:
    """The bindings at KIND/NAME (one per account that has it), or exit 1."""
    kind, _, name = address.partition("/")
    found = [b for b in store.bindings() if (b.kind, b.name) == (kind, name)]
    if not found:
        _fail(f"{address} is not in the state")
    return found


@state.command("list")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def state_list(directory: Path, environment: str | None) -> None:
    """List bound resources."""
    with closing(_store(directory, environment)) as store:
        for b in store.bindings():
            click.echo(f"{b.kind}/{b.name}\t{b.account}\t{b.remote_id}")


@state.command("show")
@click.argument("address")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def state_show(address: str, directory: Path, environment: str | None) -> None:
    """Show one binding (KIND/NAME), or a send-only campaign's batches and counts."""
    from reconciler.ledger_cli import ledger_lines
    from reconciler.state.ledger import SendLedger

    kind, _, name = address.partition("/")
    with closing(_store(directory, environment)) as store:
        accounts = [a for a, c in SendLedger(store).campaign_names()
                    if c == name and kind == "Campaign"]
        for account in accounts:
            click.echo("\n".join(ledger_lines(store, account, name)))
        bound = [b for b in store.bindings() if (b.kind, b.name) == (kind, name)]
        for b in bound if accounts else _bound(store, address):
            click.echo(f"address: {address}\naccount: {b.account}\nremote id: {b.remote_id}")


@state.command("rm")
@click.argument("address")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def state_rm(address: str, directory: Path, environment: str | None) -> None:
    """Forget a binding (the live object is left alone)."""
    with closing(_store(directory, environment)) as store:
        for b in _bound(store, address):
            store.remove_binding(b.account, b.kind, b.name)
    click.echo(f"forgot {address}")


@state.command("mv")
@click.argument("source", metavar="KIND/OLD")
@click.argument("destination", metavar="KIND/NEW")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def state_mv(source: str, destination: str, directory: Path, environment: str | None) -> None:
    """Move what the state holds under a renamed manifest (bindings, send ledger, opt-outs).

    Rename the manifest, then run this, so the next plan sees the same resource instead
    of a new one to create or send again. One transaction, under the apply lock."""
    from reconciler.kinds import NAME_PATTERN
    from reconciler.state.move import describe, move
    from reconciler.vendors import ALL_KINDS

    (kind, old), (new_kind, new) = (a.partition("/")[::2] for a in (source, destination))
    if kind not in ALL_KINDS or not old or not new:
        _fail(f"expected KIND/OLD KIND/NEW with KIND one of {', '.join(ALL_KINDS)}, e.g. "
              "`campaignctl state mv Campaign/spring Campaign/spring-2027`")
    if new_kind != kind:
        _fail(f"{source} -> {destination}: a move keeps the kind ({kind})")
    if not re.match(NAME_PATTERN, new):
        _fail(f"{destination}: {new!r} is not a valid name (lower-case letters, digits, "
              "'.', '_', '-')")
    with closing(_store(directory, environment)) as store:
        moved = move(store, kind, old, new)
    click.echo(f"moved {source} to {destination}: {describe(moved)}")


@state.command("unlock")
@click.argument("lock_id", metavar="LOCK_ID")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@env_option
def state_unlock(lock_id: str, directory: Path, environment: str | None) -> None:
    """Break the lock LOCK_ID (shown in the "locked" message), once its holder is gone.

    A lock whose holder is alive is never broken: two applies at once could send twice.
    `state unlock DIR` (no LOCK_ID) shows the lock and its ID."""
    wanted: str | None = lock_id
    if directory == Path(".") and (Path(lock_id) / "campaignctl.yaml").is_file():
        wanted, directory = None, Path(lock_id)  # `state unlock DIR`: show, break nothing
    with closing(_store(directory, environment)) as store:
        info = store.lock_info()
        if info is None:
            click.echo("not locked")
            return
        if wanted is None:
            state = "alive, holding it" if info.alive else "gone (the lock went with it)"
            click.echo(f"lock {info.lock_id}: taken by {info.holder} since {info.since}; "
                       f"that process is {state}")
            if info.alive:
                _fail("not breaking it: its holder is alive. Wait for it, or stop that "
                      "process; the lock goes with it.")
            click.echo(f"Nothing holds it; `campaignctl state unlock {info.lock_id}` clears "
                       "the record.")
            return
        removed = store.break_lock(wanted)
    if removed is None:
        click.echo("not locked")
        return
    click.echo(f"released lock {removed.lock_id}: its holder {removed.holder} (since "
               f"{removed.since}) was no longer running")


@state.command("migrate")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--from", "source", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=Path),
              help="The SQLite state to copy [default: DIR/.campaignctl/state.db, or "
                   "DIR/.campaignctl/ENV/state.db with --env].")
@env_option
def state_migrate(directory: Path, source: Path | None, environment: str | None) -> None:
    """Copy a SQLite state (bindings, send ledger, opt-outs) into the backend campaignctl.yaml names.

    All or nothing, into an empty target; the lineage goes with it, and the SQLite file is
    then marked as migrated (plan and apply refuse it). Running it again says it is done."""
    from reconciler.environments import default_state_path
    from reconciler.state.migrate import migrate_workspace

    source = source or directory / default_state_path(environment)
    for line in migrate_workspace(directory, source, environment):
        click.echo(line)


def _register_state_commands() -> None:
    from reconciler.ledger_cli import ledger
    from reconciler.lineage_cli import lineage
    from reconciler.pins_cli import pin

    state.add_command(ledger)
    state.add_command(lineage)
    state.add_command(pin)


_register_state_commands()


def _register_commands() -> None:
    from reconciler.completion import completion
    from reconciler.fmt_cli import fmt

    cli.add_command(completion)
    cli.add_command(fmt)


_register_commands()


@cli.group()
def sandbox() -> None:
    """The built-in emulator of the vendor APIs."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option("--data-dir", default=".campaignctl/sandbox", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
def sandbox_serve(host: str, port: int, data_dir: Path) -> None:
    """Serve the emulator on HTTP (point an account's base_url at it)."""
    import uvicorn

    from reconciler.sandbox.app import build_app
    from reconciler.vendors import installed

    installed()  # a plug-in that cannot be used: one clear error before serving
    click.echo(f"sandbox serving on http://{host}:{port} (data in {data_dir})")
    # Injected faults raise inside the app by design; uvicorn would log each as a crash.
    uvicorn.run(build_app(data_dir), host=host, port=port, log_level="critical")


@cli.group()
def callbacks() -> None:
    """Receive vendor event callbacks (scheduled-campaigns `event_callback`)."""


@callbacks.command("serve")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8790, show_default=True, type=int)
@env_option
def callbacks_serve(directory: Path, host: str, port: int, environment: str | None) -> None:
    """Store events POSTed to http://HOST:PORT/ACCOUNT/CAMPAIGN in the state store."""
    import uvicorn

    from reconciler.callbacks import build_app

    app = build_app(directory, environment)
    click.echo(f"receiving callbacks on http://{host}:{port}/ACCOUNT/CAMPAIGN")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


@cli.command("import")
@click.argument("account")
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "ids", multiple=True, metavar="ID",
              help="A live object's id at the vendor (repeatable; required by "
                   "scheduled-campaigns, which cannot list).")
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Import only this kind (repeatable): Sender, OptOutList, ContactGroup, "
                   "Message, Campaign.")
@click.option("--name", "names", multiple=True, metavar="PATTERN",
              help="Import only objects whose manifest name or vendor name matches "
                   "(shell pattern, repeatable).")
@click.option("--out", "out", default=None, metavar="FILE",
              help="Manifest file to write, in the workspace (default imported-ACCOUNT.yaml).")
@click.option("--force", is_flag=True, help="Overwrite the manifest file and its CSVs.")
@click.option("--dry-run", is_flag=True, help="List what would be written and bound; "
                                              "write nothing.")
@env_option
def import_(account: str, directory: Path, ids: tuple[str, ...], kinds: tuple[str, ...],
            names: tuple[str, ...], out: str | None, force: bool, dry_run: bool,
            environment: str | None) -> None:
    """Adopt live objects of ACCOUNT: write their manifests and bind them."""
    from reconciler.importer import ImportRequest, import_account

    request = ImportRequest(list(ids), out, list(kinds), list(names), force, dry_run)
    for line in import_account(directory, account, request=request,
                               environment=environment).lines():
        click.echo(line)


CI_TEMPLATES = ("campaignctl-plan.yml", "campaignctl-apply.yml", "campaignctl-drift.yml")


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--ci", "ci", type=click.Choice(["github"]), default=None,
              help="Write ready CI workflows (plan on pull requests, apply on merge, "
                   "nightly drift) instead of a new workspace.")
@click.option("--workspace", "workspace", default=None, metavar="PATH",
              help="With --ci: the workspace inside the repository (default: found from DIR).")
@click.option("--action", "action", default=None, metavar="OWNER/REPO@REF",
              help="With --ci: the campaignctl GitHub Action the workflows run with your "
                   "secrets, pinned to a commit SHA or a release tag. Required, unless this "
                   "campaignctl was pip-installed from a GitHub repository (then: that "
                   "commit).")
@env_option
def init(directory: Path, ci: str | None, workspace: str | None, action: str | None,
         environment: str | None) -> None:
    """Create a new workspace in DIR, or (--ci github) CI workflows in DIR/.github/workflows/."""
    if ci is None:
        source = click.get_current_context().get_parameter_source("environment")
        if source == click.core.ParameterSource.COMMANDLINE:
            _fail("--env goes with --ci github (the environment the workflows plan and "
                  "apply); a new workspace has no environments yet")
        _init_workspace(directory)  # CAMPAIGNCTL_ENV set for other commands is no error here
        return
    from importlib import resources

    from reconciler.ci_action import ActionError, choose

    try:
        chosen = choose(action)
    except ActionError as exc:
        _fail(str(exc))
    if workspace is None:
        found = [d for d in (".", "campaigns") if (directory / d / "campaignctl.yaml").is_file()]
        workspace = found[0] if found else "."
    backend = _state_backend(directory / workspace, environment)
    target = directory / ".github" / "workflows"
    existing = [target / name for name in CI_TEMPLATES if (target / name).exists()]
    if existing:
        _fail(f"{', '.join(map(str, existing))} already {word(len(existing), 'exists', 'exist')}; not overwriting (remove "
              "or rename first)")
    target.mkdir(parents=True, exist_ok=True)
    source = resources.files("reconciler") / "templates" / ci
    for name in CI_TEMPLATES:
        text = (source / name).read_text()
        text = text.replace("CAMPAIGNCTL_WORKSPACE: campaigns",
                            f"CAMPAIGNCTL_WORKSPACE: {workspace}" + (
                                f"\n  CAMPAIGNCTL_ENV: {environment}" if environment else ""))
        text = text.replace("uses: CAMPAIGNCTL_ACTION", f"uses: {chosen.reference}")
        (target / name).write_text(text)
        click.echo(f"wrote {target / name}")
    config = directory / workspace / "campaignctl.yaml"
    if not config.is_file():
        click.echo(f"No {config} yet: create the workspace with `campaignctl init "
                   f"{directory / workspace}`, then set its state to PostgreSQL for CI.",
                   err=True)
    elif backend != "postgres":
        click.echo(f"warning: {config} uses the SQLite "
                   "state, which a CI runner loses after each job; the workflows refuse it. "
                   "Set:\n  state:\n    backend: postgres\n    dsn: ${CAMPAIGNCTL_STATE_DSN}",
                   err=True)
    if not chosen.pinned_to_commit:
        click.echo(f"note: {chosen.reference} is pinned to a tag, which its owner can move; "
                   "a full commit SHA cannot be moved.", err=True)
    click.echo(f"The workflows use the campaignctl action {chosen.reference} "
               f"({chosen.origin}). Next: add the "
               "repository secrets your campaignctl.yaml names (and CAMPAIGNCTL_STATE_DSN for "
               "the shared state), then open a pull request.")


WORKSPACE_TEMPLATE = ("campaignctl.yaml", "senders.yaml", "optouts.yaml", "groups.yaml",
                      "messages.yaml", "campaigns.yaml")


def _init_workspace(directory: Path) -> None:
    """A workspace to start from: commented accounts, one manifest of each kind."""
    from importlib import resources

    source = resources.files("reconciler") / "templates" / "workspace"
    files = {name: name for name in WORKSPACE_TEMPLATE} | {".gitignore": "gitignore"}
    existing = [directory / n for n in files if (directory / n).exists()]
    if existing:
        _fail(f"{', '.join(map(str, existing))} already {word(len(existing), 'exists', 'exist')}; not overwriting (init a "
              "new directory, or remove them first)")
    directory.mkdir(parents=True, exist_ok=True)
    for name, template in files.items():
        (directory / name).write_text((source / template).read_text())
        click.echo(f"wrote {directory / name}")
    from reconciler.state.lineage import start_workspace

    click.echo(f"wrote {start_workspace(directory)}: the lineage of its state, commit it")
    click.echo(f"Next: `campaignctl validate {directory}` and `campaignctl plan {directory}` "
               "(the sandbox account needs no credentials); `campaignctl init --ci github "
               "--action OWNER/REPO@COMMIT_SHA` for CI workflows.")


def _state_backend(workspace: Path, environment: str | None) -> str:
    """state.backend as written in the workspace's campaignctl.yaml for the environment
    (sqlite if unreadable); an environment that is needed and missing is an error."""
    from reconciler.environments import select
    from reconciler.yamlsource import load_file, plain

    docs, _ = load_file(workspace / "campaignctl.yaml", "campaignctl.yaml")
    doc = None
    if len(docs) == 1:
        doc, errors = select(docs[0], environment)
        if doc is None:
            raise ValidationFailed(errors)
    data = plain(doc.data) if doc is not None else None
    state = data.get("state") if isinstance(data, dict) else None
    return str(state.get("backend", "sqlite")) if isinstance(state, dict) else "sqlite"


add_output_options(cli)


def main(argv: list[str] | None = None) -> None:
    cli_options.current = cli_options.Output()
    add_output_options(cli)  # commands registered since import get them too
    # Everything printed passes the run's credentials' mask (reconciler.secrets).
    with redacted_output():
        _main(argv)


def _main(argv: list[str] | None) -> None:
    try:
        cli.main(args=argv, prog_name="campaignctl", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_ERROR)  # usage errors too: exit 2 would read as "changes present"
    except ValidationFailed as exc:
        for d in exc.diagnostics:
            click.echo(str(d), err=True)
        sys.exit(EXIT_ERROR)
    except CampaignctlError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(EXIT_ERROR)
    except OSError as exc:  # the machine, not the input: a full disk, a permission
        where = f": {exc.filename}" if exc.filename else ""
        _fail(f"{exc.strerror or type(exc).__name__}{where}")
    except Exception as exc:  # a bug of ours: one line, the details on request
        debug = cli_options.current.debug
        if debug:
            import traceback

            traceback.print_exc()
        _fail(f"internal error ({type(exc).__name__}) in campaignctl {__version__}: this is "
              "a bug, please report it with the output of the same command run as "
              "`campaignctl --debug ...`" + ("" if debug else " (which shows the details)"))
