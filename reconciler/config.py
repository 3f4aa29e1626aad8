"""campaignctl.yaml: provider accounts, state backend, safety settings, manifest variables
(`vars:`) and environments (reconciler/environments.py).

Secrets come from the environment as `${VAR}`; a missing variable is an error that names
the file, line and variable, and the value itself is held in a `Secret` that never prints.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from reconciler import environments
from reconciler.base_url import check_base_url
from reconciler.errors import Diagnostic, Location
from reconciler.policy.settings import Policy, PolicyConfig, build_policy
from reconciler.secrets import Secret
from reconciler.state.location import state_file
from reconciler.suggest import did_you_mean, model_fields_at
from reconciler.var_overrides import Overrides
from reconciler.vendors import installed
from reconciler.workspace_files import FileRefused
from reconciler.yamlsource import SourceDoc, load_file, plain

CONFIG_FILE = "campaignctl.yaml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: a password written into a DSN: postgresql://user:PASSWORD@host (a ${VAR} password is
#: fine) or password=... (the schema for editors holds the same pattern)
DSN_PASSWORD_PATTERN = (r"://[^/@:]*:(?!\$\{[A-Za-z_][A-Za-z0-9_]*\}@)[^/@]+@"
                        r"|\bpassword\s*=")
_DSN_PASSWORD = re.compile(DSN_PASSWORD_PATTERN)
#: a provider credential as it must be written: from the environment, ${VAR} (the schema
#: for editors holds the same pattern)
CREDENTIAL_PATTERN = r"^\s*(\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*)+$"
_CREDENTIAL = re.compile(CREDENTIAL_PATTERN)


class StateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: Literal["sqlite", "postgres"] = "sqlite"
    path: str = Field(".campaignctl/state.db", description="SQLite file, relative to the workspace")
    dsn: str | None = Field(None, description="PostgreSQL DSN, e.g. ${CAMPAIGNCTL_STATE_DSN}",
                            json_schema_extra={"not": {"pattern": DSN_PASSWORD_PATTERN}})
    schema_: str = Field(
        "campaignctl", alias="schema", pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema holding this workspace's state: one per workspace "
                    "when several share a database")


class SafetyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_delete_percent: float = Field(
        25.0, ge=0, le=100,
        description="Largest share of existing managed resources a plan may delete")
    max_update_percent: float = Field(
        50.0, ge=0, le=100,
        description="Largest share of existing managed resources a plan may update")
    min_existing: int = Field(
        10, ge=0, description="Below this many existing resources the percentage thresholds "
                              "do not apply")
    max_cancel_scheduled: int = Field(
        0, ge=0, description="Most campaigns scheduled to send that one plan may cancel or "
                             "delete without --force (whatever min_existing says)")
    max_recipients_per_send: int | None = Field(
        None, ge=0, description="Most recipients one send of a plan may reach without --force")
    max_cost_per_apply: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")],
                             Annotated[float, Field(ge=0)]] = Field(
        default_factory=dict,
        description="Per currency (e.g. EUR: 200), the largest estimated cost of the sends "
                    "one plan may make without --force")
    max_audience_growth_percent: float | None = Field(
        None, ge=0, description="How much larger (in percent) a campaign's audience may be "
                                "than at its last reviewed (plan -o) or applied send, "
                                "without --force")


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    providers: dict[str, dict[str, Any]] = Field(default_factory=dict)
    state: StateConfig = Field(default_factory=StateConfig)
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)


@dataclass
class Account:
    """One provider account from campaignctl.yaml."""

    name: str
    type: str
    base_url: str
    credentials: dict[str, Secret]
    options: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    insecure_http: bool = False  # http:// to a non-loopback host, allowed by the account

    def __repr__(self) -> str:
        return f"Account({self.name!r}, type={self.type!r}, base_url={self.base_url!r})"


@dataclass
class WorkspaceConfig:
    directory: Path
    accounts: dict[str, Account]
    state: StateConfig
    safety: SafetyConfig
    environment: str | None = None  # the chosen one, when campaignctl.yaml has environments
    variables: dict[str, Any] = field(default_factory=dict)  # ${var.NAME} in manifests
    policy: Policy | None = None  # None: the pack as shipped
    # what --var and CAMPAIGNCTL_VAR_NAME set: name -> {source, value | sha256, secret}
    overridden: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def send_policy(self) -> Policy:
        if self.policy is None:
            self.policy = build_policy(None)[0]
        return self.policy

    @property
    def secrets(self) -> list[Secret]:
        out = [s for a in self.accounts.values() for s in a.credentials.values()]
        if self.state.dsn:
            out.append(Secret(self.state.dsn))
        return out


def _interpolate(value: Any, doc: SourceDoc, loc: tuple, env: dict[str, str] | None,
                 errors: list[Diagnostic]) -> Any:
    """${VAR} from env; with env None (offline) every reference is kept as written."""
    if isinstance(value, str):
        def sub(m: re.Match) -> str:
            name = m.group(1)
            if env is None:
                return m.group(0)
            if name not in env:
                errors.append(Diagnostic(doc.locate(loc),
                                         f"environment variable {name} is not set"))
                return m.group(0)  # kept as written: no second "needs `token`" error
            return env[name]
        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, doc, (*loc, k), env, errors) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, doc, (*loc, i), env, errors) for i, v in enumerate(value)]
    return value


def environment_names(directory: Path) -> list[str]:
    """The environments campaignctl.yaml declares (none when it declares none, or cannot
    be read: `validate` then reports why)."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        return []
    docs, errors = load_file(path, str(path))
    return [] if errors or len(docs) != 1 else environments.names(docs[0].data)


def load_config(directory: Path, env: dict[str, str] | None = None,
                environment: str | None = None, *, offline: bool = False,
                overrides: Overrides | None = None,
                ) -> tuple[WorkspaceConfig | None, list[Diagnostic]]:
    """`offline` (validate): no environment is read, so no credential is needed; each
    ${VAR} stays as written (a placeholder that is never sent anywhere). `overrides`:
    the variables --var and CAMPAIGNCTL_VAR_NAME set (reconciler/var_overrides.py)."""
    env = None if offline else dict(os.environ) if env is None else env
    path = Path(directory) / CONFIG_FILE
    display = str(path)
    if not path.is_file():
        return None, [Diagnostic(Location(str(directory)), no_workspace(Path(directory)))]
    docs, errors = load_file(path, display)
    if errors:
        return None, errors
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        return None, [Diagnostic(Location(display, 1, 1), "expected one YAML mapping")]
    secrets_written = written_secrets(docs[0])  # every environment's, whichever is chosen
    doc, errors = environments.select(docs[0], environment)
    errors = secrets_written + errors
    if doc is None:
        return None, errors
    written = plain(doc.data)
    variables = _variables(written.pop("vars", None), doc, errors)
    overridden: dict[str, dict[str, Any]] = {}
    if overrides is not None and not errors:
        variables, overridden = overrides.resolve(variables, errors)
    raw = _interpolate(written, doc, (), env, errors)
    try:
        parsed = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            errors.append(Diagnostic(doc.locate(err["loc"]), _message(err, ConfigFile)))
        return None, errors
    accounts = {}
    for name, body in parsed.providers.items():
        acc = _account(name, body, doc, errors)
        if acc:
            accounts[name] = acc
    if parsed.state.backend == "postgres" and not parsed.state.dsn:
        errors.append(Diagnostic(doc.locate(("state",)), "state.backend postgres needs a dsn"))
    policy, problems = build_policy(parsed.policy)
    errors += [Diagnostic(doc.locate(loc), message) for loc, message in problems]
    if errors:
        return None, errors
    state = parsed.state
    if environment:  # every environment has its own state unless campaignctl.yaml says where
        state = state.model_copy(update={
            k: v for k, v in (("path", environments.default_state_path(environment)),
                              ("schema_", environments.default_state_schema(environment)))
            if k not in state.model_fields_set})
    if problem := _state_path_problem(state, Path(directory)):
        return None, [Diagnostic(doc.locate(("state", "path")), problem)]
    return WorkspaceConfig(Path(directory), accounts, state, parsed.safety, environment,
                           variables, policy, overridden), []


def workspaces_under(directory: Path, depth: int = 2) -> list[Path]:
    """The workspaces (folders with a campaignctl.yaml) under `directory`, `depth` levels
    down at most, hidden folders left out; nearest first."""
    found, level = [], [directory]
    for _ in range(depth):
        level = [d for parent in level for d in _subfolders(parent)]
        found += [d for d in level if (d / CONFIG_FILE).is_file()]
    return found


def _subfolders(directory: Path) -> list[Path]:
    try:
        return sorted(d for d in directory.iterdir()
                      if d.is_dir() and not d.name.startswith("."))
    except OSError:
        return []


def no_workspace(directory: Path) -> str:
    """Why `directory` is no workspace, in one line, and where one is when a folder under
    it holds one (a repository's root holding campaigns/)."""
    found = workspaces_under(directory)
    if not found:
        return f"no {CONFIG_FILE} here: not a campaignctl workspace"
    names = [str(d) for d in found[:3]]
    more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
    return (f"no workspace here (no {CONFIG_FILE}); "
            f"{', '.join(n + '/' for n in names)}{more} "
            f"{'holds one' if len(found) == 1 else 'hold one each'}: give it as the "
            f"directory, e.g. `campaignctl plan {names[0]}`")


def _state_path_problem(state: StateConfig, directory: Path) -> str | None:
    """Why a SQLite `state.path` is refused (outside the workspace, a workspace file, a
    folder, a device...: reconciler/state/location.py), checked before anything is created.
    A ${VAR} kept as written (validate, offline) is checked once plan or apply expands it."""
    if state.backend != "sqlite" or _VAR.search(state.path):
        return None
    try:
        state_file(state.path, directory)
    except FileRefused as exc:
        return f"state.path: {exc}"
    return None


VAR_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
_VAR_NAME = re.compile(VAR_NAME_PATTERN)


def written_secrets(doc: SourceDoc) -> list[Diagnostic]:
    """Secrets written into campaignctl.yaml itself (as written, before ${VAR} expansion), at
    the top level and in every environment: a password in a DSN, a literal credential."""
    data = doc.data if isinstance(doc.data, dict) else {}
    envs = data.get("environments")
    blocks = [((), data), *((("environments", name), body) for name, body in
                            (envs.items() if isinstance(envs, dict) else ())
                            if isinstance(body, dict))]
    top = data.get("providers") if isinstance(data.get("providers"), dict) else {}
    out = []
    for at, block in blocks:
        state = block.get("state")
        dsn = state.get("dsn") if isinstance(state, dict) else None
        if isinstance(dsn, str) and _DSN_PASSWORD.search(dsn):
            out.append(Diagnostic(doc.locate((*at, "state", "dsn")),
                                  "state.dsn holds a password: take it from the environment, "
                                  "e.g. dsn: ${CAMPAIGNCTL_STATE_DSN}"))
        accounts = block.get("providers")
        for name, body in (accounts.items() if isinstance(accounts, dict) else ()):
            vtype = _get(top.get(name), "type")
            vendor = installed().get(vtype) if isinstance(vtype, str) else None
            for key in vendor.credentials if vendor and isinstance(body, dict) else ():
                value = body.get(key)
                if value is not None and not _CREDENTIAL.fullmatch(str(value)):
                    var = re.sub(r"[^A-Z0-9]+", "_", f"{name}_{key}".upper())
                    out.append(Diagnostic(doc.locate((*at, "providers", name, key)), (
                        f"provider {name}: `{key}` is written into {CONFIG_FILE}: take it "
                        f"from the environment, e.g. {key}: ${{{var}}} (credentials never "
                        "live in the repository)")))
    return out


def _get(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, dict) else None


def _variables(value: Any, doc: SourceDoc, errors: list[Diagnostic]) -> dict[str, Any]:
    """`vars:` (the top level's, with the environment's on top): values for ${var.NAME} in
    manifests. Never from the process environment: manifests and plans must hold no secret."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors.append(Diagnostic(doc.locate(("vars",)), "vars: expected a mapping of names "
                                                        "to values"))
        return {}
    for name, v in value.items():
        if not _VAR_NAME.match(name):
            errors.append(Diagnostic(doc.locate_key(("vars", name)), (
                f"vars: {name!r} is not a variable name (letters, digits and _)")))
        elif any(_VAR.search(s) for s in _strings(v)):
            errors.append(Diagnostic(doc.locate(("vars", name)), (
                f"vars.{name}: ${{VAR}} is not expanded here: manifests, and so plans, never "
                "take values from the process environment (secrets stay in provider "
                "settings)")))
    return value


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _account(name: str, body: Any, doc: SourceDoc, errors: list[Diagnostic]) -> Account | None:
    loc = ("providers", name)
    if not isinstance(body, dict):
        errors.append(Diagnostic(doc.locate(loc), f"provider {name}: expected a mapping"))
        return None
    vtype = body.get("type")
    catalog = installed()
    if not isinstance(vtype, str) or vtype not in catalog:
        shown = repr(vtype) if isinstance(vtype, str) else f"(a {type(vtype).__name__})"
        errors.append(Diagnostic(
            doc.locate((*loc, "type")),
            f"provider {name}: unknown type {shown} (expected one of {', '.join(catalog)})"))
        return None
    vendor = catalog[vtype]
    base_url = body.get("base_url")
    if isinstance(base_url, str) and _VAR.search(base_url):
        # Only offline (validate) keeps a ${VAR} as written: the URL is not known here, and
        # plan/apply check it once the environment supplies it.
        url_problem, insecure = None, False
    else:
        url_problem, insecure = check_base_url(base_url, body.get("allow_insecure_http", False))
    if url_problem:
        errors.append(Diagnostic(doc.locate((*loc, "base_url")),
                                 f"provider {name}: {url_problem}"))
        return None
    creds: dict[str, Secret] = {}
    for key in vendor.credentials:
        value = body.get(key)
        if value is None and base_url == "sandbox":
            # The in-process sandbox accepts the account's own credentials; one of its own
            # per account keeps two accounts' objects apart (sandbox/accounts.py).
            value = f"sandbox-{name}"
        if isinstance(value, str):
            value = value.strip()  # a secret pasted with its trailing newline
        if not isinstance(value, str) or not value:
            errors.append(Diagnostic(doc.locate(loc),
                                     f"provider {name}: {vtype} needs `{key}`"))
            continue
        if not (value.isascii() and value.isprintable()):
            errors.append(Diagnostic(doc.locate((*loc, key)), (
                f"provider {name}: `{key}` holds a line break, a control or a non-ASCII "
                "character; it is sent as an HTTP header (check the environment variable)")))
            continue
        creds[key] = Secret(value)
    known = {"type", "base_url", "allow_insecure_http", *vendor.credentials}
    options = {k: v for k, v in body.items() if k not in known}
    for key, value in options.items():
        if key in vendor.settings:
            continue  # checked by the vendor, below
        if key == "proof":
            if not (isinstance(value, dict) and set(value) == {"group"}
                    and isinstance(value["group"], str) and value["group"]):
                errors.append(Diagnostic(doc.locate((*loc, key)), f"provider {name}: `proof` "
                                         "must be {group: NAME}, a ContactGroup that "
                                         "`campaignctl proof` sends to by default"))
            continue
        if key not in HTTP_SETTINGS:
            errors.append(Diagnostic(doc.locate_key((*loc, key)),
                                     f"provider {name}: unknown setting `{key}`"))
        elif problem := HTTP_SETTINGS[key](value):
            errors.append(Diagnostic(doc.locate((*loc, key)),
                                     f"provider {name}: `{key}` {problem}"))
    for problem, where in vendor.check_settings(options):
        errors.append(Diagnostic(doc.locate((*loc, *where)), f"provider {name}: {problem}"))
    return Account(name, vtype, base_url, creds, options, doc.locate(loc), insecure)


@dataclass(frozen=True)
class NumberSetting:
    """A number an account setting holds, from `low` to `high`: checked before any use, and
    written into the schema for editors."""

    low: float
    high: float
    integer: bool = False
    description: str = ""

    def __call__(self, value: Any) -> str | None:
        kinds = (int,) if self.integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, kinds) or not (
                self.low <= value <= self.high):
            what = "a whole number" if self.integer else "a number"
            return f"must be {what} from {self.low:g} to {self.high:g}"
        return None

    def schema(self) -> dict[str, Any]:
        return {"type": "integer" if self.integer else "number", "minimum": self.low,
                "maximum": self.high, "description": self.description}


#: the HTTP settings an account may hold, each with its check (before any use)
HTTP_SETTINGS = {
    "timeout": NumberSetting(0.1, 3600, description="Seconds to wait for a response"),
    "max_concurrency": NumberSetting(1, 256, True, "Requests in flight at once"),
    "rate_limit": NumberSetting(0.01, 100_000, description="Requests per second at most"),
}
def _message(err: dict, model: type[BaseModel]) -> str:
    field_path = ".".join(str(p) for p in err["loc"])
    if err["type"] == "extra_forbidden":
        known = model_fields_at(model, err["loc"][:-1])
        return f"unknown field `{field_path}`" + did_you_mean(str(err["loc"][-1]), known)
    return f"{field_path}: {err['msg']}"
