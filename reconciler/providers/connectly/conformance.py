"""connectly's conformance fixture (reconciler/testing/conformance.py): a WhatsApp
campaign sent to 2 people, then to a third added to its group; removing one sends nothing
(what was sent stays sent)."""

from __future__ import annotations

from reconciler.testing.fixtures import (
    NOTHING_DELIVERED,
    SEND_AT,
    ConformanceFixture,
    phones,
    sandbox_deliveries,
)

WHATSAPP = """
kind: Sender
name: num
provider: acct
spec: {phone: "+14155550100"}
---
kind: ContactGroup
name: people
provider: acct
spec: {file: people.csv}
---
kind: Campaign
name: launch
provider: acct
spec:
  sender: num
  contact_groups: [people]
  send_at: "SEND_AT"
  timezone: Europe/Paris
  connectly: {campaign_version: "1"}
""".replace("SEND_AT", SEND_AT)


def fixture() -> ConformanceFixture:
    return ConformanceFixture(
        "connectly", {"business_id": "conf-biz", "api_key": "conf-k3y-wa"},
        ("POST", "/v1/businesses/"),
        steps={"create": {"m.yaml": WHATSAPP, "people.csv": phones(2)},
               "update": {"m.yaml": WHATSAPP, "people.csv": phones(3)},
               "delete": {"m.yaml": WHATSAPP, "people.csv": phones(2)}},
        held=sandbox_deliveries("connectly"), no_change=("delete",), empty=NOTHING_DELIVERED,
        identities=("business_id",),
        expected={"create": {"delivered": 2, "people": 2},
                  "update": {"delivered": 3, "people": 3},
                  "delete": {"delivered": 3, "people": 3}})
