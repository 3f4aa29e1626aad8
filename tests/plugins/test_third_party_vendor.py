"""A vendor shipped as its own package (tests/plugins/acme_sms_pkg: a pyproject.toml with
a `campaignctl.vendors` entry point, a provider, an emulator, a conformance fixture),
installed from a temporary directory onto PYTHONPATH: the console script plans and applies
a workspace that uses it against `campaignctl sandbox serve` serving its emulator, and the
packaged conformance suite passes on it. Nothing in this repository names it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_workspace
from installer import install

from reconciler.testing.sandbox import SandboxServer

PACKAGE = Path(__file__).parent / "acme_sms_pkg"
CAMPAIGNCTL = str(Path(sys.executable).parent / "campaignctl")


@pytest.fixture
def site(tmp_path) -> Path:
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source)
    return install(source, tmp_path / "site")


def run(*args: str, site: Path | None, cwd: Path | None = None, **env: str):
    full = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    full.update(NO_COLOR="1", **env)
    if site is not None:
        full["PYTHONPATH"] = str(site)
    return subprocess.run(list(args), capture_output=True, text=True, env=full, cwd=cwd,
                          timeout=300, stdin=subprocess.DEVNULL)


def workspace(root: Path, url: str) -> Path:
    return write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              acme: {{type: acme-sms, base_url: "{url}", api_key: "${{ACME_KEY}}"}}
            """,
        "campaign.yaml": """
            kind: Sender
            name: brand
            provider: acme
            spec: {sms_id: ACME}
            ---
            kind: Message
            name: promo
            provider: acme
            spec: {channel: sms, text: "Acme: spring sale. STOP au 36111"}
            ---
            kind: ContactGroup
            name: people
            provider: acme
            spec:
              contacts:
                - {phone: "+33612340001"}
                - {phone: "+33612340002"}
                - {phone: "+33612340003"}
            ---
            kind: Campaign
            name: spring
            provider: acme
            spec:
              message: promo
              sender: brand
              contact_groups: [people]
              send_at: "2031-01-07T10:00:00+01:00"
              timezone: Europe/Paris
            """})


def test_a_vendor_package_plans_and_applies_through_the_console_script(tmp_path, site):
    server = SandboxServer(tmp_path / "sandbox", env={"PYTHONPATH": str(site)}).start()
    try:
        server.add_account("acme-sms", api_key="acme-s3cret")
        ws = workspace(tmp_path / "ws", server.url)
        cli = (CAMPAIGNCTL,)

        plan = run(*cli, "-v", "plan", str(ws), "--detailed-exitcode", site=site,
                   ACME_KEY="acme-s3cret")
        out = plan.stdout + plan.stderr
        assert plan.returncode == 2, out
        assert "send Campaign/spring" in out, out
        assert "vendor acme-sms: distribution acme-sms 0.3.1" in plan.stderr, out

        apply = run(*cli, "apply", str(ws), "--auto-approve", site=site, ACME_KEY="acme-s3cret")
        out = apply.stdout + apply.stderr
        assert apply.returncode == 0, out
        assert "acme-s3cret" not in out and "Traceback" not in out
        sent = server.get("/_sandbox/acme-sms/deliveries").json()
        assert (sent["total"], sent["distinct_recipients"]) == (3, 3)
        batches = [e for e in server.get("/_sandbox/requests").json()
                   if e["method"] == "POST" and e["path"] == "/acme/v1/messages"]
        assert [e["status"] for e in batches] == [201, 201]  # batches of 2: 2 + 1

        again = run(*cli, "plan", str(ws), "--detailed-exitcode", site=site,
                    ACME_KEY="acme-s3cret")
        assert again.returncode == 0, again.stdout + again.stderr
        reapply = run(*cli, "apply", str(ws), "--auto-approve", site=site,
                      ACME_KEY="acme-s3cret")
        assert reapply.returncode == 0, reapply.stdout + reapply.stderr
        assert server.get("/_sandbox/acme-sms/deliveries").json()["total"] == 3  # never twice

        # Without the package on the path, the same workspace names an unknown vendor.
        gone = run(*cli, "validate", str(ws), site=None, ACME_KEY="acme-s3cret")
        assert gone.returncode == 1
        assert "unknown type 'acme-sms'" in gone.stderr, gone.stderr
    finally:
        server.stop()


def test_the_packaged_conformance_suite_passes_on_the_vendor_package(tmp_path, site):
    tests = tmp_path / "src" / "tests"
    result = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                 "--rootdir", str(tests), str(tests), site=site, cwd=tests)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "5 passed, 1 skipped" in out, out  # no read API: the read-retry check is skipped
