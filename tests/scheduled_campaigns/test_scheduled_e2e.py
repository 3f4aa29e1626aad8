"""End to end: the real CLI against the sandbox's scheduled-campaigns API over real HTTP.
Write calls are counted from the sandbox's request journal (GET /_sandbox/requests)."""

import os
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from conftest import run_cli, write_workspace

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _account(request):
    """The vendor account the workspaces below use, created at the served sandbox."""
    if "sandbox_server" in request.fixturenames:
        request.getfixturevalue("sandbox_server").add_account("scheduled-campaigns",
                                                              api_key=os.environ["TEST_SCHED_KEY"])


def config(url: str) -> str:
    return f"""
    providers:
      sched:
        type: scheduled-campaigns
        base_url: {url}
        api_key: ${{TEST_SCHED_KEY}}
    """


def campaign(name="launch", title="Launch", state="draft", send_at="", segments="[3, 7]",
             list_id=12) -> str:
    return f"""
kind: Campaign
name: {name}
provider: sched
spec:
  title: {title}
  send_at: {send_at}
  state: {state}
  scheduled-campaigns:
    list: {list_id}
    segments: {segments}
    domain: 4
"""


def future(days: float = 2, tz: timezone = UTC) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).astimezone(tz)


def ok(result, *needles: str) -> str:
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    for needle in needles:
        assert needle in out, f"{needle!r} not in:\n{out}"
    return out


def refused(result, *needles: str) -> str:
    """A plan or apply with a refusal: exit 1, and its last line says what was refused."""
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert result.stdout.strip().splitlines()[-1].startswith("Refused: 1 action"), out
    assert "No changes" not in out
    for needle in needles:
        assert needle in out, f"{needle!r} not in:\n{out}"
    return out


def writes(server) -> list[tuple[str, str]]:
    return [(e["method"], e["path"]) for e in server.get("/_sandbox/requests").json()
            if e["method"] != "GET"]


def clear_journal(server) -> None:
    httpx.delete(server.url + "/_sandbox/requests", timeout=30)


def campaigns(server) -> list[dict]:
    return server.get("/_sandbox/scheduled-campaigns/campaigns").json()["campaigns"]


def test_draft_then_ready_then_sent_then_frozen(tmp_path, sandbox_server):
    send_at = future(2, timezone(timedelta(hours=5, minutes=30))).isoformat()
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(sandbox_server.url),
                                           "c.yaml": campaign(send_at=send_at)})
    ok(run_cli("plan", str(ws)), "+ create Campaign/launch")
    ok(run_cli("apply", str(ws), "--auto-approve"), "1 done")
    assert writes(sandbox_server) == [("POST", "/campaign")]
    [live] = campaigns(sandbox_server)
    assert live["state"] == "DRAFT" and live["segments"] == [3, 7]

    # draft -> ready: two edges, two PUTs, nothing else
    (ws / "c.yaml").write_text(campaign(send_at=send_at, state="ready"))
    ok(run_cli("plan", str(ws)), "> transition Campaign/launch", "state: draft > scheduled > ready")
    clear_journal(sandbox_server)
    ok(run_cli("apply", str(ws), "--auto-approve"), "1 done")
    path = f"/campaign/{live['id']}"
    assert writes(sandbox_server) == [("PUT", path), ("PUT", path)]
    assert campaigns(sandbox_server)[0]["state"] == "READY"
    ok(run_cli("plan", str(ws)), "No changes.")

    # the vendor sends it: READY -> SENDING -> DONE; `ready` was satisfied, no diff
    sandbox_server.post("/_sandbox/clock", {"advance_seconds": 3 * 86400})
    assert campaigns(sandbox_server)[0]["state"] == "DONE"
    ok(run_cli("plan", str(ws)), "No changes.")

    # any change now is refused, and apply makes no call
    (ws / "c.yaml").write_text(campaign(title="Launch v2", send_at=send_at, state="ready"))
    refused(run_cli("plan", str(ws), "--detailed-exitcode"), "! refuse Campaign/launch",
            "DONE", "frozen", "Plan: 1 refused.")
    clear_journal(sandbox_server)
    refused(run_cli("apply", str(ws), "--auto-approve"), "Plan: 1 refused.")
    assert writes(sandbox_server) == []

    # removing the manifest does not delete a sent campaign either
    (ws / "c.yaml").write_text("")
    refused(run_cli("apply", str(ws), "--auto-approve"), "! refuse Campaign/launch")
    assert writes(sandbox_server) == [] and len(campaigns(sandbox_server)) == 1


def test_no_diff_after_apply_whatever_the_time_format(tmp_path, sandbox_server):
    at = future(5)
    docs = [campaign("unix", "Unix", send_at=str(int(at.timestamp())), state="scheduled"),
            campaign("tokyo", "Tokyo", segments="[7, 3, 7]", state="ready",
                     send_at=at.astimezone(timezone(timedelta(hours=9))).isoformat()),
            campaign("zulu", "Zulu", send_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"))]
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(sandbox_server.url),
                                           "c.yaml": "---\n".join(docs)})
    ok(run_cli("apply", str(ws), "--auto-approve"), "3 done")
    assert "Still differs" not in run_cli("plan", str(ws)).stderr
    ok(run_cli("plan", str(ws), "--detailed-exitcode"), "No changes.")
    assert {c["when"] for c in campaigns(sandbox_server)} == {int(at.timestamp())}


def test_a_campaign_deleted_behind_our_back_is_reported_as_drift(tmp_path, sandbox_server):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": config(sandbox_server.url),
        "c.yaml": campaign(send_at=future().isoformat(), state="scheduled")})
    ok(run_cli("apply", str(ws), "--auto-approve"), "1 done")
    [live] = campaigns(sandbox_server)
    gone = httpx.delete(f"{sandbox_server.url}/campaign/{live['id']}",
                        headers={"Authorization": f"Bearer {os.environ['TEST_SCHED_KEY']}"},
                        timeout=30)
    assert gone.status_code == 200
    ok(run_cli("plan", str(ws)), "+ create Campaign/launch", "deleted outside campaignctl",
       "state: draft > scheduled")
    ok(run_cli("apply", str(ws), "--auto-approve"), "1 done")
    [again] = campaigns(sandbox_server)
    assert again["id"] != live["id"] and again["state"] == "SCHEDULED"
    ok(run_cli("plan", str(ws)), "No changes.")


def test_import_adopts_campaigns_and_the_next_plan_is_clean(tmp_path, sandbox_server):
    at = int(future(3).timestamp())
    ids = []
    for name, extra in (("Black Friday!", "&segments[]=9&segments[]=2&state=SCHEDULED"),
                        ("Black Friday!", "")):
        r = httpx.post(f"{sandbox_server.url}/campaign", timeout=30,
                       headers={"Authorization": f"Bearer {os.environ['TEST_SCHED_KEY']}",
                                "Content-Type": "application/x-www-form-urlencoded"},
                       content=f"name={name}&domain=4&list=12&when={at}{extra}")
        assert r.status_code == 200, r.text
        ids.append(str(r.json()["id"]))
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(sandbox_server.url)})
    clear_journal(sandbox_server)
    ok(run_cli("import", "sched", "--id", ids[0], "--id", ids[1], str(ws)),
       "imported Campaign/black-friday ", "imported Campaign/black-friday-2 ")
    assert writes(sandbox_server) == []
    text = (ws / "imported-sched.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert text.count("kind: Campaign") == 2 and "state: scheduled" in text
    ok(run_cli("validate", str(ws)))
    ok(run_cli("plan", str(ws)), "No changes.")
    ok(run_cli("state", "list", str(ws)), f"Campaign/black-friday\tsched\t{ids[0]}")

    # never overwrites, never imports twice
    again = run_cli("import", "sched", "--id", ids[0], str(ws))
    assert again.returncode == 1 and "already exists" in again.stderr
    twice = run_cli("import", "sched", "--id", ids[0], str(ws), "--out", "more.yaml")
    assert twice.returncode == 1 and "already managed" in twice.stderr
    missing = run_cli("import", "sched", "--id", "999", str(ws), "--out", "more.yaml")
    assert missing.returncode == 1 and "999 does not exist" in missing.stderr
    assert not (ws / "more.yaml").exists()


def test_example_workspace_applies_then_plans_clean(tmp_path):
    ws = tmp_path / "campaigns"
    shutil.copytree(REPO / "campaigns", ws, ignore=shutil.ignore_patterns(".campaignctl", "campaignctl.lineage"))
    staging = {"CAMPAIGNCTL_ENV": "staging"}
    ok(run_cli("validate", str(ws), env=staging))
    ok(run_cli("plan", str(ws), env=staging), "+ create Campaign/winter-newsletter",
       "state: draft > scheduled")
    ok(run_cli("apply", str(ws), "--auto-approve", env=staging))
    out = ok(run_cli("plan", str(ws), env=staging))
    assert out.rstrip().endswith("No changes. The live state matches the manifests."), out


def test_a_lost_create_answer_is_never_guessed_and_import_settles_it(tmp_path, sandbox_server):
    ws = write_workspace(tmp_path / "ws", {
        "campaignctl.yaml": config(sandbox_server.url),
        "c.yaml": campaign(send_at=future().isoformat(), state="ready")})
    sandbox_server.post("/_sandbox/faults", {"rules": [
        {"path_prefix": "/campaign", "method": "POST", "kind": "lose_response", "times": 1}]})
    failed = run_cli("apply", str(ws), "--auto-approve")
    assert failed.returncode == 1
    assert "vendor dashboard" in failed.stderr and "campaignctl import sched" in failed.stderr
    [live] = campaigns(sandbox_server)
    assert live["state"] == "DRAFT"  # created but never armed: a lost DRAFT sends nothing

    clear_journal(sandbox_server)
    refused(run_cli("apply", str(ws), "--auto-approve"), "! refuse Campaign/launch",
            "outcome is unknown", "Plan: 1 refused.")
    assert writes(sandbox_server) == []

    ok(run_cli("import", "sched", "--id", str(live["id"]), str(ws)),
       f"bound Campaign/launch to id {live['id']}")
    assert not (ws / "imported-sched.yaml").exists()  # the manifest already existed
    ok(run_cli("plan", str(ws)), "> transition Campaign/launch", "state: draft > scheduled > ready")
    ok(run_cli("apply", str(ws), "--auto-approve"), "1 done")
    assert [c["state"] for c in campaigns(sandbox_server)] == ["READY"]
    ok(run_cli("plan", str(ws)), "No changes.")


def test_every_put_in_the_journal_carries_the_full_segments(tmp_path, sandbox_server):
    """The doc: a PUT without segments[] "sends to all contacts". Each PUT path (create's
    edges, a field-only update, a state-only transition up and down, a transition with
    fields) must send the campaign's segments, and the audience must never widen."""
    send_at = future(2).isoformat()
    ws = write_workspace(tmp_path / "ws", {"campaignctl.yaml": config(sandbox_server.url),
                                           "c.yaml": campaign(send_at=send_at, state="ready")})
    steps = [campaign(send_at=send_at, state="ready"),                   # POST + 2 edges
             campaign(send_at=send_at, state="ready", title="Renamed"),  # field only
             campaign(send_at=send_at, state="draft", title="Renamed"),  # state only, down
             campaign(send_at=send_at, state="scheduled", title="Again")]  # fields + edge
    for text in steps:
        (ws / "c.yaml").write_text(text)
        ok(run_cli("apply", str(ws), "--auto-approve"), "1 done")
        [live] = campaigns(sandbox_server)
        assert live["segments"] == [3, 7], live  # never widened to all contacts
    ok(run_cli("plan", str(ws), "--detailed-exitcode"), "No changes.")
    puts = [e for e in sandbox_server.get("/_sandbox/requests?method=PUT").json()
            if e["path"].startswith("/campaign/")]
    assert len(puts) == 2 + 1 + 2 + 1
    for entry in puts:
        assert [v for k, v in entry["form"] if k == "segments[]"] == ["3", "7"], entry
    assert campaigns(sandbox_server)[0]["state"] == "SCHEDULED"
