"""Files saved on Windows: manifests, campaignctl.yaml and CSVs with CRLF line endings (and
a UTF-8 byte-order mark, as Notepad and Excel write) read exactly as their LF copies."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLE_EMAIL_POLICY, run_cli, sandbox_accounts

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "crlf-t0ken"
EMAIL_FILES = ("campaigns.yaml", "groups.yaml", "messages.yaml", "optouts.yaml",
               "senders.yaml", "subscribers.csv")


def workspace(root: Path, server, *, crlf: bool) -> Path:
    root.mkdir()
    config = ("providers:\n  mail:\n    type: email-campaigns\n"
              f"    base_url: {server.url}\n    token: ${{MAIL_TOKEN}}\n"
              + EXAMPLE_EMAIL_POLICY).encode()
    for name, data in [*((n, (ROOT / "campaigns" / n).read_bytes()) for n in EMAIL_FILES),
                       ("campaignctl.yaml", config)]:
        assert b"\r\n" not in data
        if crlf:
            data = data.replace(b"\n", b"\r\n")
            if name.endswith(".csv"):
                data = b"\xef\xbb\xbf" + data
        (root / name).write_bytes(data)
    return root


def test_crlf_manifests_and_csvs_plan_exactly_as_lf(tmp_path, sandbox_server):
    lf = workspace(tmp_path / "lf", sandbox_server, crlf=False)
    crlf = workspace(tmp_path / "crlf", sandbox_server, crlf=True)
    assert b"\r\n" in (crlf / "subscribers.csv").read_bytes()
    sandbox_accounts(lf, {"MAIL_TOKEN": TOKEN})
    env = {"MAIL_TOKEN": TOKEN}
    outputs = []
    for ws in (lf, crlf):
        valid = run_cli("validate", str(ws), env=env)
        assert valid.returncode == 0, valid.stdout + valid.stderr
        plan = run_cli("plan", str(ws), env=env)
        assert plan.returncode == 0, plan.stdout + plan.stderr
        outputs.append(plan.stdout.replace(str(ws), "WS"))
    assert "to create" in outputs[0]
    assert outputs[0] == outputs[1]
