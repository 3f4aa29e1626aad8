"""The cost a plan estimates is the cost the vendor bills: plan, then apply, then `status`
(the vendor's `total_cost` of each frame, from the ledger) through the CLI against the
sandbox over real HTTP, for the example workspace and for 50,000 French SMS."""

import json

from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_IDS,
    EXAMPLE_SECRETS,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
)
from send_helpers import sms_workspace


def planned_cost(ws, name: str, env: dict[str, str], *args: str) -> float:
    plan = run_cli("plan", str(ws), "--format", "json", *args, env=env)
    assert plan.returncode == 0, plan.stderr
    (send,) = [a for a in json.loads(plan.stdout)["actions"]
               if a["address"] == f"Campaign/{name}" and a["op"] == "send"]
    return send["send"]["estimated_cost"]


def billed_cost(ws, name: str, env: dict[str, str], *args: str) -> float:
    applied = run_cli("apply", str(ws), "--auto-approve", *args, env=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    status = run_cli("status", str(ws), "--format", "json", *args, env=env)
    assert status.returncode == 0, status.stderr
    (row,) = [c for c in json.loads(status.stdout)["campaigns"] if c["name"] == name]
    assert row["currency"] == "EUR"
    return row["cost"]


def test_the_example_plans_the_cost_the_vendor_bills(tmp_path, sandbox_server):
    secrets = {name: f"secret-{i}" for i, name in enumerate(EXAMPLE_SECRETS)} | EXAMPLE_IDS
    ws = example_on_real_accounts(tmp_path / "campaigns", sandbox_server.url)
    sandbox_accounts(ws, secrets, EXAMPLE_ENV)
    args = ("--env", EXAMPLE_ENV)
    planned = planned_cost(ws, "spring-sale-sms", secrets, *args)
    billed = billed_cost(ws, "spring-sale-sms", secrets, *args)
    assert billed > 0 and abs(planned - billed) <= 0.01 * billed, (planned, billed)


def test_50000_french_sms_plan_and_bill_agree(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 50_000)  # its accounts too
    config = ws / "campaignctl.yaml"
    # The account's own rates, as the example gives them (the sandbox's prices).
    config.write_text(config.read_text() + "    sms_prices:\n"
                      "      sms_premium: {FR: 0.055, default: 0.07}\n"
                      "      sms_low_cost: {FR: 0.035}\n")
    env: dict[str, str] = {}
    planned = planned_cost(ws, "promo", env)
    billed = billed_cost(ws, "promo", env)
    assert billed == 2_750.0  # 50,000 one-segment premium SMS at 0.055 EUR
    assert abs(planned - billed) <= 0.01 * billed, (planned, billed)
