"""`campaignctl init [DIR] [--ci github]`: a new workspace, or ready CI workflows."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import api
from reconciler.cli.options import calls, env_option, output
from reconciler.cli.shell import fail


@calls(api.init_ci)
@click.command()
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
            fail("--env goes with --ci github (the environment the workflows plan and "
                 "apply); a new workspace has no environments yet")
        # CAMPAIGNCTL_ENV set for other commands is no error here
        written, lineage_file = api.init_workspace(directory)
        if output().quiet:  # only errors
            return
        for path in written:
            click.echo(f"wrote {path}")
        click.echo(f"wrote {lineage_file}: the lineage of its state, commit it")
        click.echo(f"Next: `campaignctl validate {directory}` and `campaignctl plan "
                   f"{directory}` (the sandbox account needs no credentials); `campaignctl "
                   "init --ci github --action OWNER/REPO@COMMIT_SHA` for CI workflows.")
        return
    done = api.init_ci(directory, ci, workspace=workspace, action=action,
                       environment=environment)
    if output().quiet:  # only errors: the warnings below are advice
        return
    for path in done.written:
        click.echo(f"wrote {path}")
    if done.backend is None:
        click.echo(f"No {done.config} yet: create the workspace with `campaignctl init "
                   f"{directory / done.workspace}`, then set its state to PostgreSQL for CI.",
                   err=True)
    elif done.backend != "postgres":
        click.echo(f"warning: {done.config} uses the SQLite "
                   "state, which a CI runner loses after each job; the workflows refuse it. "
                   "Set:\n  state:\n    backend: postgres\n    dsn: ${CAMPAIGNCTL_STATE_DSN}",
                   err=True)
    if not done.pinned_to_commit:
        click.echo(f"note: {done.action} is pinned to a tag, which its owner can move; "
                   "a full commit SHA cannot be moved.", err=True)
    click.echo(f"The workflows use the campaignctl action {done.action} "
               f"({done.action_origin}). Next: add the "
               "repository secrets your campaignctl.yaml names (and CAMPAIGNCTL_STATE_DSN for "
               "the shared state), then open a pull request.")
