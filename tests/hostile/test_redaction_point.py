"""The one redaction point (reconciler/secrets.py): each form a credential travels in, the
HTTP layer's errors, the CLI's error and traceback output, and credentials an older version
left in the state, scrubbed when the store opens (SQLite, PostgreSQL) and on `state
migrate`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from urllib.parse import quote, urlencode

import httpx
import pytest
import respx
from conftest import cli_in_process
from e2e_send.send_helpers import sms_workspace

from reconciler.errors import ApiError
from reconciler.providers.connectly.client import ConnectlyClient
from reconciler.providers.octopush.client import OctopushClient
from reconciler.secrets import RedactingStream, Redactor, Secret, redacted_output

BASE = "https://api.vendor.test"


def test_a_credential_is_masked_in_every_form_it_travels_in():
    value = 'k3y/with+odd "chars"=é'
    r = Redactor([value])
    for text in (value, quote(value), urlencode({"k": value}), json.dumps({"k": value}),
                 "k3y%2Fwith%2Bodd%20%22chars%22%3D%C3%A9", "k3y%2Fwith%2Bodd+%22chars%22%3D%C3%A9",
                 json.dumps(value)):
        assert "k3y" not in r.mask(text), text
    bearer = Redactor()
    bearer.add_header("Bearer sk-live-123456")
    assert bearer.mask("authorization: Bearer sk-live-123456") == "authorization: ****"
    assert bearer.mask("got sk-live-123456") == "got ****"
    assert Redactor(["key"]).mask("api-key") == "api-key"  # too short to be a secret


@respx.mock
def test_vendor_errors_mask_an_echoed_credential_before_cutting_the_text():
    """A vendor detail is cut at 300 characters: a credential straddling the cut must not
    leave its first half behind. Connectly's business id in the path is masked too."""
    key, biz = "CANARYconnKEY-0123456789", "CANARYbiz-42"
    echoed = "x" * 290 + f"X-API-Key: {key}"
    respx.post(f"{BASE}/v1/businesses/{biz}/send/campaigns").mock(
        return_value=httpx.Response(401, json={"message": echoed, "code": 16}))
    client = ConnectlyClient(BASE, biz, Secret(key))
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.send_campaigns([{"sender": "+14155550100",
                                            "client": "+14155550123",
                                            "campaignName": "spring"}]))
    text = str(caught.value)
    assert "HTTP 401" in text and "/v1/businesses/****/send/campaigns" in text
    assert "CANARY" not in text and "CANARYconn"[:6] not in caught.value.detail
    assert caught.value.path == "/v1/businesses/****/send/campaigns"


@respx.mock
def test_octopush_error_quoting_its_headers_prints_none_of_them():
    respx.post(f"{BASE}/v1/public/sms-campaign/send").mock(return_value=httpx.Response(
        403, text="forbidden; api-login: ops@acme.example ; api-key: OCTOkey-99887766"))
    client = OctopushClient(BASE, Secret("ops@acme.example"), Secret("OCTOkey-99887766"))
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.send_sms_campaign({"text": "hi STOP", "purpose": "alert",
                                              "recipients": [{"phone_number": "+336"}]}))
    assert str(caught.value).endswith("forbidden; api-login: **** ; api-key: ****")


def test_the_cli_masks_its_error_line_and_debug_traceback(tmp_path, capsys, monkeypatch):
    """An internal error (a bug) whose text holds a credential: `--debug` prints the
    traceback, and neither it nor the one-line error shows the credential."""
    ws = sms_workspace(tmp_path / "ws", "https://octopush.invalid", 3)
    monkeypatch.setenv("TEST_KEY_123", "CANARY-octo-key-5150")
    import reconciler.api
    from reconciler.api.pipeline import load_valid

    real_load = load_valid

    def boom(directory, *args, **kwargs):
        real_load(directory)  # the run's credentials are known from here on
        raise RuntimeError("could not use api-key CANARY-octo-key-5150")

    monkeypatch.setattr(reconciler.api, "plan", boom)
    code, out = cli_in_process(capsys, "--debug", "plan", str(ws))
    assert code == 1
    assert "Traceback" in out and "RuntimeError: could not use api-key ****" in out
    assert "CANARY" not in out


def test_the_streams_are_restored_and_each_command_starts_with_no_credential(capsys):
    import sys

    before = sys.stdout
    with redacted_output():
        assert isinstance(sys.stdout, RedactingStream)
        Secret("CANARY-one-run")
        print("CANARY-one-run")
        sys.stdout.buffer.write(b"bytes CANARY-one-run\n")  # click writes bytes there
        sys.stdout.flush()
    with redacted_output():
        print("CANARY-one-run")  # another command: that credential is not this run's
    assert sys.stdout is before
    assert capsys.readouterr().out == "****\nbytes ****\nCANARY-one-run\n"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_credential_stored_by_an_older_version_is_scrubbed_when_the_store_opens(
        backend, tmp_path, capsys, monkeypatch, request):
    """A rejected batch whose error an older version stored with the vendor's echo of our
    headers: the next command that opens the state with those credentials rewrites it."""
    key, login = "CANARY-stored-key-777", "canary.ops@acme.example"
    monkeypatch.setenv("TEST_KEY_123", key)
    monkeypatch.setenv("TEST_LOGIN", login)
    ws = sms_workspace(tmp_path / "ws", "https://octopush.invalid", 3)
    dsn = None
    if backend == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        monkeypatch.setenv("CAMPAIGNCTL_STATE_DSN", dsn)
        config = ws / "campaignctl.yaml"
        config.write_text(config.read_text()
                          + "state: {backend: postgres, dsn: \"${CAMPAIGNCTL_STATE_DSN}\"}\n")
    code, out = cli_in_process(capsys, "state", "list", str(ws))  # creates the state
    assert code == 0, out
    old_text = f"octopush: POST ... failed with HTTP 401: api-login: {login} ; api-key: {key}"
    insert = ("INSERT INTO ledger_batches (account, campaign, identity, status, recipients, "
              "error, created_at, updated_at) VALUES ('sms', 'promo', 'x', 'rejected', 3, ?, "
              "0, 0)")

    def stored() -> list[str]:
        if dsn:
            import psycopg

            with psycopg.connect(dsn) as conn:
                return [r[0] for r in conn.execute(
                    "SELECT error FROM campaignctl.ledger_batches")]
        with sqlite3.connect(ws / ".campaignctl" / "state.db") as db:
            return [r[0] for r in db.execute("SELECT error FROM ledger_batches")]

    if dsn:
        import psycopg

        with psycopg.connect(dsn) as conn:
            conn.execute(insert.replace("?", "%s").replace("ledger_batches",
                                                           "campaignctl.ledger_batches"),
                         (old_text,))
    else:
        with sqlite3.connect(ws / ".campaignctl" / "state.db") as db:
            db.execute(insert, (old_text,))
    assert any(key in e for e in stored())

    code, out = cli_in_process(capsys, "state", "show", "Campaign/promo", str(ws))
    assert code == 0, out
    assert "api-login: **** ; api-key: ****" in out and key not in out and login not in out
    assert stored() == ["octopush: POST ... failed with HTTP 401: api-login: **** ; api-key: ****"]


def test_state_migrate_leaves_no_credential_in_the_target(tmp_path, capsys, monkeypatch,
                                                          postgres_dsn):
    key = "CANARY-migrated-key-31"
    monkeypatch.setenv("TEST_KEY_123", key)
    ws = sms_workspace(tmp_path / "ws", "https://octopush.invalid", 3)
    code, out = cli_in_process(capsys, "state", "list", str(ws))
    assert code == 0, out
    with sqlite3.connect(ws / ".campaignctl" / "state.db") as db:
        db.execute("INSERT INTO ledger_batches (account, campaign, identity, status, "
                   "recipients, error, created_at, updated_at) VALUES ('sms', 'promo', 'x', "
                   "'rejected', 3, ?, 0, 0)", (f"api-key: {key}",))
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text()
                      + "state: {backend: postgres, dsn: \"${CAMPAIGNCTL_STATE_DSN}\"}\n")
    monkeypatch.setenv("CAMPAIGNCTL_STATE_DSN", postgres_dsn)
    code, out = cli_in_process(capsys, "state", "migrate", str(ws))
    assert code == 0, out
    import psycopg

    with psycopg.connect(postgres_dsn) as conn:
        errors = [r[0] for r in conn.execute("SELECT error FROM campaignctl.ledger_batches")]
    assert errors == ["api-key: ****"]


@respx.mock
def test_a_rejected_batch_that_quotes_its_recipients_prints_no_contact():
    """A vendor 400 that echoes the batch's phone numbers and emails: the error printed,
    logged and stored in the send ledger says <phone> and <email>, never the addresses."""
    biz = "biz-7"
    respx.post(f"{BASE}/v1/businesses/{biz}/send/campaigns").mock(
        return_value=httpx.Response(400, json={
            "message": "invalid recipients: +14155550123, +33612345678 (ann@example.com)"}))
    client = ConnectlyClient(BASE, biz, Secret("k-0123456789"))
    with pytest.raises(ApiError) as caught:
        asyncio.run(client.send_campaigns([{"sender": "+14155550100",
                                            "client": "+14155550123",
                                            "campaignName": "spring"}]))
    text = str(caught.value)
    assert "HTTP 400" in text and "invalid recipients: <phone>, <phone> (<email>)" in text
    assert "4155550123" not in text and "ann@" not in text
