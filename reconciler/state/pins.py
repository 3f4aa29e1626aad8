"""Credential origins: each account's credentials go only where an apply sent them before.

In the pull-request flow the plan job holds the vendor credentials while the pull request's
author controls campaignctl.yaml: a `base_url` changed to another host would have the plan
job send the account's token there on its first read. So the state remembers, per account
(and per environment: each has its own state), the origin (scheme, host, port) an `apply`
first sent its credentials to, as the meta key `credential_origin:ACCOUNT` (copied whole by
`state migrate`). Every command that sends an account's credentials checks it before the
first request, and refuses a different origin; only `campaignctl state pin ACCOUNT`, an
operator's explicit step, moves it. Only an apply records a pin (a plan runs the pull
request's campaignctl.yaml, which must not be able to choose one). `base_url: sandbox`
(the in-process emulator) sends nothing anywhere and is exempt; a loopback URL is not.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from urllib.parse import urlsplit

from reconciler.errors import CampaignctlError

META_PREFIX = "credential_origin:"
DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginChanged(CampaignctlError):
    """An account's base_url points to another origin than its credentials were sent to."""


def origin_of(base_url: str) -> str | None:
    """`scheme://host:port` of a base_url (the port always written), or None for the
    sandbox. `HTTPS://API.example.com/v1` and `https://api.example.com:443` are one origin."""
    if base_url == "sandbox":
        return None
    parts = urlsplit(base_url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port or DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def pins(store) -> dict[str, str]:
    """account -> the origin its credentials are pinned to, in this state."""
    rows = store.execute("SELECT key, value FROM meta WHERE key LIKE ?",
                         (META_PREFIX + "%",)).fetchall()
    return {key[len(META_PREFIX):]: value for key, value in rows}


def pin_command(account: str, config) -> str:
    """The command that re-pins `account`, for the workspace and environment of `config`."""
    env = f" --env {shlex.quote(config.environment)}" if config.environment else ""
    return (f"campaignctl state pin {shlex.quote(account)} "
            f"{shlex.quote(str(config.directory))}{env}")


def check_origins(store, config, accounts: Iterable[str] | None = None) -> None:
    """Refuse (OriginChanged, naming every account concerned) when an account's base_url
    (of `accounts`, or all) has another origin than its pin: called before any request."""
    recorded = pins(store)
    problems = []
    for name in sorted(config.accounts if accounts is None else accounts):
        account = config.accounts[name]
        now, pinned = origin_of(account.base_url), recorded.get(name)
        if now is None or pinned is None or now == pinned:
            continue
        problems.append(
            f"account {name}: base_url now points to {now}, but its credentials have only "
            f"been sent to {pinned} (pinned by an apply). Nothing was sent to {now}. Review "
            "the change to base_url (in campaignctl.yaml, or the variable that sets it); if "
            f"it is intended, pin the new origin with:\n  {pin_command(name, config)}")
    if problems:
        raise OriginChanged("\n".join(problems))


def pin_first_origins(store, config) -> dict[str, str]:
    """An apply: pin every account that has no pin yet to its base_url's origin (a state
    applied before pins existed gets them here). Returns the pins it added."""
    recorded = pins(store)
    added = {}
    for name, account in sorted(config.accounts.items()):
        origin = origin_of(account.base_url)
        if origin is not None and name not in recorded:
            store.set_meta(META_PREFIX + name, origin)
            added[name] = origin
    return added


def repin(store, config, account: str) -> tuple[str | None, str | None]:
    """`state pin ACCOUNT`: pin the account to its base_url's origin now; (old, new).
    new is None for a sandbox account (nothing to pin: it sends nothing anywhere)."""
    if account not in config.accounts:
        known = ", ".join(sorted(config.accounts)) or "none"
        raise CampaignctlError(f"no provider account {account!r} in campaignctl.yaml "
                               f"(accounts: {known})")
    old, new = pins(store).get(account), origin_of(config.accounts[account].base_url)
    if new is not None and new != old:
        store.set_meta(META_PREFIX + account, new)
    return old, new

