"""A Connectly Campaign renamed with `campaign_name` left at its default (the manifest's
name) is the same send: the plan recognises it (no second send to the same people), names
the `state mv` it takes, and after it the campaign keeps the campaignName it was sent
under, so only new recipients are sent."""

from __future__ import annotations

from conftest import run_cli
from test_connectly_provider import phones, workspace


def delivered(server) -> dict:
    return server.get("/_sandbox/connectly/deliveries").json()


def test_rename_with_default_campaign_name_is_not_a_second_send(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url, 5)
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    assert delivered(sandbox_server)["total"] == 4  # one opted out

    manifest = ws / "wa.yaml"
    manifest.write_text(manifest.read_text().replace("name: launch\n", "name: launch-2027\n"))
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert "send Campaign/launch-2027" not in plan.stdout, plan.stdout
    assert "! refuse Campaign/launch-2027" in plan.stdout, plan.stdout
    assert "already sent this same content to 4 of the 4" in plan.stdout
    assert "campaignctl state mv Campaign/launch Campaign/launch-2027" in plan.stdout
    run_cli("apply", str(ws), "--auto-approve")
    assert delivered(sandbox_server)["total"] == 4

    moved = run_cli("state", "mv", "Campaign/launch", "Campaign/launch-2027", str(ws))
    assert moved.returncode == 0, moved.stderr
    after = run_cli("plan", str(ws), "--detailed-exitcode")
    assert after.returncode == 0 and "No changes" in after.stdout, after.stdout

    # A new contact: sent once, under the campaignName the others got.
    (ws / "all.csv").write_text("phone,first_name\n" + "".join(
        f"{p},N{i}\n" for i, p in enumerate(phones(6))))
    grown = run_cli("plan", str(ws))
    assert "recipients: 1" in grown.stdout, grown.stdout
    assert run_cli("apply", str(ws), "--auto-approve").returncode == 0
    summary = delivered(sandbox_server)
    assert summary["total"] == summary["distinct_recipients"] == 5
    launch = sandbox_server.get("/_sandbox/connectly/deliveries?campaign=launch@1").json()
    assert launch["total"] == 5  # every entry went out as campaignName "launch"

