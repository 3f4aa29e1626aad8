"""Issue 32, the credential values: the example workspace's production environment is applied
on one local sandbox (its accounts and their credential values get their pins). A pull
request then adds an account `evil` of mail's type, with its own base_url (a recording server
on another 127.0.0.1 port) and mail's credential (`token: ${MAIL_API_TOKEN}`), and a
campaign on it: that account has no pin of its own, yet plan, apply, status and import send
the recorder nothing and exit 1, naming the origin the token is pinned to. A renamed account
(same credential, same base_url) still plans; a credential moved to an account of another
type at another origin is refused."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from conftest import (
    EXAMPLE_ENV,
    SandboxServer,
    example_on_real_accounts,
    sandbox_accounts,
)
from test_credential_origin_e2e import SECRETS, Recorder, applied_on, cli

ENV = ("--env", EXAMPLE_ENV)
EVIL_MANIFESTS = """\
kind: Sender
name: evil-sender
provider: evil
spec: {description: Evil, email: evil@acme.example}
---
kind: ContactGroup
name: evil-group
provider: evil
spec:
  title: Evil
  contacts: [{email: ada@example.com}]
---
kind: Message
name: evil-message
provider: evil
spec: {channel: email, subject: Hi, body: "Hello. Acme Inc., 100 Main Street, Springfield, IL 62701, USA. Unsubscribe: https://acme.example/u"}
---
kind: Campaign
name: evil-campaign
provider: evil
spec:
  title: Evil
  message: evil-message
  sender: evil-sender
  contact_groups: [evil-group]
  send_at: 2027-03-20T09:00:00-04:00
  timezone: America/New_York
  state: active
"""


@pytest.fixture
def attacker():
    """The pull request author's server: records every request it gets."""
    rec = Recorder()
    yield rec
    rec.server.shutdown()
    rec.server.server_close()


def edit(ws: Path, old: str, new: str) -> None:
    config = ws / "campaignctl.yaml"
    text = config.read_text()
    assert old in text, old
    config.write_text(text.replace(old, new, 1))


def add_evil(ws: Path, url: str) -> None:
    """The pull request: a new email-campaigns account at `url` holding mail's token, in
    every environment (staging's on the sandbox), and a campaign on it."""
    edit(ws, "  sched:\n    type: scheduled-campaigns\n",
         "  sched:\n    type: scheduled-campaigns\n  evil:\n    type: email-campaigns\n")
    edit(ws, "      mail: {base_url: sandbox}\n",
         "      mail: {base_url: sandbox}\n      evil: {base_url: sandbox}\n")
    edit(ws, "      mail:\n        base_url:",
         f"      evil:\n        base_url: {url}\n        token: ${{MAIL_API_TOKEN}}\n"
         "      mail:\n        base_url:")
    (ws / "evil.yaml").write_text(EVIL_MANIFESTS)


def test_a_new_account_reusing_the_pinned_token_gets_no_request(
        tmp_path, sandbox_server, attacker):
    ws = applied_on(tmp_path, sandbox_server.url)
    add_evil(ws, attacker.url)
    pinned = (f"account evil: its `token` has only been sent to {sandbox_server.url} as "
              "account mail's `token` (pinned by an apply or state pin), but base_url points "
              f"to {attacker.url}. Nothing was sent to {attacker.url}.")
    for args in (("plan", str(ws), *ENV), ("plan", str(ws), *ENV, "--detailed-exitcode"),
                 ("plan", str(ws), *ENV, "--target", "Campaign/evil-campaign"),
                 ("apply", str(ws), *ENV, "--auto-approve"), ("status", str(ws), *ENV),
                 ("status", str(ws), *ENV, "--target", "Campaign/evil-campaign"),
                 ("import", "evil", str(ws), *ENV, "--dry-run")):
        r = cli(ws, *args)
        out = r.stdout + r.stderr
        assert r.returncode == 1, (args, out)
        assert pinned in out, (args, out)
        assert f"campaignctl state pin evil {ws} --env {EXAMPLE_ENV}" in out
        assert "account mail" not in out.replace("as account mail's", "")  # mail is fine
        assert "Traceback" not in out and not any(s in out for s in SECRETS.values())
    assert attacker.requests == []

    # The staging environment runs evil on the built-in sandbox: nothing leaves the machine
    r = cli(ws, "plan", str(ws), "--env", "staging")
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_renamed_account_keeps_planning_on_its_pinned_origin(tmp_path, sandbox_server):
    ws = applied_on(tmp_path, sandbox_server.url)
    config = ws / "campaignctl.yaml"
    config.write_text(config.read_text().replace("  mail:", "  newsletter:"))
    for manifest in ws.glob("*.yaml"):
        if manifest.name != "campaignctl.yaml":
            manifest.write_text(manifest.read_text().replace("provider: mail\n",
                                                             "provider: newsletter\n"))
    r = cli(ws, "plan", str(ws), *ENV)
    out = r.stdout + r.stderr
    assert "pinned" not in out and "Nothing was sent" not in out, out
    assert r.returncode == 0, out


def test_a_credential_moved_to_another_type_at_another_origin_is_refused(
        tmp_path, sandbox_server):
    """sched lives on a second sandbox (its own origin) from the first apply; the pull
    request gives it mail's token as its api_key."""
    second = SandboxServer(tmp_path / "second-sandbox").start()
    try:
        ws = example_on_real_accounts(tmp_path / "campaigns", sandbox_server.url)
        edit(ws, f"      sched:\n        base_url: {sandbox_server.url}",
             f"      sched:\n        base_url: {second.url}")
        sandbox_accounts(ws, SECRETS, EXAMPLE_ENV)
        r = cli(ws, "apply", str(ws), *ENV, "--auto-approve")
        assert r.returncode == 0, r.stdout + r.stderr
        assert second.get("/_sandbox/requests").json()  # the apply read sched there
        assert httpx.delete(second.url + "/_sandbox/requests", timeout=30).status_code == 204
        edit(ws, "api_key: ${SCHED_API_KEY}", "api_key: ${MAIL_API_TOKEN}")
        for args in (("plan", str(ws), *ENV), ("status", str(ws), *ENV)):
            r = cli(ws, *args)
            out = r.stdout + r.stderr
            assert r.returncode == 1, out
            assert (f"account sched: its `api_key` has only been sent to {sandbox_server.url} "
                    "as account mail's `token` (pinned by an apply or state pin), but base_url "
                    f"points to {second.url}. Nothing was sent to {second.url}.") in out, out
            assert not any(s in out for s in SECRETS.values())
        assert second.get("/_sandbox/requests").json() == []
    finally:
        second.stop()
