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

The credential values are pinned too (reconciler/state/fingerprints.py: a keyed fingerprint
of each value -> its origin), so a new or renamed account, or a credential moved to another
account, cannot carry a pinned credential to a new origin; a value not pinned yet may not go
to two origins through two accounts of one campaignctl.yaml either (`state pin` allows a
value at a second origin, e.g. a vendor's second region, explicitly). A sandbox account's
credentials are neither pinned nor checked: whatever they are, they never leave the process.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from urllib.parse import urlsplit

from reconciler.errors import CampaignctlError
from reconciler.state.fingerprints import (
    CredentialPin,
    credential_pins,
    fingerprint,
    record,
    salt_of,
)

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


def _sent(config, names: Iterable[str]) -> Iterable[tuple[str, str, str, str]]:
    """(account, credential key, value, origin) of every credential `names` would send
    (a sandbox account sends none anywhere)."""
    for name in sorted(names):
        account = config.accounts[name]
        origin = origin_of(account.base_url)
        if origin is not None:
            for key, secret in sorted(account.credentials.items()):
                yield name, key, secret.reveal(), origin


def _shared(config, names: Iterable[str]) -> dict[tuple[str, str], str]:
    """An account of `names` sharing one credential value with another account (of the whole
    campaignctl.yaml) at another origin, with no pin for it: each origin would get what the
    other holds, and nothing says either is the one it was meant for."""
    by_value: dict[str, list[tuple[str, str, str]]] = {}
    for name, key, value, origin in _sent(config, config.accounts):
        by_value.setdefault(value, []).append((name, key, origin))
    problems = {}
    for name, key, value, origin in _sent(config, names):
        for other, other_key, other_origin in by_value[value]:
            if other_origin != origin:
                problems[name, key] = (
                    f"account {name}: its `{key}` is also account {other}'s `{other_key}`, "
                    f"which goes to {other_origin}, while base_url points to {origin}. Nothing "
                    f"was sent to {origin}. Review campaignctl.yaml (an account added, renamed "
                    "or given another account's credential); if the vendor really takes this "
                    "credential at both origins, pin each account with:\n  "
                    f"{pin_command(name, config)}\n  {pin_command(other, config)}")
                break
    return problems


def _credential_problems(store, config, names: list[str]) -> dict[tuple[str, str], str]:
    """(account, key) -> why: a credential value of an account of `names` is pinned to
    other origins only, or, with no pin, goes to another origin with another account too."""
    salt = salt_of(store)  # None: no apply recorded a credential in this state yet
    recorded = credential_pins(store) if salt is not None else {}
    unpinned: set[tuple[str, str]] = set()
    problems = {}
    for name, key, value, origin in _sent(config, names):
        pinned = recorded.get(fingerprint(salt, value)) if salt is not None else None
        if not pinned:
            unpinned.add((name, key))
        elif origin not in {p.origin for p in pinned}:
            where = ", ".join(p.origin + ("" if (p.account, p.key) == (name, key) else
                                          f" as account {p.account}'s `{p.key}`")
                              for p in pinned)
            problems[name, key] = (
                f"account {name}: its `{key}` has only been sent to {where} (pinned by an "
                f"apply or state pin), but base_url points to {origin}. Nothing was sent to "
                f"{origin}. Review the change in campaignctl.yaml (or the variables it reads): "
                "an account added or renamed, a credential moved between accounts, a base_url "
                f"changed; if it is intended, pin the new origin with:\n  "
                f"{pin_command(name, config)}")
    # an account at a value's pinned origin is the one that may send it: not blamed
    return {k: why for k, why in _shared(config, {n for n, _ in unpinned}).items()
            if k in unpinned} | problems


def check_origins(store, config, accounts: Iterable[str] | None = None) -> None:
    """Refuse (OriginChanged, naming every account concerned) when an account (of
    `accounts`, or all) would send its credentials to another origin than their pins: its
    base_url left the account's pin, or one of its credential values is pinned to another
    origin (or goes to another origin with another account). Called before any request."""
    names = sorted(config.accounts if accounts is None else accounts)
    recorded = pins(store)
    problems: dict[str, str] = {}
    for name in names:
        account = config.accounts[name]
        now, pinned = origin_of(account.base_url), recorded.get(name)
        if now is None or pinned is None or now == pinned:
            continue
        problems[name] = (
            f"account {name}: base_url now points to {now}, but its credentials have only "
            f"been sent to {pinned} (pinned by an apply). Nothing was sent to {now}. Review "
            "the change to base_url (in campaignctl.yaml, or the variable that sets it); if "
            f"it is intended, pin the new origin with:\n  {pin_command(name, config)}")
    # an account whose base_url left its pin has said it already (its credentials went too)
    credentials = _credential_problems(store, config, names)
    lines = list(problems.values()) + [credentials[k] for k in sorted(credentials)
                                       if k[0] not in problems]
    if lines:
        raise OriginChanged("\n".join(lines))


def _pin_credentials(store, config, name: str, *, add: bool) -> dict[str, list[str]]:
    """Pin account `name`'s credential values to its origin: those with no pin yet (an
    apply), or all of them (`add`: `state pin`, which adds the origin to a value's pins; the
    pins it had stay). Returns key -> the other origins a value was pinned to before."""
    sent = list(_sent(config, [name]))
    if not sent:
        return {}
    salt = salt_of(store, create=True)
    recorded = credential_pins(store)
    moved = {}
    for _, key, value, origin in sent:
        fp = fingerprint(salt, value)
        pinned = recorded.get(fp, [])
        if pinned and (origin in {p.origin for p in pinned} or not add):
            continue
        if pinned:
            moved[key] = [p.origin for p in pinned]
        record(store, fp, [*pinned, CredentialPin(origin, name, key)])
        recorded[fp] = [*pinned, CredentialPin(origin, name, key)]
    return moved


def pin_first_origins(store, config) -> dict[str, str]:
    """An apply (after check_origins passed): pin every account that has no pin yet to its
    base_url's origin, and every credential value that has no pin yet to its account's
    origin (a state applied before either existed gets them here). Returns the account pins
    it added."""
    recorded = pins(store)
    added = {}
    for name, account in sorted(config.accounts.items()):
        origin = origin_of(account.base_url)
        if origin is not None and name not in recorded:
            store.set_meta(META_PREFIX + name, origin)
            added[name] = origin
        _pin_credentials(store, config, name, add=False)
    return added


def repin(store, config, account: str
          ) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """`state pin ACCOUNT`: pin the account, and each of its credential values, to its
    base_url's origin now; (old account pin, new, {credential key: the other origins its
    value was pinned to}). new is None for a sandbox account (nothing to pin: it sends
    nothing anywhere). A value keeps the origins it was pinned to before (each was
    reviewed): a value one vendor takes at two origins, its regions, is allowed at both."""
    if account not in config.accounts:
        known = ", ".join(sorted(config.accounts)) or "none"
        raise CampaignctlError(f"no provider account {account!r} in campaignctl.yaml "
                               f"(accounts: {known})")
    old, new = pins(store).get(account), origin_of(config.accounts[account].base_url)
    if new is not None and new != old:
        store.set_meta(META_PREFIX + account, new)
    return old, new, _pin_credentials(store, config, account, add=True)
