"""Budget and audience gates (safety.max_recipients_per_send, max_cost_per_apply,
max_audience_growth_percent): one over a gate stops the plan and apply, naming the gate;
one under passes; --force passes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import run_cli

from reconciler.config import SafetyConfig
from reconciler.engine.actions import Action, SendSummary
from reconciler.engine.gates import gate_violations
from reconciler.engine.plan import Plan

sys.path.insert(0, str(Path(__file__).parent.parent / "e2e_send"))
from send_helpers import phones, sms_workspace, write_csv  # noqa: E402


def _send(name: str, recipients: int, cost: float | None = None, currency: str = "EUR",
          already_sent: int = 0, account: str = "sms") -> Action:
    return Action("send", "Campaign", name, account, "not sent yet",
                  send=SendSummary(recipients=recipients, batches=1, send_at=None,
                                   already_sent=already_sent, estimated_cost=cost,
                                   currency=currency if cost is not None else None))


def _plan(*actions: Action) -> Plan:
    return Plan(list(actions), "f" * 64, "d" * 64)


def test_recipients_per_send_one_over_stops_one_under_passes():
    config = SafetyConfig(max_recipients_per_send=100)
    found = gate_violations(_plan(_send("a", 101), _send("b", 99)), config)
    assert [str(v) for v in found] == [
        "Campaign/a sends to 101 recipients; safety.max_recipients_per_send is 100. "
        "Re-run with --force to allow it."]
    assert gate_violations(_plan(_send("a", 99)), config) == []
    assert gate_violations(_plan(_send("a", 101)), SafetyConfig()) == []  # not set


def test_cost_per_apply_sums_every_send_per_currency():
    config = SafetyConfig(max_cost_per_apply={"EUR": 10, "USD": 5})
    over = _plan(_send("a", 1, 6.0), _send("b", 1, 5.0), _send("c", 1, 4.0, "USD"))
    found = gate_violations(over, config)
    assert [v.setting for v in found] == ["max_cost_per_apply.EUR"]
    assert str(found[0]) == ("plan's sends cost an estimated 11.00 EUR; "
                             "safety.max_cost_per_apply.EUR is 10. Re-run with --force to "
                             "allow it.")
    assert gate_violations(_plan(_send("a", 1, 5.0), _send("b", 1, 4.0)), config) == []
    usd = gate_violations(_plan(_send("a", 1, 6.0, "usd")), config)
    assert [v.setting for v in usd] == ["max_cost_per_apply.USD"]


def test_audience_growth_against_the_last_recorded_send():
    config = SafetyConfig(max_audience_growth_percent=50)
    base = {"sms:Campaign/a": 10}
    # 16 = +60% (one over 15 = +50%), counting those already sent
    found = gate_violations(_plan(_send("a", 6, already_sent=10)), config, base)
    assert [str(v) for v in found] == [
        "Campaign/a's audience grew from 10 to 16 (+60%) since its last reviewed or applied "
        "send; safety.max_audience_growth_percent is 50. Re-run with --force to allow it."]
    assert gate_violations(_plan(_send("a", 14)), config, base) == []
    assert gate_violations(_plan(_send("a", 16, account="other")), config, base) == []
    assert gate_violations(_plan(_send("a", 1000)), config, {}) == []  # first send


@pytest.mark.parametrize("setting", ["max_recipients_per_send: -1",
                                     "max_cost_per_apply: {EURO: 5}",
                                     "max_cost_per_apply: {EUR: -1}",
                                     "max_audience_growth_percent: nope"])
def test_bad_gate_settings_are_positioned_errors(tmp_path, setting):
    ws = sms_workspace(tmp_path / "ws", "sandbox", 3)
    (ws / "campaignctl.yaml").write_text(
        (ws / "campaignctl.yaml").read_text() + f"safety:\n  {setting}\n")
    r = run_cli("validate", str(ws))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "campaignctl.yaml:" in r.stdout + r.stderr


def _gated(ws: Path, safety: str) -> None:
    config = ws / "campaignctl.yaml"
    text = config.read_text().replace("    api_key: ${TEST_KEY_123}\n",
                                      "    api_key: ${TEST_KEY_123}\n"
                                      "    sms_prices: {FR: 0.5}\n")
    config.write_text(text + "safety:\n" + "".join(f"  {line}\n" for line in safety.split(";")))


def _stops(ws: Path, setting: str) -> None:
    plan = run_cli("plan", str(ws))
    assert f"safety.{setting} is" in plan.stdout, plan.stdout + plan.stderr
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 1
    assert f"safety.{setting} is" in applied.stderr and "--force" in applied.stderr


def _passes(ws: Path) -> str:
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 0 and "Safety:" not in plan.stdout, plan.stdout + plan.stderr
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return applied.stdout


def test_each_gate_stops_the_cli_one_over_and_passes_one_under(tmp_path, sandbox_server):
    # max_recipients_per_send: 11 recipients against 10 stops; --force sends.
    ws = sms_workspace(tmp_path / "r", sandbox_server.url, 11)
    _gated(ws, "max_recipients_per_send: 10")
    _stops(ws, "max_recipients_per_send")
    forced = run_cli("apply", str(ws), "--auto-approve", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    ws = sms_workspace(tmp_path / "r9", sandbox_server.url, 9)
    _gated(ws, "max_recipients_per_send: 10")
    _passes(ws)

    # max_cost_per_apply: 11 SMS x 0.50 EUR = 5.50 against 5 stops; 9 x 0.50 passes.
    ws = sms_workspace(tmp_path / "c", sandbox_server.url, 11)
    _gated(ws, "max_cost_per_apply: {EUR: 5}")
    _stops(ws, "max_cost_per_apply.EUR")
    ws = sms_workspace(tmp_path / "c9", sandbox_server.url, 9)
    _gated(ws, "max_cost_per_apply: {EUR: 5}")
    _passes(ws)

    # max_audience_growth_percent: sent to 10; 16 (+60%) against 50 stops, 14 passes.
    ws = sms_workspace(tmp_path / "g", sandbox_server.url, 10)
    _gated(ws, "max_audience_growth_percent: 50")
    _passes(ws)
    write_csv(ws / "customers.csv", phones(16))
    _stops(ws, "max_audience_growth_percent")
    write_csv(ws / "customers.csv", phones(14))
    _passes(ws)
    # the baseline is now 14: 21 (+50%) passes, and a reviewed plan (-o) records it
    write_csv(ws / "customers.csv", phones(21))
    saved = run_cli("plan", str(ws), "-o", str(tmp_path / "g.plan"))
    assert saved.returncode == 0 and "Safety:" not in saved.stdout, saved.stdout
    write_csv(ws / "customers.csv", phones(32))  # +52% on the reviewed 21
    _stops(ws, "max_audience_growth_percent")
    forced = run_cli("apply", str(ws), "--auto-approve", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert "No changes" in run_cli("plan", str(ws)).stdout
