"""The conformance suite every vendor plug-in passes, as a pytest plugin (registered under
`pytest11`, so it is active wherever campaignctl is installed; it adds fixtures, never
tests of its own).

A vendor package runs it against its own emulator in one test module:

    from reconciler.testing.conformance import ConformanceSuite

    class TestAcmeSms(ConformanceSuite):
        vendors = ("acme-sms",)   # default: every installed plug-in with a fixture

Each vendor's plug-in declares `conformance=` (reconciler/plugins.py): a function
returning its `ConformanceFixture` (the account's credentials, the manifests of each
step, the call that creates or sends, what the vendor holds). The suite runs the CLI in
this process against `campaignctl sandbox serve` over real HTTP on 127.0.0.1 (which serves
every installed plug-in's emulator), with the sandbox's fault injection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.testing.fixtures import STEPS, WRITES, ConformanceFixture, env_of, future
from reconciler.testing.sandbox import SandboxServer


class Workspace:
    """One vendor's workspace, stepped through the fixture's manifests."""

    def __init__(self, root: Path, fixture: ConformanceFixture, server: SandboxServer):
        self.root, self.fixture, self.server = root, fixture, server
        self.when = future()
        root.mkdir(parents=True, exist_ok=True)
        server.add_account(fixture.type, **fixture.credentials)
        self.configure(fixture.credentials)

    def configure(self, credentials: dict[str, str]) -> None:
        (self.root / "campaignctl.yaml").write_text(self.fixture.config(self.server.url), encoding="utf-8")
        self.env = {"NO_COLOR": "1", **env_of(credentials)}

    def step(self, name: str) -> None:
        for old in self.root.glob("*"):
            if old.is_file() and old.name != "campaignctl.yaml":
                old.unlink()
        for file, text in self.fixture.steps[name].items():
            (self.root / file).write_text(text.replace("{when}", self.when).lstrip(), encoding="utf-8")

    def run(self, *args: str):
        from reconciler.testing.cli import campaignctl

        result = campaignctl(*args, str(self.root), env=self.env)
        out = result.stdout + result.stderr
        assert "Traceback" not in out, out
        for key, secret in self.fixture.credentials.items():
            if key not in self.fixture.identities:
                assert secret not in out, f"the {key} credential was printed:\n{out}"
        return result

    def plan_code(self) -> int:
        return self.run("plan", "--detailed-exitcode").returncode

    def apply(self, code: int = 0):
        result = self.run("apply", "--auto-approve")
        assert result.returncode == code, result.stdout + result.stderr
        return result

    def held(self) -> Any:
        return self.fixture.held(self.server, self.fixture)

    def faults(self, kind: str, method: str, prefix: str, times: int = 1) -> None:
        r = self.server.post("/_sandbox/faults", {"rules": [
            {"path_prefix": prefix, "method": method, "kind": kind, "times": times}]})
        assert r.status_code == 200, r.text

    def clear_faults(self) -> None:
        self.server.delete("/_sandbox/faults")

    def journal(self) -> list[tuple[str, str, int]]:
        entries = self.server.get("/_sandbox/requests").json()
        return [(e["method"], e["path"], e["status"]) for e in entries]

    def writes(self) -> list[tuple[str, str, int]]:
        return [e for e in self.journal() if e[0] in WRITES]

    def calls_to(self, method: str, prefix: str) -> list[tuple[str, str, int]]:
        return [e for e in self.journal() if e[0] == method and e[1].startswith(prefix)]

    def clear_journal(self) -> None:
        self.server.delete("/_sandbox/requests")


# The pytest plugin ------------------------------------------------------------------------

def fixtures(types: tuple[str, ...] | None = None) -> dict[str, ConformanceFixture]:
    """type -> conformance fixture of these installed vendors (default: every one that
    declares one)."""
    from reconciler.vendors import installed

    plugins = installed()
    if types is None:
        types = tuple(sorted(t for t, p in plugins.items() if p.conformance is not None))
    out = {}
    for vtype in types:
        plugin = plugins.get(vtype)
        if plugin is None:
            raise pytest.UsageError(f"conformance: no vendor plug-in {vtype!r} is installed "
                                    f"(installed: {', '.join(sorted(plugins))})")
        if plugin.conformance is None:
            raise pytest.UsageError(f"conformance: vendor {vtype!r} declares no fixture "
                                    "(VendorPlugin(conformance=...))")
        out[vtype] = plugin.conformance()
    return out


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conformance_fixture" in metafunc.fixturenames:
        found = fixtures(getattr(metafunc.cls, "vendors", None))
        metafunc.parametrize("conformance_fixture", list(found.values()), ids=list(found))


@pytest.fixture
def campaignctl_sandbox(tmp_path) -> SandboxServer:
    """The sandbox served over real HTTP on 127.0.0.1 (every installed emulator)."""
    server = SandboxServer(tmp_path / "sandbox-data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def conformance_workspace(tmp_path, conformance_fixture, campaignctl_sandbox) -> Workspace:
    return Workspace(tmp_path / "ws", conformance_fixture, campaignctl_sandbox)


class ConformanceSuite:
    """What every provider must do. Subclass it as `Test...` in a test module; `vendors`
    picks the plug-ins (default: every installed one that declares a fixture)."""

    vendors: tuple[str, ...] | None = None

    def test_create_noop_update_delete_and_apply_then_plan_is_empty(
            self, conformance_workspace):
        ws = conformance_workspace
        for step in STEPS:
            ws.step(step)
            assert ws.plan_code() == (0 if step in ws.fixture.no_change else 2), step
            ws.apply()
            assert ws.held() == ws.fixture.expected[step], step
            assert ws.plan_code() == 0, step  # apply then plan: no changes
            ws.clear_journal()
            ws.apply()  # no-op: nothing written
            assert ws.writes() == [], step
            assert ws.held() == ws.fixture.expected[step], step

    def test_a_lost_response_is_never_repeated(self, conformance_workspace):
        ws = conformance_workspace
        method, prefix = ws.fixture.write
        ws.step("create")
        ws.faults("lose_response", method, prefix)
        first = ws.run("apply", "--auto-approve")
        if first.returncode != 0:  # not read back: the tool says so and does not guess
            assert "unknown" in (first.stdout + first.stderr).lower()
        ws.clear_faults()
        ws.run("apply", "--auto-approve")
        ws.run("apply", "--auto-approve")
        assert ws.held() == ws.fixture.expected["create"]  # committed once, never twice
        creates = ws.calls_to(method, prefix)
        assert len(creates) == 1, creates

    def test_429_is_waited_out_then_done_once(self, conformance_workspace):
        ws = conformance_workspace
        method, prefix = ws.fixture.write
        ws.step("create")
        ws.faults("rate_limit_429", method, prefix)
        ws.apply()
        statuses = [status for *_, status in ws.calls_to(method, prefix)]
        assert statuses in ([429, 200], [429, 201]), statuses
        assert ws.held() == ws.fixture.expected["create"]
        assert ws.plan_code() == 0

    def test_5xx_on_a_write_is_not_blindly_repeated(self, conformance_workspace):
        ws = conformance_workspace
        method, prefix = ws.fixture.write
        ws.step("create")
        ws.faults("error_500", method, prefix)
        failed = ws.run("apply", "--auto-approve")
        out = failed.stdout + failed.stderr
        assert failed.returncode == 1, out
        assert "500" in out or "unknown" in out.lower(), out
        creates = ws.calls_to(method, prefix)
        assert len(creates) == 1, creates  # a write that may have happened is not resent
        ws.clear_faults()
        ws.run("apply", "--auto-approve")
        held = ws.held()
        # Either read back and done once, or still unknown and not guessed at: never twice.
        assert held in (ws.fixture.expected["create"], ws.fixture.empty), held

    def test_5xx_on_a_read_is_retried(self, conformance_workspace):
        ws = conformance_workspace
        if ws.fixture.read is None:
            pytest.skip(f"{ws.fixture.type} has no read API: the plan reads our own ledger")
        method, prefix = ws.fixture.read
        ws.step("create")
        ws.apply()
        ws.clear_journal()
        ws.faults("error_500", method, prefix, times=2)
        assert ws.plan_code() == 0
        reads = ws.calls_to(method, prefix)
        assert [s for *_, s in reads][:3] == [500, 500, 200]

    def test_a_wrong_credential_is_a_clear_401_and_nothing_is_done(
            self, conformance_workspace):
        ws = conformance_workspace
        wrong = {k: (v if k in ws.fixture.identities else "wr0ng-secret-value")
                 for k, v in ws.fixture.credentials.items()}
        ws.configure(wrong)
        ws.step("create")
        for args in (("plan",), ("apply", "--auto-approve")):
            result = ws.run(*args)
            out = result.stdout + result.stderr
            if args == ("plan",) and result.returncode == 0 and not ws.journal():
                continue  # nothing bound yet (or send-only): the plan made no call
            assert result.returncode == 1, out
            assert "401" in out, out
            assert "wr0ng-secret-value" not in out
        assert ws.held() == ws.fixture.empty
