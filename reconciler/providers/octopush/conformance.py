"""octopush's conformance fixture (reconciler/testing/conformance.py): an SMS campaign
sent to 2 people, then to a third added to its group; removing one sends nothing (what was
sent stays sent)."""

from __future__ import annotations

from reconciler.testing.fixtures import (
    NOTHING_DELIVERED,
    SEND_AT,
    ConformanceFixture,
    phones,
    sandbox_deliveries,
)

SMS = """
kind: Sender
name: acme
provider: acct
spec: {sms_id: ACME}
---
kind: Message
name: promo
provider: acct
spec: {channel: sms, text: "Acme: 20% off this weekend. STOP au 36111"}
---
kind: ContactGroup
name: people
provider: acct
spec: {file: people.csv}
---
kind: Campaign
name: promo
provider: acct
spec:
  message: promo
  sender: acme
  contact_groups: [people]
  send_at: "SEND_AT"
  timezone: Europe/Paris
  octopush: {purpose: wholesale}
""".replace("SEND_AT", SEND_AT)


def fixture() -> ConformanceFixture:
    return ConformanceFixture(
        "octopush", {"api_login": "conf-login", "api_key": "conf-k3y-octo"},
        ("POST", "/v1/public/sms-campaign/send"),
        steps={"create": {"m.yaml": SMS, "people.csv": phones(2)},
               "update": {"m.yaml": SMS, "people.csv": phones(3)},
               "delete": {"m.yaml": SMS, "people.csv": phones(2)}},
        held=sandbox_deliveries("octopush"), no_change=("delete",),
        settings={"sms_prices": {"default": 0.05}}, empty=NOTHING_DELIVERED,
        identities=("api_login",),
        expected={"create": {"delivered": 2, "people": 2},
                  "update": {"delivered": 3, "people": 3},
                  "delete": {"delivered": 3, "people": 3}})
