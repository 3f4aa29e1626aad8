"""A local-time campaign end to end: the real CLI against the sandbox over real HTTP. Each
recipient zone is one wave, sent with its own send_at (Octopush) / scheduledAt
(Connectly) at the same wall-clock time; a second apply sends nothing."""

import httpx
from conftest import run_cli, sandbox_accounts, write_workspace

SMS_PATH = "/v1/public/sms-campaign/send"
WA_PATH = "/v1/businesses/acme/send/campaigns"
# Four zones: Paris, New York, Chicago (Oklahoma), Los Angeles; 2031-01-07 is a Tuesday.
PEOPLE = ["+33612345678", "+33698765432", "+12125550123", "+14055550123", "+12135550123",
          "+14155550123"]
EXPECTED = {"2031-01-07T10:30:00+01:00", "2031-01-07T10:30:00-05:00",
            "2031-01-07T10:30:00-06:00", "2031-01-07T10:30:00-08:00"}


def workspace(root, url):
    csv = "phone,first_name\n" + "".join(f"{p},P{i}\n" for i, p in enumerate(PEOPLE))
    write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              sms: {{type: octopush, base_url: {url}, api_login: "${{TEST_LOGIN}}", api_key: "${{TEST_KEY}}"}}
              wa: {{type: connectly, base_url: {url}, business_id: "${{TEST_BUSINESS}}", api_key: "${{TEST_KEY}}"}}
            """,
        "sms.yaml": """
            kind: Message
            name: promo
            provider: sms
            spec: {channel: sms, text: "Promo -20%. STOP au 36111"}
            ---
            kind: ContactGroup
            name: people
            provider: sms
            spec: {file: people.csv}
            ---
            kind: Campaign
            name: promo
            provider: sms
            spec:
              message: promo
              contact_groups: [people]
              send_at: {local: "10:30", date: 2031-01-07}
              octopush: {purpose: wholesale}
            """,
        "wa.yaml": """
            kind: Sender
            name: num
            provider: wa
            spec: {phone: "+14155550100"}
            ---
            kind: ContactGroup
            name: wa-people
            provider: wa
            spec: {file: people.csv}
            ---
            kind: Campaign
            name: launch
            provider: wa
            spec:
              sender: num
              contact_groups: [wa-people]
              send_at: {local: "10:30", date: 2031-01-07}
              connectly: {campaign_version: "1"}
            """,
        "people.csv": csv,
    })
    return sandbox_accounts(root)


def test_four_zones_make_four_waves_each_at_the_local_wall_time(tmp_path, sandbox_server):
    ws = workspace(tmp_path / "ws", sandbox_server.url)
    assert run_cli("validate", str(ws)).returncode == 0
    plan = run_cli("plan", str(ws))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    out = plan.stdout
    for zone, utc in [("Europe/Paris", "2031-01-07T09:30Z"),
                      ("America/New_York", "2031-01-07T15:30Z"),
                      ("America/Chicago", "2031-01-07T16:30Z"),
                      ("America/Los_Angeles", "2031-01-07T18:30Z")]:
        assert f"wave {zone}: 2031-01-07 10:30 local = {utc}" in out
    assert "recipients by zone: America/Chicago 1, America/Los_Angeles 2, " \
           "America/New_York 1, Europe/Paris 2" in out
    assert "+3361" not in out and "+1212" not in out  # counts, never numbers
    assert "Send windows: policy pack" in out

    httpx.delete(sandbox_server.url + "/_sandbox/requests")
    applied = run_cli("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    for path in (SMS_PATH, WA_PATH):
        sends = sandbox_server.get(f"/_sandbox/requests?method=POST&path_prefix={path}").json()
        assert len(sends) == 4 and all(e["status"] == 200 for e in sends)
        assert all(len(e["schedule"]) == 1 for e in sends)  # one time per request
        assert {e["schedule"][0] for e in sends} == EXPECTED
    delivered = sandbox_server.get("/_sandbox/octopush/deliveries").json()
    assert delivered["total"] == delivered["distinct_recipients"] == len(PEOPLE)

    httpx.delete(sandbox_server.url + "/_sandbox/requests")
    again = run_cli("apply", str(ws), "--auto-approve")
    assert again.returncode == 0, again.stdout + again.stderr
    assert sandbox_server.get("/_sandbox/requests?method=POST").json() == []
    plan = run_cli("plan", str(ws), "--detailed-exitcode")
    assert plan.returncode == 0 and "No changes" in plan.stdout
