"""Credential origin pins (reconciler/state/pins.py): what one origin is, what an apply
records, what is refused, and that the pins travel with `state migrate` into PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import Account, StateConfig, WorkspaceConfig
from reconciler.errors import CampaignctlError
from reconciler.state.migrate import migrate
from reconciler.state.pins import (
    OriginChanged,
    check_origins,
    origin_of,
    pin_first_origins,
    pins,
    repin,
)
from reconciler.state.store import SqliteStore


@pytest.mark.parametrize(("url", "origin"), [
    ("https://api.example.com", "https://api.example.com:443"),
    ("HTTPS://API.Example.com:443/v1/", "https://api.example.com:443"),
    ("https://api.example.com:8443/x", "https://api.example.com:8443"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("http://localhost", "http://localhost:80"),
    ("http://[::1]:9000/api", "http://[::1]:9000"),
    ("https://user@api.example.com/", "https://api.example.com:443"),
    ("sandbox", None),
])
def test_origin_is_scheme_host_and_port(url, origin):
    assert origin_of(url) == origin


def config(tmp_path: Path, **urls: str) -> WorkspaceConfig:
    accounts = {name: Account(name, "email-campaigns", url, {}) for name, url in urls.items()}
    return WorkspaceConfig(tmp_path, accounts, StateConfig(), None, "production")


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "state.db")
    yield s
    s.close()


def test_apply_pins_unpinned_accounts_and_never_moves_a_pin(tmp_path, store):
    cfg = config(tmp_path, mail="https://a.example.com/v1", local="sandbox")
    assert pin_first_origins(store, cfg) == {"mail": "https://a.example.com:443"}
    check_origins(store, cfg)  # same origin: fine
    moved = config(tmp_path, mail="https://a.example.com:8443", local="http://127.0.0.1:1")
    assert pin_first_origins(store, moved) == {"local": "http://127.0.0.1:1"}
    assert pins(store) == {"mail": "https://a.example.com:443", "local": "http://127.0.0.1:1"}


def test_another_origin_is_refused_with_the_old_the_new_and_the_command(tmp_path, store):
    pin_first_origins(store, config(tmp_path, mail="https://a.example.com",
                                    sched="https://s.example.com"))
    moved = config(tmp_path, mail="https://evil.example.net", sched="https://s.example.com/v2",
                   new="https://n.example.com")
    with pytest.raises(OriginChanged) as err:
        check_origins(store, moved)
    assert str(err.value).splitlines()[0].startswith(
        "account mail: base_url now points to https://evil.example.net:443, but its "
        "credentials have only been sent to https://a.example.com:443")
    assert f"  campaignctl state pin mail {tmp_path} --env production" in str(err.value)
    assert "sched" not in str(err.value) and "account new" not in str(err.value)
    check_origins(store, moved, ["sched", "new"])  # only the accounts asked about
    assert repin(store, moved, "mail") == ("https://a.example.com:443",
                                           "https://evil.example.net:443", {})
    check_origins(store, moved)
    with pytest.raises(CampaignctlError, match="no provider account 'nope'"):
        repin(store, moved, "nope")


def test_a_moved_sandbox_account_keeps_its_pin(tmp_path, store):
    pin_first_origins(store, config(tmp_path, mail="https://a.example.com"))
    to_sandbox = config(tmp_path, mail="sandbox")
    check_origins(store, to_sandbox)  # the sandbox sends nothing anywhere
    assert repin(store, to_sandbox, "mail") == ("https://a.example.com:443", None, {})
    with pytest.raises(OriginChanged):
        check_origins(store, config(tmp_path, mail="https://b.example.com"))


def test_pins_travel_with_state_migrate_into_postgres(tmp_path, postgres_dsn):
    from reconciler.state.postgres import PostgresStore

    cfg = config(tmp_path, mail="https://a.example.com")
    old = SqliteStore(tmp_path / "old.db")
    pin_first_origins(old, cfg)
    target = PostgresStore(postgres_dsn, schema="pins")
    try:
        migrate(old, target)
        assert pins(target) == {"mail": "https://a.example.com:443"}
        with pytest.raises(OriginChanged):
            check_origins(target, config(tmp_path, mail="https://b.example.com"))
    finally:
        old.close()
        target.close()
