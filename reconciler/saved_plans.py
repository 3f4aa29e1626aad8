"""Saved plan files against a workspace's state: `plan -o` signs with the state's key,
`apply FILE` and `show FILE --workspace DIR` verify with it (engine/signing.py holds the
MAC, engine/saved.py the document). Nothing here calls a vendor."""

from __future__ import annotations

from pathlib import Path

from reconciler.engine.plan import Plan
from reconciler.engine.saved import SavedPlan, check_environment, read_saved, save_plan
from reconciler.engine.signing import PlanKey, state_key
from reconciler.errors import CampaignctlError
from reconciler.render.view import PlanView
from reconciler.state.backend import open_workspace_store
from reconciler.state.store import Store


def state_name(directory: Path, environment: str | None) -> str:
    return f"the state of {directory}" + (f" (environment {environment})" if environment
                                          else "")


def plan_key(directory: Path, environment: str | None, create: bool) -> PlanKey | None:
    """The plan signing key of the workspace's state (created when `create`)."""
    store = open_workspace_store(directory, environment)
    try:
        return state_key(store, create)
    finally:
        store.close()


def save_signed(plan: Plan, path: Path, directory: Path, safety: list[str],
                store: Store) -> None:
    """`plan -o FILE`: the plan document, signed with the key of the state it was made
    against (`store`; the key is created on the first save)."""
    save_plan(plan, path, directory, safety, key=state_key(store, True))


def locate(source: Path, workspace: Path | None, environment: str | None,
           ) -> tuple[SavedPlan, Path, str | None]:
    """(the saved plan, NOT verified yet, its workspace, its environment) for `apply FILE`:
    the workspace it names (or `workspace`, when it moved) and its own environment unless
    one is given; a file that names another environment is refused here, before the state
    of either is opened. `verify_with` then checks it against that state."""
    saved = read_saved(source)
    directory = workspace or (Path(saved.directory) if saved.directory else None)
    if directory is None or not directory.is_dir():
        raise CampaignctlError(f"the workspace {saved.directory} named in {source} does not "
                               "exist here; pass --workspace DIR")
    # Without --env the plan's own environment: what was reviewed is what is applied. A file
    # that names another one is refused before the state of either is opened.
    environment = environment or saved.plan.environment
    check_environment(saved.plan, environment, source)
    return saved, directory, environment


def verify_with(saved: SavedPlan, store: Store, directory: Path,
                environment: str | None) -> None:
    """Refuses (before any vendor call or state write) a saved plan that was not signed
    with the key of `store`, the state it would be applied to."""
    saved.verify(state_key(store, False), state_name(directory, environment))


UNVERIFIED = ("UNVERIFIED PLAN: its signature was not checked, and anyone can edit a plan "
              "file. To verify it against the state that signed it: campaignctl show {file} "
              "--workspace DIR [--env NAME]")


def show_saved(path: Path, workspace: Path | None, environment: str | None,
               ) -> tuple[PlanView, str, bool]:
    """(the plan as `plan` printed it, the line that says whether it verified, verified).
    Without a workspace only the file is read: the plan is shown, flagged unverified."""
    saved = read_saved(path)
    if workspace is None:
        return saved.view(), UNVERIFIED.format(file=path), False
    environment = environment or saved.plan.environment
    state = state_name(workspace, environment)
    try:
        check_environment(saved.plan, environment, path)
        saved.verify(plan_key(workspace, environment, False), state)
    except CampaignctlError as exc:  # UnverifiedPlan, or signed for another environment
        return saved.view(), f"NOT VERIFIED: {exc} Do not approve or apply it.", False
    return saved.view(), (f"Verified: signed with the key of {state}, key {saved.key_id}; "
                          "the file is as it was planned."), True
