"""Which state store a workspace uses: SQLite (store.py, the default) or PostgreSQL
(postgres.py). The one place that chooses between the two, so neither store imports
the other."""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.state.location import state_file
from reconciler.state.scrub import scrub_credentials
from reconciler.state.store import SqliteStore, Store
from reconciler.workspace_files import FileRefused


def workspace_config(directory: Path, environment: str | None = None):
    """campaignctl.yaml alone (no manifests), for the commands that only need the accounts
    and the state backend; ValidationFailed when it does not load."""
    from reconciler.config import load_config

    config, errors = load_config(directory, environment=environment)
    if config is None:
        raise ValidationFailed(errors)
    return config


def open_workspace_store(directory: Path, environment: str | None = None) -> Store:
    """The state store of the workspace at `directory`, in `environment`."""
    return open_store(workspace_config(directory, environment))


#: Set (to anything but "" / 0 / false) by the shipped CI workflows: their runners are
#: thrown away after each job, so a SQLite state would be lost and the next apply would
#: create and send again. With it set, only a shared backend is accepted.
REQUIRE_SHARED = "CAMPAIGNCTL_REQUIRE_SHARED_STATE"


def open_store(config) -> Store:
    """The workspace's state store (config: reconciler.config.WorkspaceConfig)."""
    if config.state.backend == "postgres":
        # Imported only for PostgreSQL workspaces: psycopg costs every SQLite run otherwise,
        # and it is an optional extra (`pip install "campaignctl[postgres]"`).
        try:
            from reconciler.state.postgres import PostgresStore
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] != "psycopg":
                raise
            raise CampaignctlError(
                "state.backend is postgres, but the PostgreSQL driver is not installed: "
                "install campaignctl with its postgres extra, "
                "`pip install \"campaignctl[postgres]\"` (from a checkout: "
                "`pip install -e \".[postgres]\"`)") from None

        return _of_environment(PostgresStore(config.state.dsn, schema=config.state.schema_),
                               config)
    if os.environ.get(REQUIRE_SHARED, "").lower() not in ("", "0", "false", "no"):
        raise CampaignctlError(
            f"{REQUIRE_SHARED} is set (as in the campaignctl CI workflows) but the state "
            f"backend is SQLite, which this runner loses after the job: the next apply would "
            "create and send everything again. Set in campaignctl.yaml:\n"
            "  state:\n    backend: postgres\n    dsn: ${CAMPAIGNCTL_STATE_DSN}")
    try:  # load_config refused it already, at its line; this holds for API callers too
        path = state_file(config.state.path, Path(config.directory))
    except FileRefused as exc:
        raise CampaignctlError(f"state.path: {exc}") from None
    return _of_environment(SqliteStore(path), config)


def _of_environment(store: Store, config) -> Store:
    from reconciler.environments import check_store

    try:
        check_store(store, getattr(config, "environment", None))
        scrub_credentials(store)  # config's credentials are the run's (reconciler.secrets)
    except CampaignctlError:
        store.close()
        raise
    return store
