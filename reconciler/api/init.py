"""`init`: a new workspace from the templates, or the ready CI workflows of a repository
(plan on pull requests, apply on merge, nightly drift) for a workspace in it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from reconciler.ci_action import ActionError, choose
from reconciler.environments import select
from reconciler.errors import CampaignctlError, ValidationFailed
from reconciler.schema import CONFIG_SCHEMA, schema_file, write_schemas
from reconciler.state.lineage import start_workspace
from reconciler.words import word
from reconciler.yamlsource import load_file, plain

WORKSPACE_TEMPLATE = ("campaignctl.yaml", "senders.yaml", "optouts.yaml", "groups.yaml",
                      "messages.yaml", "campaigns.yaml")
CI_TEMPLATES = ("campaignctl-plan.yml", "campaignctl-apply.yml", "campaignctl-drift.yml")


def _refuse_existing(paths: list[Path], advice: str) -> None:
    if paths:
        raise CampaignctlError(f"{', '.join(map(str, paths))} already "
                               f"{word(len(paths), 'exists', 'exist')}; not overwriting "
                               f"({advice})")


def init_workspace(directory: Path) -> tuple[list[Path], Path]:
    """A workspace to start from in `directory` (commented accounts, one manifest of each
    kind); refuses to overwrite any file. (the files written, the lineage file)."""
    directory = Path(directory)
    source = resources.files("reconciler") / "templates" / "workspace"
    files = {name: name for name in WORKSPACE_TEMPLATE} | {".gitignore": "gitignore"}
    _refuse_existing([directory / n for n in files if (directory / n).exists()],
                     "init a new directory, or remove them first")
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, template in files.items():
        (directory / name).write_text(with_schema_line((source / template).read_text("utf-8"),
                                                       name), encoding="utf-8")
        written.append(directory / name)
    written += write_schemas(directory / "schemas")
    return written, start_workspace(directory)


def with_schema_line(text: str, name: str) -> str:
    """`text` with the `# yaml-language-server: $schema=schemas/...` line editors read
    first, naming its kind's schema (campaignctl.yaml's for the config)."""
    if name == "campaignctl.yaml":
        schema = CONFIG_SCHEMA
    elif (kind := re.search(r"^kind: (\w+)$", text, re.M)) is not None:
        schema = schema_file(kind[1])
    else:
        return text
    return f"# yaml-language-server: $schema=schemas/{schema}\n{text}"


@dataclass
class CiWorkflows:
    written: list[Path]
    workspace: str  # inside the repository
    config: Path  # the workspace's campaignctl.yaml
    backend: str | None  # its state backend (None: no campaignctl.yaml yet)
    action: str  # the campaignctl GitHub Action reference the workflows use
    action_origin: str  # where that reference came from
    pinned_to_commit: bool
    notes: list[str] = field(default_factory=list)


def init_ci(directory: Path, ci: str = "github", *, workspace: str | None = None,
            action: str | None = None, environment: str | None = None) -> CiWorkflows:
    """The CI workflows in DIR/.github/workflows/ for the workspace at `workspace` (found
    from `directory` when not given), running the campaignctl action `action` (pinned)."""
    directory = Path(directory)
    try:
        chosen = choose(action)
    except ActionError as exc:
        raise CampaignctlError(str(exc)) from None
    if workspace is None:
        found = [d for d in (".", "campaigns") if (directory / d / "campaignctl.yaml").is_file()]
        workspace = found[0] if found else "."
    config = directory / workspace / "campaignctl.yaml"
    backend = state_backend(directory / workspace, environment) if config.is_file() else None
    target = directory / ".github" / "workflows"
    _refuse_existing([target / n for n in CI_TEMPLATES if (target / n).exists()],
                     "remove or rename first")
    target.mkdir(parents=True, exist_ok=True)
    source = resources.files("reconciler") / "templates" / ci
    written = []
    for name in CI_TEMPLATES:
        text = (source / name).read_text("utf-8")
        text = text.replace("CAMPAIGNCTL_WORKSPACE: campaigns",
                            f"CAMPAIGNCTL_WORKSPACE: {workspace}" + (
                                f"\n  CAMPAIGNCTL_ENV: {environment}" if environment else ""))
        text = text.replace("uses: CAMPAIGNCTL_ACTION", f"uses: {chosen.reference}")
        (target / name).write_text(text, encoding="utf-8")
        written.append(target / name)
    return CiWorkflows(written, workspace, config, backend, chosen.reference, chosen.origin,
                       chosen.pinned_to_commit)


def state_backend(workspace: Path, environment: str | None) -> str:
    """state.backend as written in the workspace's campaignctl.yaml for the environment
    (sqlite if unreadable); an environment that is needed and missing is an error."""
    docs, _ = load_file(workspace / "campaignctl.yaml", "campaignctl.yaml")
    doc = None
    if len(docs) == 1:
        doc, errors = select(docs[0], environment)
        if doc is None:
            raise ValidationFailed(errors)
    data = plain(doc.data) if doc is not None else None
    state = data.get("state") if isinstance(data, dict) else None
    return str(state.get("backend", "sqlite")) if isinstance(state, dict) else "sqlite"
