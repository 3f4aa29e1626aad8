"""No credential in any output or store, as a class: every vendor x each of its reads and
writes x every failure (400, 401, 403, 404, 409, 422, 429, 500, a dropped connection, a
timeout, a lost response), driven through the console script's entry point against the
sandbox over real HTTP. Its fault injection makes each error answer quote the whole request
back (headers, query, body), as a careless vendor or gateway does.

Each case has its own sandbox account with distinctive canary credentials, and looks for
them in every output a user or a CI log keeps: stdout and stderr of `apply`, its `--debug`
log, the `CAMPAIGNCTL_LOG=verbose` log of a `plan -o FILE`, the plan file, the apply
report, `status --target`, `state show` and `state ledger unknown`, and the state itself
(SQLite for email-campaigns and Octopush, PostgreSQL for scheduled-campaigns and Connectly).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import EXAMPLE, SandboxServer, cli_in_process

import reconciler.http
from reconciler.http import VendorHttp

#: vendor -> (account, its manifest files in the example workspace, a campaign to inspect,
#: credential keys -> environment variables)
VENDORS = {
    "email-campaigns": ("mail", ["campaigns.yaml", "groups.yaml", "locales.yaml",
                                 "messages.yaml", "optouts.yaml", "senders.yaml"],
                        "Campaign/spring-sale", {"token": "MAIL_API_TOKEN"}),
    "scheduled-campaigns": ("sched", ["scheduled.yaml"], "Campaign/winter-newsletter",
                            {"api_key": "SCHED_API_KEY"}),
    "octopush": ("sms", ["sms.yaml"], "Campaign/spring-sale-sms",
                 {"api_login": "OCTOPUSH_API_LOGIN", "api_key": "OCTOPUSH_API_KEY"}),
    "connectly": ("whatsapp", ["whatsapp.yaml"], "Campaign/spring-sale-whatsapp",
                  {"business_id": "CONNECTLY_BUSINESS_ID", "api_key": "CONNECTLY_API_KEY"}),
}
#: vendor -> (operation, path prefix, method) the fault hits; send-only vendors have no read.
OPERATIONS = [
    ("email-campaigns", "read", "/email/", "GET"),
    ("email-campaigns", "write", "/email/", "POST"),
    ("scheduled-campaigns", "read", "/campaign", "GET"),
    ("scheduled-campaigns", "write", "/campaign", "POST"),
    ("octopush", "write", "/v1/public/", "POST"),
    ("connectly", "write", "/v1/businesses/", "POST"),
]
FAILURES = {
    **{str(code): {"kind": "error", "status": code, "echo": True}
       for code in (400, 401, 403, 404, 409, 422)},
    "429": {"kind": "rate_limit_429", "echo": True},
    "500": {"kind": "error_500", "echo": True},
    "dropped": {"kind": "drop_before"},
    "timeout": {"kind": "latency", "seconds": 1.0},
    "lost": {"kind": "lose_response"},
}
TIMEOUT = 0.4  # the account's `timeout`, under the injected latency
POSTGRES_VENDORS = ("scheduled-campaigns", "connectly")
OUTPUTS = ("apply stdout", "apply stderr", "apply --debug log", "CAMPAIGNCTL_LOG log",
           "plan file", "apply report", "status", "state show / state ledger", "state")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    server = SandboxServer(tmp_path_factory.mktemp("canary-sandbox")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fast_retries(monkeypatch):
    """Retries without their waits (the decisions and the tries stay as they are)."""
    monkeypatch.setattr(VendorHttp, "_backoff", lambda self, attempt: 0.0)
    monkeypatch.setattr(reconciler.http, "retry_after_seconds", lambda response: 0.0)


def canaries(vendor: str, case: str) -> dict[str, str]:
    """Distinctive credentials of one case's account (a login shaped like an email, as
    Octopush's is; the rest long tokens with characters that encode differently)."""
    tag = f"{vendor[:4]}{case}".upper().replace("-", "")
    values = {"token": f"CANARYtok{tag}x7Q/9+z", "api_key": f"CANARYkey{tag}k2W=5",
              "api_login": f"canary.{tag.lower()}@octo.example",
              "business_id": f"CANARYbiz{tag}4d1"}
    return {key: values[key] for key in VENDORS[vendor][3]}


def workspace(root: Path, url: str, vendor: str, dsn: str | None) -> Path:
    """The example workspace's production environment with only `vendor`'s manifests, its
    accounts at the sandbox server, a short timeout, and its state in `dsn` if given."""
    ws = root / "ws"
    shutil.copytree(EXAMPLE, ws, ignore=shutil.ignore_patterns(".campaignctl"))
    keep = set(VENDORS[vendor][1])
    for path in ws.glob("*.yaml"):
        if path.name != "campaignctl.yaml" and path.name not in keep:
            path.unlink()
    config = ws / "campaignctl.yaml"
    text = config.read_text()
    for name in ("MAIL", "OCTOPUSH", "CONNECTLY", "SCHED"):
        text = text.replace(f"base_url: ${{{name}_API_URL}}",
                            f"base_url: {url}\n        timeout: {TIMEOUT}")
    if dsn:
        text = text.replace("    # state:\n    #   backend: postgres\n    #   dsn:",
                            "    state:\n      backend: postgres\n      dsn:")
    config.write_text(text)
    return ws


def state_text(ws: Path, dsn: str | None) -> str:
    """Every value the state holds, every table."""
    if dsn:
        import psycopg

        with psycopg.connect(dsn) as conn:
            tables = [r[0] for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE "
                "table_schema='campaignctl'")]
            return "\n".join(str(row) for t in tables for row in conn.execute(
                f'SELECT * FROM campaignctl."{t}"'))
    db = ws / ".campaignctl" / "production" / "state.db"
    if not db.exists():
        return ""
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


CASES = [pytest.param(vendor, operation, prefix, method, failure,
                      id=f"{vendor}-{operation}-{failure}")
         for vendor, operation, prefix, method in OPERATIONS for failure in FAILURES]


@pytest.mark.parametrize("vendor,operation,prefix,method,failure", CASES)
def test_no_canary_credential_in_any_output_or_store(
        vendor, operation, prefix, method, failure, sandbox, tmp_path, capsys, monkeypatch,
        fast_retries, request):
    dsn = request.getfixturevalue("postgres_dsn") if vendor in POSTGRES_VENDORS else None
    account, _, campaign, env_names = VENDORS[vendor]
    secrets = canaries(vendor, f"{operation}{failure}")
    sandbox.add_account(vendor, **secrets)
    for _, _, _, names in VENDORS.values():  # the other accounts are never contacted
        for name in names.values():
            monkeypatch.setenv(name, f"unused-{name}")
    for key, name in env_names.items():
        monkeypatch.setenv(name, secrets[key])
    if dsn:
        monkeypatch.setenv("CAMPAIGNCTL_STATE_DSN", dsn)
    ws = workspace(tmp_path, sandbox.url, vendor, dsn)
    run = ("--env", "production")
    if operation == "read" and vendor == "scheduled-campaigns":
        # Its only read is of a bound campaign: create it first, fault-free.
        code, out = cli_in_process(capsys, "apply", str(ws), *run, "--auto-approve")
        assert code == 0, out
    sandbox.post("/_sandbox/faults", {"rules": [
        {"path_prefix": prefix, "method": method, **FAILURES[failure]}]})
    try:
        report = tmp_path / "report.md"
        code, applied = cli_in_process(capsys, "--debug", "apply", str(ws), *run,
                                       "--auto-approve", "--report", str(report))
        capsys.readouterr()
        fired = sandbox.get("/_sandbox/faults").json()["fired"]
        monkeypatch.setenv("CAMPAIGNCTL_LOG", "verbose")
        plan_file = tmp_path / "plan.json"
        _, planned = cli_in_process(capsys, "plan", str(ws), *run, "-o", str(plan_file))
        monkeypatch.delenv("CAMPAIGNCTL_LOG")
    finally:
        sandbox.post("/_sandbox/faults", {"rules": []})
    _, status = cli_in_process(capsys, "status", str(ws), *run, "--target", campaign)
    _, shown = cli_in_process(capsys, "state", "show", campaign, str(ws), *run)
    _, unknown = cli_in_process(capsys, "state", "ledger", "unknown", str(ws), *run)

    # The failure happened, on the wire, and the apply said so (a 404 reading a bound
    # scheduled-campaigns campaign is its documented "deleted outside": drift, no error).
    drift = (vendor, operation, failure) == ("scheduled-campaigns", "read", "404")
    assert sum(fired.values()) >= 1, (fired, applied)
    assert code == (0 if drift else 1), applied
    if FAILURES[failure]["kind"] == "error" and not drift:
        assert f"HTTP {failure}" in applied, applied
        assert "****" in applied, applied  # the echoed request was there, and masked
    outputs = {
        "apply (stdout, stderr, --debug log)": applied,
        "CAMPAIGNCTL_LOG=verbose plan": planned,
        "plan file": plan_file.read_text() if plan_file.exists() else "",
        "apply report": report.read_text(),
        "status": status,
        "state show / state ledger": shown + unknown,
        "state": state_text(ws, dsn),
    }
    assert outputs["apply report"], "no apply report written"
    for where, text in outputs.items():
        for key, value in secrets.items():
            for form in {value, value.replace("@", "%40"), value.replace("/", "%2F"),
                         value.replace("+", "%2B")}:
                assert form not in text, f"{vendor} {key} in {where}:\n{text[-3000:]}"


def test_the_matrix_covers_every_vendor_failure_and_output():
    """The count the issue asks for: (vendor, operation, failure, output) cases."""
    assert {v for v, *_ in OPERATIONS} == set(VENDORS)
    assert len(FAILURES) == 11
    assert len(CASES) * len(OUTPUTS) == 6 * 11 * 9
