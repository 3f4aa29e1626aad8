"""Credential values pinned to their origin (reconciler/state/fingerprints.py, pins.py): what
the state keeps of a credential (a keyed fingerprint under a salt of its own, never the value
or a plain hash), and that a new, renamed or other account cannot carry a pinned credential
to another origin, while the same credential at its pinned origin plans as before."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reconciler.config import Account, StateConfig, WorkspaceConfig
from reconciler.errors import CampaignctlError
from reconciler.secrets import Secret
from reconciler.state.fingerprints import (
    SALT_KEY,
    CredentialPin,
    credential_pins,
    fingerprint,
    salt_of,
)
from reconciler.state.migrate import migrate
from reconciler.state.pins import (
    META_PREFIX,
    OriginChanged,
    check_origins,
    pin_first_origins,
    pins,
    repin,
)
from reconciler.state.store import SqliteStore

TOKEN = "prod-Token-7c1e9a"
A, B = "https://api.example.com", "https://attacker.example.net"
A_ORIGIN, B_ORIGIN = "https://api.example.com:443", "https://attacker.example.net:443"
CREDENTIAL_KEYS = {"email-campaigns": ("token",), "scheduled-campaigns": ("api_key",),
                   "octopush": ("api_login", "api_key")}


def account(name: str, url: str, *values: str, vtype: str = "email-campaigns") -> Account:
    return Account(name, vtype, url, {k: Secret(v) for k, v in
                                       zip(CREDENTIAL_KEYS[vtype], values, strict=True)})


def config(tmp_path: Path, *accounts: Account) -> WorkspaceConfig:
    return WorkspaceConfig(tmp_path, {a.name: a for a in accounts}, StateConfig(), None,
                           "production")


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


def meta(store) -> dict[str, str]:
    return dict(store.execute("SELECT key, value FROM meta").fetchall())


def test_the_state_keeps_a_keyed_fingerprint_never_the_value_or_its_hash(tmp_path, store):
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    kept = meta(store)
    text = repr(kept)
    assert TOKEN not in text
    for plain in (hashlib.sha256(TOKEN.encode()), hashlib.sha1(TOKEN.encode()),
                  hashlib.md5(TOKEN.encode())):
        assert plain.hexdigest() not in text and plain.hexdigest()[:16] not in text
    [(fp, [pin])] = credential_pins(store).items()
    assert fp not in (TOKEN, hashlib.sha256(TOKEN.encode()).hexdigest())
    assert (pin.origin, pin.account, pin.key) == (A_ORIGIN, "mail", "token")
    assert len(bytes.fromhex(kept[SALT_KEY])) == 32
    assert fingerprint(salt_of(store), TOKEN) == fp  # the salt the state holds keys it


def test_each_state_has_its_own_salt_so_its_own_fingerprints(tmp_path):
    cfg = config(tmp_path, account("mail", A, TOKEN))
    first, second = SqliteStore(tmp_path / "one.db"), SqliteStore(tmp_path / "two.db")
    try:
        pin_first_origins(first, cfg)
        pin_first_origins(second, cfg)
        assert salt_of(first) != salt_of(second)
        assert set(credential_pins(first)).isdisjoint(credential_pins(second))
        salt = salt_of(first)
        pin_first_origins(first, cfg)  # a second apply keeps the salt and the one record
        assert salt_of(first) == salt and len(credential_pins(first)) == 1
    finally:
        first.close()
        second.close()


def test_a_plan_on_a_state_with_no_fingerprint_writes_nothing(tmp_path, store):
    check_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    assert salt_of(store) is None
    assert not [k for k in meta(store) if k.startswith("credential")]  # (a new state has its lineage)


def refused(store, cfg, accounts=None) -> str:
    with pytest.raises(OriginChanged) as err:
        check_origins(store, cfg, accounts)
    message = str(err.value)
    assert TOKEN not in message
    return message


def test_a_new_account_reusing_a_pinned_credential_elsewhere_is_refused(tmp_path, store):
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    # the pull request drops nothing: `mail` stays, `evil` is added
    both = config(tmp_path, account("mail", A, TOKEN), account("evil", B, TOKEN))
    message = refused(store, both)
    assert message == (
        f"account evil: its `token` has only been sent to {A_ORIGIN} as account mail's "
        f"`token` (pinned by an apply or state pin), but base_url points to {B_ORIGIN}. "
        f"Nothing was sent to "
        f"{B_ORIGIN}. Review the change in campaignctl.yaml (or the variables it reads): an "
        "account added or renamed, a credential moved between accounts, a base_url changed; "
        "if it is intended, pin the new origin with:\n"
        f"  campaignctl state pin evil {tmp_path} --env production")
    refused(store, both, ["evil"])  # status and import ask for the accounts they use
    check_origins(store, both, ["mail"])
    # ... or `mail` is gone (a rename to `evil` with another base_url)
    assert "account evil: its `token` has only been sent to" in refused(
        store, config(tmp_path, account("evil", B, TOKEN)))
    assert pins(store) == {"mail": A_ORIGIN}  # a check records nothing


def test_a_renamed_account_with_the_same_credential_and_origin_passes(tmp_path, store):
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    check_origins(store, config(tmp_path, account("newsletter", A + "/v2/", TOKEN)))


def test_a_credential_moved_to_an_account_of_another_type_and_origin_is_refused(
        tmp_path, store):
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN),
                                    account("sched", "https://s.example.com", "sched-key-1",
                                            vtype="scheduled-campaigns")))
    swapped = config(tmp_path, account("mail", A, "mail-token-2"),
                     account("sched", "https://s.example.com", TOKEN,
                             vtype="scheduled-campaigns"))
    message = refused(store, swapped)
    assert message.startswith(
        f"account sched: its `api_key` has only been sent to {A_ORIGIN} as account mail's "
        "`token` (pinned by an apply or state pin), but base_url points to "
        "https://s.example.com:443.")
    # an octopush login too: every credential key is pinned, the identity ones included
    login = config(tmp_path, account("sms", B, TOKEN, "sms-key", vtype="octopush"))
    assert "account sms: its `api_login` has only been sent to" in refused(store, login)


def test_one_value_for_two_origins_needs_a_pin_at_each(tmp_path, store):
    """Before any apply (or a state whose pins predate the fingerprints), the workspace
    itself would send one credential to two origins: refused until an operator pins each
    (a vendor that takes one token in two regions), then allowed at those two only."""
    both = config(tmp_path, account("mail", A, TOKEN), account("mail-eu", B, TOKEN))
    message = refused(store, both, ["mail-eu"])
    assert message.startswith(
        f"account mail-eu: its `token` is also account mail's `token`, which goes to "
        f"{A_ORIGIN}, while base_url points to {B_ORIGIN}. Nothing was sent to {B_ORIGIN}.")
    assert message.endswith(f"pin each account with:\n  campaignctl state pin mail-eu "
                            f"{tmp_path} --env production\n  campaignctl state pin mail "
                            f"{tmp_path} --env production")
    assert "account mail: its `token` is also account mail-eu's" in refused(store, both)
    assert not [k for k in meta(store) if k.startswith("credential")]
    assert repin(store, both, "mail-eu") == (None, B_ORIGIN, {})
    assert "account mail: its `token` has only been sent to " + B_ORIGIN in refused(store, both)
    assert repin(store, both, "mail") == (None, A_ORIGIN, {"token": [B_ORIGIN]})
    check_origins(store, both)
    [pinned] = credential_pins(store).values()
    assert sorted(p.origin for p in pinned) == [A_ORIGIN, B_ORIGIN]
    third = config(tmp_path, account("mail", A, TOKEN), account("evil", "https://c.example",
                                                                TOKEN))
    assert (f"account evil: its `token` has only been sent to {B_ORIGIN} as account "
            f"mail-eu's `token`, {A_ORIGIN} as account mail's `token` (pinned") in refused(
        store, third)
    # the same value for two accounts on one origin is fine (two vendors behind one host)
    check_origins(store, config(tmp_path, account("mail", A, TOKEN),
                                account("sched", A + ":443/s", TOKEN,
                                        vtype="scheduled-campaigns")))


def test_a_sandbox_account_is_neither_pinned_nor_checked(tmp_path, store):
    """Its requests never leave the process, whatever credential it holds."""
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    check_origins(store, config(tmp_path, account("mail", A, TOKEN),
                                account("local", "sandbox", TOKEN)))
    pin_first_origins(store, config(tmp_path, account("local", "sandbox", "sandbox-only")))
    assert [p.account for pinned in credential_pins(store).values() for p in pinned] == \
        ["mail"]


def test_state_pin_takes_the_account_and_its_values_and_old_values_stay(tmp_path, store):
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    # the token is rotated, then the account really moves to B with its new token
    pin_first_origins(store, config(tmp_path, account("mail", A, "rotated-2")))
    moved = config(tmp_path, account("mail", B, "rotated-2"))
    refused(store, moved)
    assert repin(store, moved, "mail") == (A_ORIGIN, B_ORIGIN, {"token": [A_ORIGIN]})
    check_origins(store, moved)
    assert pins(store) == {"mail": B_ORIGIN}
    by_value = sorted(sorted(p.origin for p in pinned)
                      for pinned in credential_pins(store).values())
    assert by_value == [[A_ORIGIN], [A_ORIGIN, B_ORIGIN]]  # TOKEN; rotated-2
    # the old token is still pinned to A: at B it is refused (under any account)
    assert "its `token` has only been sent to " + A_ORIGIN in refused(
        store, config(tmp_path, account("mail", B, TOKEN)))


def test_a_state_with_account_pins_only_gets_fingerprints_on_its_next_apply(tmp_path, store):
    store.set_meta(META_PREFIX + "mail", A_ORIGIN)  # written by the version before this one
    cfg = config(tmp_path, account("mail", A, TOKEN))
    check_origins(store, cfg)
    assert pin_first_origins(store, cfg) == {}
    assert list(credential_pins(store).values()) == [[CredentialPin(A_ORIGIN, "mail", "token")]]
    refused(store, config(tmp_path, account("mail", A, "x"), account("evil", B, TOKEN)))


def test_a_damaged_record_is_an_error_not_a_traceback(tmp_path, store):
    pin_first_origins(store, config(tmp_path, account("mail", A, TOKEN)))
    store.execute("UPDATE meta SET value = 'x' WHERE key LIKE 'credential_fingerprint:%'")
    with pytest.raises(CampaignctlError, match="not a credential pin record"):
        check_origins(store, config(tmp_path, account("mail", A, TOKEN)))


def test_the_salt_and_fingerprints_travel_with_state_migrate(tmp_path, postgres_dsn):
    from reconciler.state.postgres import PostgresStore

    old = SqliteStore(tmp_path / "old.db")
    pin_first_origins(old, config(tmp_path, account("mail", A, TOKEN)))
    target = PostgresStore(postgres_dsn, schema="fingerprints")
    try:
        migrate(old, target)
        assert salt_of(target) == salt_of(old)
        assert credential_pins(target) == credential_pins(old)
        assert "account evil: its `token` has only been sent to" in refused(
            target, config(tmp_path, account("evil", B, TOKEN)))
    finally:
        old.close()
        target.close()
