"""Environments in campaignctl.yaml: one workspace, several targets (staging, production).

    providers: {mail: {type: email-campaigns}}      # the accounts every environment has
    environments:
      staging:    {providers: {mail: {base_url: sandbox}}}
      production: {providers: {mail: {base_url: ${MAIL_API_URL}, token: ${MAIL_API_TOKEN}}},
                   state: {backend: postgres, dsn: ${CAMPAIGNCTL_STATE_DSN}}}

The chosen environment's block is merged over the top level, key by key, before anything
else reads the file (so errors still point at the line that set a value). Only the chosen
environment is expanded: production's secrets are not needed to plan staging. Every
environment has its own state (a staging send must never mark a production recipient as
sent): by default `.campaignctl/<env>/state.db` or the PostgreSQL schema `campaignctl_<env>`,
and two environments that would share one state are refused.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from reconciler.errors import CampaignctlError, Diagnostic
from reconciler.suggest import did_you_mean
from reconciler.yamlsource import SourceDoc, YamlMap, plain

ENV_VAR = "CAMPAIGNCTL_ENV"
ENV_NAME = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,30}[a-z0-9])?$")
SECTIONS = ("providers", "state", "safety", "vars")
#: meta key recording which environment a state store belongs to
META_KEY = "environment"


def default_state_path(environment: str | None) -> str:
    return f".campaignctl/{environment}/state.db" if environment else ".campaignctl/state.db"


def default_state_schema(environment: str | None) -> str:
    return f"campaignctl_{environment.replace('-', '_')}" if environment else "campaignctl"


def merge(base: Any, over: Any) -> Any:
    """`over` on top of `base`, mapping by mapping; keeps each key's YAML position."""
    if not (isinstance(base, YamlMap) and isinstance(over, YamlMap)):
        return over
    out = YamlMap()
    out.start, out.pos = base.start, {}
    for source in (base, over):
        for key, value in source.items():
            out[key] = merge(out[key], value) if source is over and key in out else value
            out.pos[key] = source.pos[key]
    return out


def names(data: Any) -> list[str]:
    envs = data.get("environments") if isinstance(data, dict) else None
    return sorted(str(k) for k in envs) if isinstance(envs, dict) else []


def select(doc: SourceDoc, environment: str | None,
           ) -> tuple[SourceDoc | None, list[Diagnostic]]:
    """campaignctl.yaml as the chosen environment sees it (no `environments:` key), or the
    reason there is none: environments declared and none chosen, an unknown name, a block
    that would change an account's type, two environments sharing one state..."""
    data = doc.data
    if not isinstance(data, YamlMap) or "environments" not in data:
        if environment:
            return None, [Diagnostic(doc.start, (
                f"--env {environment}: this campaignctl.yaml declares no environments "
                f"(drop --env and {ENV_VAR}, or add `environments:`)"))]
        return doc, []
    envs = data["environments"]
    where = doc.locate_key(("environments",))
    if not isinstance(envs, YamlMap) or not envs:
        return None, [Diagnostic(where, "environments: expected a mapping of environment "
                                        "names to their settings")]
    known = ", ".join(names(data))
    if not environment:
        return None, [Diagnostic(where, (
            f"this workspace has environments ({known}): choose one with --env NAME "
            f"(or {ENV_VAR}=NAME)"))]
    if environment not in envs:
        return None, [Diagnostic(where, f"--env {environment}: no such environment"
                                        f"{did_you_mean(environment, envs)} "
                                        f"(environments: {known})")]
    errors = check_all(doc, envs)
    if errors:
        return None, errors
    top = YamlMap((k, v) for k, v in data.items() if k != "environments")
    top.start, top.pos = data.start, {k: p for k, p in data.pos.items() if k in top}
    body = envs[environment]
    merged = merge(top, body) if isinstance(body, YamlMap) else top
    return SourceDoc(doc.path, doc.index, merged, doc.start), []


def check_all(doc: SourceDoc, envs: YamlMap) -> list[Diagnostic]:
    """Every environment's block, checked whichever one is chosen (a broken production
    block is reported when planning staging too, before anyone relies on it)."""
    errors: list[Diagnostic] = []
    providers = doc.data.get("providers")
    providers = providers if isinstance(providers, dict) else {}
    states: dict[tuple, str] = {}
    for name, body in envs.items():
        loc = ("environments", name)
        if not isinstance(name, str) or not ENV_NAME.match(name):
            errors.append(Diagnostic(doc.locate_key(loc), (
                f"environment name {name!r}: use lowercase letters, digits, - and _ "
                "(at most 32)")))
            continue
        if body is None:
            body = {}
        if not isinstance(body, dict):
            errors.append(Diagnostic(doc.locate(loc), f"environment {name}: expected a mapping"))
            continue
        for key in body:
            if key not in SECTIONS:
                errors.append(Diagnostic(doc.locate_key((*loc, key)), (
                    f"environment {name}: unknown setting `{key}` (an environment sets "
                    f"{', '.join(SECTIONS)})")))
        accounts = body.get("providers") or {}
        if not isinstance(accounts, dict):
            errors.append(Diagnostic(doc.locate((*loc, "providers")),
                                     f"environment {name}: providers: expected a mapping"))
            accounts = {}
        for account, override in accounts.items():
            at = (*loc, "providers", account)
            if account not in providers:
                errors.append(Diagnostic(doc.locate_key(at), (
                    f"environment {name}: provider {account} is not declared under the "
                    "top-level `providers:` (every environment has the same accounts; "
                    "declare it there with its type)")))
            elif isinstance(override, dict) and "type" in override and isinstance(
                    providers[account], dict) and override["type"] != providers[account].get(
                    "type"):
                errors.append(Diagnostic(doc.locate((*at, "type")), (
                    f"environment {name}: provider {account} is a "
                    f"{providers[account].get('type')} account in every environment (an "
                    "environment changes its base_url and credentials, not its type)")))
        identity = _state_identity(doc.data.get("state"), body.get("state"), name)
        if identity in states:
            errors.append(Diagnostic(doc.locate_key(loc), (
                f"environments {states[identity]} and {name} would share one state "
                f"({identity[0]} {identity[1]}): every environment needs its own, or a "
                f"send in one would count as sent in the other (set state.path, or "
                f"state.schema for PostgreSQL, in environment {name})")))
        else:
            states[identity] = name
    return errors


def _state_identity(top: Any, override: Any, environment: str) -> tuple:
    """Where an environment's state lives, as written (before ${VAR} expansion)."""
    state = plain(merge(top, override)) if override is not None else plain(top)
    state = state if isinstance(state, dict) else {}
    if state.get("backend") == "postgres":
        schema = state.get("schema") or default_state_schema(environment)
        return ("postgres", f"{state.get('dsn')} schema {schema}")
    path = str(state.get("path") or default_state_path(environment))
    return ("sqlite", str(PurePosixPath(path.replace("\\", "/"))))


def check_store(store: Any, environment: str | None) -> None:
    """Refuse a state store that an apply of another environment recorded as its own (two
    environments pointed, through ${VAR}s, at one database)."""
    recorded = store.get_meta(META_KEY)
    if recorded is not None and recorded != environment:
        raise CampaignctlError(
            f"the state at {store.where} belongs to environment {recorded}, not "
            f"{environment or '(none)'}: every environment needs its own state (check "
            "state.path / state.dsn / state.schema in campaignctl.yaml)")


def record_store(store: Any, environment: str | None) -> None:
    if environment and store.get_meta(META_KEY) != environment:
        store.set_meta(META_KEY, environment)
