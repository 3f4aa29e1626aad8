"""Renaming a send-only Campaign manifest never sends it again: the plan refuses a send of
the same content to people a campaign no longer in the manifests already reached, names
`state mv`, and after `campaignctl state mv` the plan shows no changes."""

from __future__ import annotations

from conftest import run_cli
from send_helpers import sms_workspace


def deliveries(sandbox_server) -> int:
    return sandbox_server.get("/_sandbox/octopush/deliveries").json()["total"]


def test_renamed_campaign_is_refused_until_state_mv(tmp_path, sandbox_server):
    ws = sms_workspace(tmp_path / "ws", sandbox_server.url, 300, batch_size=200)
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    assert deliveries(sandbox_server) == 300

    manifest = ws / "sms.yaml"
    manifest.write_text(manifest.read_text().replace(
        "kind: Campaign\nname: promo\n", "kind: Campaign\nname: promo-2027\n"))
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode != 2, plan.stdout  # nothing to send
    assert "! refuse Campaign/promo-2027" in plan.stdout, plan.stdout
    assert "already sent this same content to 300 of the 300" in plan.stdout
    assert "campaignctl state mv Campaign/promo Campaign/promo-2027" in plan.stdout
    run_cli("apply", str(ws), "--auto-approve")
    assert deliveries(sandbox_server) == 300  # refused: nobody got it twice

    # Saying it really is a new send plans it (not applied here).
    flagged = manifest.read_text().replace(
        "name: promo-2027\nprovider: sms\n",
        "name: promo-2027\nprovider: sms\nlifecycle: {new_send: true}\n")
    manifest.write_text(flagged)
    again = run_cli("plan", str(ws))
    assert "send Campaign/promo-2027" in again.stdout and "recipients: 300" in again.stdout
    manifest.write_text(flagged.replace("lifecycle: {new_send: true}\n", ""))

    moved = run_cli("state", "mv", "Campaign/promo", "Campaign/promo-2027", str(ws))
    assert moved.returncode == 0, moved.stderr
    assert "2 send-ledger batches (300 recipients)" in moved.stdout
    after = run_cli("plan", str(ws), "--detailed-exitcode")
    assert after.returncode == 0 and "No changes" in after.stdout, after.stdout
    twice = run_cli("state", "mv", "Campaign/promo", "Campaign/promo-2027", str(ws))
    assert twice.returncode == 1 and "Campaign/promo-2027 is already in the state" in twice.stderr
    assert "Traceback" not in twice.stderr
