"""scheduled-campaigns' conformance fixture (reconciler/testing/conformance.py): a draft
campaign created, retitled, deleted; what the account holds, from the sandbox's listing
(the API itself has none)."""

from __future__ import annotations

from reconciler.testing.fixtures import ConformanceFixture

CAMPAIGN = """
kind: Campaign
name: launch
provider: acct
spec:
  title: {title}
  send_at: "{{when}}"
  state: draft
  scheduled-campaigns: {{list: 12, segments: [3], domain: 4}}
"""


def campaigns(server, fixture: ConformanceFixture) -> list[tuple[str, str]]:
    listed = server.get("/_sandbox/scheduled-campaigns/campaigns").json()["campaigns"]
    return sorted((c["name"], c["state"]) for c in listed)


def fixture() -> ConformanceFixture:
    return ConformanceFixture(
        "scheduled-campaigns", {"api_key": "conf-k3y-sched"}, ("POST", "/campaign"),
        steps={"create": {"m.yaml": CAMPAIGN.format(title="Launch")},
               "update": {"m.yaml": CAMPAIGN.format(title="Relaunch")},
               "delete": {}},
        held=campaigns, read=("GET", "/campaign/"),
        expected={"create": [("Launch", "DRAFT")], "update": [("Relaunch", "DRAFT")],
                  "delete": []})
