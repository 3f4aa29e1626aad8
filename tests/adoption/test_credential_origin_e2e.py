"""Issue 32: an account's credentials go only where an apply sent them before. The example
workspace's production environment is applied on one local sandbox (its four accounts get
their pins); a pull request then points every account's base_url at a second local server
(another port on 127.0.0.1 is another origin). plan, apply, status and import send that
server nothing, exit 1 and say how to re-pin; after `state pin` the account plans."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_SECRETS,
    SandboxServer,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
)

from reconciler.state.pins import META_PREFIX

SECRETS = {name: f"{name.lower()}-pinned-Canary-{i}93" for i, name in enumerate(
    (*EXAMPLE_SECRETS, "CONNECTLY_BUSINESS_ID"))}
ACCOUNTS = ("mail", "sched", "sms", "whatsapp")


class Recorder:
    """A server on 127.0.0.1 that records every request it gets (answering 404)."""

    def __init__(self):
        self.requests: list[dict] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("latin-1") if length else ""
                seen.append({"line": self.requestline, "headers": dict(self.headers),
                             "body": body})
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def carrying(self, secrets) -> int:
        return sum(any(s in json.dumps(r) for s in secrets) for r in self.requests)


@pytest.fixture
def recorder():
    rec = Recorder()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def applied_on(tmp_path: Path, url: str) -> Path:
    ws = example_on_real_accounts(tmp_path / "campaigns", url)
    config = ws / "campaignctl.yaml"  # the business id is a credential too: from the env
    config.write_text(config.read_text().replace("business_id: biz-1",
                                                 "business_id: ${CONNECTLY_BUSINESS_ID}"))
    sandbox_accounts(ws, SECRETS, EXAMPLE_ENV)
    r = run_cli("apply", str(ws), "--env", EXAMPLE_ENV, "--auto-approve", env=SECRETS)
    assert r.returncode == 0, r.stdout + r.stderr
    return ws


def point_at(ws: Path, old: str, new: str) -> None:
    """What a pull request does: every account's base_url changed in campaignctl.yaml."""
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace(old, new))


def cli(ws: Path, *args: str):
    return run_cli(*args, env=SECRETS)


def test_a_base_url_moved_to_another_origin_gets_no_credential_until_re_pinned(
        tmp_path, sandbox_server, recorder):
    ws = applied_on(tmp_path, sandbox_server.url)
    point_at(ws, sandbox_server.url, recorder.url)
    env = ("--env", EXAMPLE_ENV)
    for args in (("plan", str(ws), *env), ("plan", str(ws), *env, "--detailed-exitcode"),
                 ("apply", str(ws), *env, "--auto-approve"), ("status", str(ws), *env),
                 ("import", "mail", str(ws), *env, "--dry-run")):
        r = cli(ws, *args)
        out = r.stdout + r.stderr
        assert r.returncode == 1, (args, out)
        assert "Traceback" not in out and not any(s in out for s in SECRETS.values())
        named = ACCOUNTS if args[0] != "import" else ("mail",)
        for account in named:
            assert f"account {account}: base_url now points to {recorder.url}, " in out, out
            assert f"only been sent to {sandbox_server.url}" in out
            assert f"campaignctl state pin {account} {ws} --env {EXAMPLE_ENV}" in out
    assert recorder.requests == []  # no request at all, so no credential either

    # Re-pinned to a second sandbox (the account really moved): it plans there.
    second = SandboxServer(tmp_path / "second-sandbox").start()
    try:
        point_at(ws, recorder.url, second.url)
        sandbox_accounts(ws, SECRETS, EXAMPLE_ENV)
        assert cli(ws, "plan", str(ws), *env).returncode == 1  # still pinned to the first
        for account in ACCOUNTS:
            r = cli(ws, "state", "pin", account, str(ws), *env)
            assert r.returncode == 0, r.stderr
            assert r.stdout.strip() == (f"account {account}: credentials pinned to "
                                        f"{second.url} (was {sandbox_server.url})")
        r = cli(ws, "plan", str(ws), *env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Plan:" in r.stdout
    finally:
        second.stop()
    assert recorder.carrying(SECRETS.values()) == 0


def test_pins_are_per_environment_and_the_sandbox_is_exempt(tmp_path, sandbox_server):
    ws = applied_on(tmp_path, sandbox_server.url)
    # staging (base_url: sandbox) applies and plans with no pin of its own
    assert cli(ws, "apply", str(ws), "--env", "staging", "--auto-approve").returncode == 0
    r = cli(ws, "state", "pin", "mail", str(ws), "--env", "staging")
    assert r.returncode == 0 and "needs no pin" in r.stdout
    from reconciler.state.store import SqliteStore
    staging = SqliteStore(ws / ".campaignctl" / "staging" / "state.db")
    production = SqliteStore(ws / ".campaignctl" / "production" / "state.db")
    try:
        assert staging.execute("SELECT count(*) FROM meta WHERE key LIKE ?",
                               (META_PREFIX + "%",)).fetchone()[0] == 0
        assert {a: production.get_meta(META_PREFIX + a) for a in ACCOUNTS} == dict.fromkeys(
            ACCOUNTS, sandbox_server.url)
    finally:
        staging.close()
        production.close()
    r = cli(ws, "state", "pin", "nope", str(ws), "--env", EXAMPLE_ENV)
    assert r.returncode == 1 and "no provider account 'nope'" in r.stderr


def test_the_generated_plan_workflow_says_how_the_pins_protect_it(tmp_path):
    from conftest import PINNED_ACTION

    r = run_cli("init", str(tmp_path), "--ci", "github", "--workspace", ".", "--action",
                PINNED_ACTION)
    assert r.returncode == 0, r.stderr
    plan = (tmp_path / ".github" / "workflows" / "campaignctl-plan.yml").read_text()
    assert "a pull request that changes a base_url, or adds or renames\n      # an account " \
        "to reuse a secret below with its own base_url, makes this plan fail\n      # before " \
        "any request" in plan
    assert "campaignctl state pin ACCOUNT" in plan
