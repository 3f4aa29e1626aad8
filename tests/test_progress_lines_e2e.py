"""The terminal display's size does not grow with the apply: the real CLI applies a
generated workspace of 20 and of 400 actions against the sandbox with its progress on a
pseudo-terminal, and what the terminal shows is read back through a VT100 emulator (pyte).

The measure is the one a user sees: the number of terminal lines the run took, at its
most (lines scrolled off the top plus the lowest line the cursor reached), and the non-blank
lines left on the terminal at the end. stderr, where progress goes, is the terminal; stdout
(the plan and the summary, which do grow with the plan) goes to a file, as with
`campaignctl apply DIR --auto-approve > apply.log` typed at a terminal. A display that
printed a line per finished action, or kept a bar per finished upload, would take 400+
lines at 400 actions."""

from __future__ import annotations

import os
import sys
import termios
from pathlib import Path

import pyte
from conftest import EMAIL_FOOTER, EMAIL_POLICY, sandbox_accounts, write_workspace
from pty_output import read_until_exit

from reconciler.render.progress import RUNNING_SHOWN

COLUMNS, ROWS = 150, 60


def workspace(root: Path, url: str, groups: int) -> Path:
    """`groups` contact groups (two contacts each, one upload each) and as many senders and
    messages: 3 x groups create actions, on one email-campaigns account (titles of their
    own: a sandbox shared with another such workspace adopts nothing)."""
    docs = []
    for i in range(groups):
        docs.append(f"kind: Sender\nname: s{i}\nprovider: mail\n"
                    f"spec: {{email: s{i}.{groups}@acme.example, description: Sender {i}}}\n")
        docs.append(f"kind: ContactGroup\nname: g{i}\nprovider: mail\n"
                    f"spec: {{title: Group {i} of {groups}, file: g{i}.csv}}\n")
        docs.append(f"kind: Message\nname: m{i}\nprovider: mail\n"
                    f"spec: {{channel: email, subject: Subject {i} of {groups}, body: 'Body {i}. "
                    f"{EMAIL_FOOTER}'}}\n")
        (root / f"g{i}.csv").parent.mkdir(parents=True, exist_ok=True)
        (root / f"g{i}.csv").write_text(f"email,first_name\na{i}@example.com,A\n"
                                        f"b{i}@example.com,B\n")
    write_workspace(root, {
        "campaignctl.yaml": f"providers:\n  mail: {{type: email-campaigns, base_url: '{url}',"
                            f" token: '${{MAIL_TOKEN}}'}}\n"
                            "safety: {max_delete_percent: 100, max_update_percent: 100}\n"
                            + EMAIL_POLICY,
    })
    (root / "all.yaml").write_text("---\n".join(docs))
    return sandbox_accounts(root, {"MAIL_TOKEN": "mail-token-lines"})


def apply_on_terminal(ws: Path, log: Path, timeout: float = 300) -> tuple[int, bytes]:
    """`campaignctl apply WS --auto-approve > LOG` with stdin and stderr on a pseudo-terminal
    of COLUMNS x ROWS; returns (exit code, all the terminal received)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "COLUMNS",
                                                            "LINES")}
    env.update(TERM="xterm-256color", MAIL_TOKEN="mail-token-lines")
    pid, fd = os.forkpty()
    if pid == 0:  # the child: stdin and stderr are the terminal, stdout the log
        import fcntl
        import struct

        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execve(sys.executable, [sys.executable, "-m", "reconciler", "apply", str(ws),
                                   "--auto-approve"], env)
    return read_until_exit(pid, fd, timeout)


def lines_drawn(received: bytes) -> tuple[int, list[str]]:
    """(the most terminal lines the output took at any moment, the non-blank lines left on
    the terminal at the end, scrollback included), as the emulated terminal shows them."""
    screen = pyte.HistoryScreen(COLUMNS, ROWS, history=100_000)
    stream = pyte.ByteStream(screen)
    most = 0
    for start in range(0, len(received), 256):  # as it arrived, a little at a time
        stream.feed(received[start:start + 256])
        most = max(most, len(screen.history.top) + screen.cursor.y + 1)
    left = [line.rstrip() for line in
            ["".join(ch.data for ch in row.values()) for row in screen.history.top]
            + screen.display]
    return most, [line for line in left if line]


def test_the_terminal_takes_the_same_few_lines_at_20_and_at_400_actions(tmp_path,
                                                                        sandbox_server):
    measured = {}
    for groups in (7, 134):  # 21 and 402 actions
        ws = workspace(tmp_path / f"ws{groups}", sandbox_server.url, groups)
        log = tmp_path / f"apply{groups}.log"
        code, received = apply_on_terminal(ws, log)
        summary = log.read_text()
        assert code == 0, summary + received.decode(errors="replace")[-2000:]
        actions = 3 * groups
        assert f"Apply: {actions} done, 0 failed, 0 skipped" in summary
        most, left = lines_drawn(received)
        measured[actions] = most, len(left)
        # The last state stays: every action counted, every contact uploaded.
        assert any(line.startswith(f"apply: {actions}/{actions} actions in ")
                   for line in left), left
        assert any(line.startswith(f"contacts uploaded: {2 * groups}/{2 * groups} contacts "
                                   "(100%)") for line in left), left
        assert not any("done:" in line or "ContactGroup/g" in line for line in left), left
    # What is left is the same at both sizes (the actions, the contacts, the note that the
    # lineage was recorded, on two lines). At most, while it ran: the actions' line, the
    # running ones (RUNNING_SHOWN and "and K more"), the contacts, then that note; how many
    # ran at once at a redraw depends on timing, so this is a bound, the same at both sizes.
    bound = 1 + RUNNING_SHOWN + 1 + 1 + 2
    assert measured[21][1] == measured[402][1] == 4, measured
    assert measured[21][0] <= bound and measured[402][0] <= bound, measured
