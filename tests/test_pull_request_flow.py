"""From pull request to merge on an ordinary day, over real HTTP, with four fresh checkouts
of the campaign repository sharing one PostgreSQL state:

1. a branch adds a campaign; `plan -o plan.json` is reviewed;
2. the merge commit also holds another change that grew the group: the saved plan refuses,
   saying field by field what apply would now do differently;
3. someone unsubscribes live and someone renames an unrelated group in the dashboard; the
   reviewed commit's apply proceeds, creates the campaign for the smaller audience, says so,
   and leaves the unrelated drift alone;
4. the nightly drift check: only live drift is left, `plan --detailed-exitcode` exits 2 and
   labels it as changed outside campaignctl.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_IDS,
    EXAMPLE_SECRETS,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
)

from reconciler.providers.email_campaigns.client import oid

TOKEN = "mail-token-pr-flow"

SUMMER_SALE = """
kind: Campaign
name: summer-sale
provider: mail
spec:
  title: Summer sale 2027
  message: spring-sale-email
  sender: newsletter
  contact_groups: [newsletter-subscribers]
  opt_out_lists: [unsubscribed]
  send_at: 2027-06-01T09:00:00-04:00
  timezone: America/New_York
"""


def checkout(tmp_path: Path, name: str, vendor_url: str, *, branch: bool = False,
             grown: bool = False) -> Path:
    """A fresh clone: the example workspace on PostgreSQL, the vendors on the sandbox."""
    ws = example_on_real_accounts(tmp_path / name / "campaigns", vendor_url, postgres=True)
    if branch:
        (ws / "summer.yaml").write_text(SUMMER_SALE.lstrip())
    if grown:
        csv = ws / "subscribers.csv"
        csv.write_text(csv.read_text() + "fay@example.com,Fay,Wong\n")
    return ws


def api(server, method: str, path: str, **kw) -> httpx.Response:
    response = httpx.request(method, server.url + path, timeout=30,
                             headers={"Authorization": f"Token {TOKEN}"}, **kw)
    assert response.status_code < 300, response.text
    return response


def test_reviewed_plan_survives_a_normal_day(tmp_path, sandbox_server, postgres_dsn):
    env = {**dict.fromkeys(EXAMPLE_SECRETS, TOKEN), **EXAMPLE_IDS, "CAMPAIGNCTL_STATE_DSN": postgres_dsn,
           "CAMPAIGNCTL_ENV": EXAMPLE_ENV}

    def cli(*args: str):
        r = run_cli(*args, env=env)
        assert "Traceback" not in r.stderr, r.stderr
        return r

    # main is applied; the pull request adds Campaign/summer-sale and saves its plan.
    main = checkout(tmp_path, "checkout-1", sandbox_server.url)
    sandbox_accounts(main, env, EXAMPLE_ENV)
    assert cli("apply", str(main), "--auto-approve").returncode == 0
    branch = checkout(tmp_path, "checkout-1b", sandbox_server.url, branch=True)
    plan_file = tmp_path / "plan.json"
    r = cli("plan", str(branch), "-o", str(plan_file), "--detailed-exitcode")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "+ create Campaign/summer-sale (mail) [changed in the manifests]" in r.stdout
    reviewed = json.loads(plan_file.read_text())
    [create] = [a for a in reviewed["actions"] if a["address"] == "Campaign/summer-sale"]
    assert create["send"]["recipients"] == 5 and create["origin"] == "manifests"

    # The merge commit holds another change too: a new subscriber. Refused, with the diff.
    merged = checkout(tmp_path, "checkout-2", sandbox_server.url, branch=True, grown=True)
    r = cli("apply", str(plan_file), "--workspace", str(merged))
    assert r.returncode == 1
    assert "Campaign/summer-sale: recipients 5 -> 6 (group grew)" in r.stderr, r.stderr
    assert "nothing was changed" in r.stderr
    campaigns = api(sandbox_server, "GET", "/email/campaign/").json()
    assert "Summer sale 2027" not in {c["name"] for c in campaigns}

    # An ordinary day: bob unsubscribes, someone renames the VIP group in the dashboard.
    api(sandbox_server, "POST", "/email/optout/", json={"email": "bob@example.com"})
    vip = next(g for g in api(sandbox_server, "GET", "/email/contact/").json()
               if g["tag"] == "VIP customers")
    api(sandbox_server, "PUT", f"/email/contact/?_id={oid(vip)}",
        json={"tag": "VIP (renamed in the dashboard)"})

    # Apply of the reviewed commit: proceeds, to the smaller audience, and says so.
    reviewed_commit = checkout(tmp_path, "checkout-3", sandbox_server.url, branch=True)
    r = cli("apply", str(plan_file), "--workspace", str(reviewed_commit))
    assert r.returncode == 0, r.stdout + r.stderr
    assert ("Note: Campaign/summer-sale: sending to 4 recipients, not the reviewed 5: "
            "1 opted out since the plan was saved") in r.stdout
    assert "Note: ContactGroup/vip: changed outside campaignctl since the plan was saved" \
        in r.stdout and "left alone" in r.stdout
    assert "1 done, 0 failed, 0 skipped" in r.stdout
    campaigns = api(sandbox_server, "GET", "/email/campaign/").json()
    summer = next(c for c in campaigns if c["name"] == "Summer sale 2027")
    groups = api(sandbox_server, "GET", "/email/contact/").json()
    assert "VIP (renamed in the dashboard)" in {g["tag"] for g in groups}  # left alone
    # The nightly drift check on a fourth checkout: only live drift is left.
    nightly = checkout(tmp_path, "checkout-4", sandbox_server.url, branch=True)
    r = cli("plan", str(nightly), "--detailed-exitcode")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "~ update ContactGroup/vip (mail) [changed outside campaignctl]" in r.stdout
    assert "Changed outside campaignctl (drift, reverted by this plan): ContactGroup/vip" \
        in r.stdout
    r = cli("plan", str(nightly), "--detailed-exitcode", "--format", "json")
    assert r.returncode == 2
    doc = json.loads(r.stdout)
    changes = [a for a in doc["actions"] if a["op"] not in ("warn", "refuse")]
    assert [(a["address"], a["origin"]) for a in changes] == [("ContactGroup/vip", "outside")]
    assert doc["summary"]["drift"] == 1
    r = cli("plan", str(nightly), "--format", "markdown")
    assert "changed outside campaignctl" in r.stdout

    # The vendor sends at the start time: to the four still subscribed, bob suppressed.
    now = sandbox_server.get("/_sandbox/clock").json()["timestamp"]
    start = datetime.fromisoformat("2027-06-01T13:00:00+00:00").timestamp()
    sandbox_server.post("/_sandbox/clock", {"advance_seconds": start - now + 3600})
    results = api(sandbox_server, "GET", "/email/result/filter/", params={
        "start_date": "2027-06-01", "end_date": "2027-06-02",
        "campaign_id": oid(summer)}).json()
    delivered = sorted(x["email_to"] for x in results if x["disposition"] == "delivered")
    assert delivered == ["ann@example.com", "cleo@example.com", "dan@example.com",
                         "eve@example.com"]
