"""Progress on long work, as a user sees it: a 50,000-contact upload and a 5,000-recipient
send against the sandbox over real HTTP, on a (pseudo-)terminal, then the same run as a
CI log (CI=true): contact- and recipient-level counts, and no control character in CI."""

from __future__ import annotations

import os
import pty
import re
import shutil
import sys
import termios
import time
from pathlib import Path

from conftest import sandbox_accounts, write_workspace
from e2e_send.send_helpers import sms_workspace
from pty_output import read_until_exit

CONTACTS = 50_000
RECIPIENTS = 5_000
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def progress_workspace(root: Path, url: str, title: str) -> Path:
    """An Octopush SMS send to RECIPIENTS phones, and an email-campaigns group of CONTACTS."""
    sms_workspace(root, url, RECIPIENTS)
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              mail:
                type: email-campaigns
                base_url: {url}
                token: ${{MAIL_TOKEN}}
              sms:
                type: octopush
                base_url: {url}
                api_login: ${{TEST_LOGIN}}
                api_key: ${{OCTOPUSH_KEY}}
            """,
        "groups.yaml": f"""
            kind: ContactGroup
            name: everyone
            provider: mail
            spec: {{title: "{title}", file: everyone.csv}}
            """,
    })
    (root / "everyone.csv").write_text("email,first_name\n" + "".join(
        f"user{i}@example.com,F{i}\n" for i in range(CONTACTS)))
    return sandbox_accounts(root, terminal_env())


def on_terminal(*args: str, env: dict[str, str], timeout: float = 120) -> tuple[int, str]:
    """Run `campaignctl ARGS` with stdin, stdout and stderr on a pseudo-terminal, as a
    user at a terminal does; returns (exit code, everything the terminal received). The
    terminal does not turn "\\n" into "\\r\\n", so every "\\r" seen is the program's."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdio is the terminal
        attrs = termios.tcgetattr(1)
        attrs[1] &= ~termios.ONLCR
        termios.tcsetattr(1, termios.TCSANOW, attrs)
        os.execve(sys.executable, [sys.executable, "-m", "reconciler", *args], env)
    code, out = read_until_exit(pid, fd, timeout)
    return code, out.decode("utf-8", "replace")


def terminal_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR")}
    return {**env, "TERM": "xterm-256color", "COLUMNS": "150", "LINES": "40",
            "MAIL_TOKEN": "mail-token-progress", "OCTOPUSH_KEY": "octo-key-progress",
            **extra}


def test_a_50000_contact_apply_shows_contacts_and_recipients_on_a_terminal_and_plain_lines_in_ci(
        tmp_path, sandbox_server):
    tty_ws = progress_workspace(tmp_path / "tty", sandbox_server.url, "Everyone")
    ci_ws = tmp_path / "ci"
    shutil.copytree(tty_ws, ci_ws)
    groups = ci_ws / "groups.yaml"  # a group of its own at the vendor: uploaded again
    groups.write_text(groups.read_text().replace("Everyone", "Everyone (CI)"))

    started = time.monotonic()
    code, screen = on_terminal("apply", str(tty_ws), "--auto-approve", env=terminal_env())
    assert code == 0, screen
    text = ANSI.sub("", screen)
    assert "\x1b[" in screen  # a live display, redrawn in place
    # Contact by contact, not one step "1/1" for the upload:
    # Contact by contact, recipient by recipient: the counts summed by unit, left on screen.
    assert re.search(r"contacts uploaded: 50,000/50,000 contacts \(100%\) in [\d.]+ s "
                     r"\([\d,]+ contacts/s\)", text), text[-3000:]
    assert re.search(r"recipients sent: 5,000/5,000 recipients \(100%\) in [\d.]+ s "
                     r"\([\d,]+ recipients/s\)", text)
    assert re.search(r"read mail \(email-campaigns\): \d+ requests?", text)  # reads too
    # While the group uploads (longer than a redraw interval), its action shows how far.
    assert re.search(r"  create ContactGroup/everyone \([\d.]+ s\)  upload: [\d,]+/50,000 "
                     r"contacts", text), text[-3000:]
    # Octopush's sender, message and group are local: two actions, counted, not listed.
    assert "apply: 2/2 actions in " in text and "done: " not in text
    assert "Apply: 2 done, 0 failed, 0 skipped" in text

    code, log = on_terminal("apply", str(ci_ws), "--auto-approve",
                            env=terminal_env(CI="true"))
    assert code == 0, log
    assert "\x1b" not in log and "\r" not in log
    control = [c for c in log if ord(c) < 32 and c not in "\n\t"]
    assert not control
    lines = log.splitlines()
    assert any(re.fullmatch(r"upload ContactGroup/everyone: 50,000/50,000 contacts \(100%\) in "
                            r"[\d.]+ s \([\d,]+ contacts/s\)", line) for line in lines), log
    assert any(re.fullmatch(r"send Campaign/promo: 5,000/5,000 recipients \(100%\) in [\d.]+ s "
                            r"\([\d,]+ recipients/s\)", line) for line in lines), log
    # Groups before the campaigns that use them: the order is the plan's.
    assert lines.index("[1/2] done: create ContactGroup/everyone") < lines.index(
        "[2/2] done: send Campaign/promo")
    assert "Apply: 2 done, 0 failed, 0 skipped" in log
    assert time.monotonic() - started < 60
