"""An irreversible send asks for its recipient count typed back, restating recipients and
cost: the real CLI on a terminal (a pseudo-terminal on its stdin), against the sandbox."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

from conftest import run_cli, write_workspace


def sms_workspace(root):
    phones = ", ".join(f"{{phone: '+3361000000{i}'}}" for i in range(1, 4))
    return write_workspace(root, {
        "campaignctl.yaml": """
            providers:
              sms:
                type: octopush
                base_url: sandbox
                sms_prices: {FR: 0.055}
            """,
        "sms.yaml": f"""
            kind: Sender
            name: acme
            provider: sms
            spec: {{sms_id: ACME}}
            ---
            kind: Message
            name: promo
            provider: sms
            spec: {{channel: sms, text: "Acme: 20% off. STOP au 36111"}}
            ---
            kind: ContactGroup
            name: customers
            provider: sms
            spec: {{contacts: [{phones}]}}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              sender: acme
              contact_groups: [customers]
              send_at: "2031-01-07T09:00:00+01:00"
              timezone: Europe/Paris
              octopush: {{purpose: wholesale}}
            """,
    })


def apply_on_terminal(ws, typed: str) -> tuple[int, str]:
    """`campaignctl apply WS` with a terminal on stdin, `typed` typed at its prompt."""
    leader, follower = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", str(ws)],
                            stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=env, text=True)
    os.close(follower)
    os.write(leader, typed.encode() + b"\n")
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    return proc.returncode, out


def test_the_count_typed_back_sends(tmp_path):
    ws = sms_workspace(tmp_path / "ws")
    code, out = apply_on_terminal(ws, "3")
    assert "This cannot be undone: 3 recipients, estimated cost 0.17 EUR." in out
    assert "Type 3 to send to 3 recipients:" in out
    assert code == 0, out
    assert "[1/1] done: send Campaign/promo" in out and "Apply: 1 done, 0 failed" in out
    again = run_cli("plan", str(ws), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout  # sent: nothing left to do


def test_a_y_or_a_wrong_count_sends_nothing(tmp_path):
    ws = sms_workspace(tmp_path / "ws")
    for typed in ("y", "30"):
        code, out = apply_on_terminal(ws, typed)
        assert "Type 3 to send to 3 recipients:" in out
        assert "Apply cancelled; nothing was changed." in out
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 2  # the send is still to do


def test_no_terminal_without_auto_approve_refuses(tmp_path):
    ws = sms_workspace(tmp_path / "ws")
    r = run_cli("apply", str(ws))
    assert r.returncode == 1
    assert "no terminal to confirm on: re-run with --auto-approve" in r.stderr
    assert run_cli("plan", str(ws), "--detailed-exitcode").returncode == 2
