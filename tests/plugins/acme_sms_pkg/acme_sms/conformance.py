"""Acme SMS's fixture for campaignctl's packaged conformance suite."""

from reconciler.testing.fixtures import (
    NOTHING_DELIVERED,
    SEND_AT,
    ConformanceFixture,
    phones,
    sandbox_deliveries,
)

MANIFESTS = """
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
""".replace("SEND_AT", SEND_AT)


def fixture():
    return ConformanceFixture(
        "acme-sms", {"api_key": "conf-k3y-acme"}, ("POST", "/acme/v1/messages"),
        steps={"create": {"m.yaml": MANIFESTS, "people.csv": phones(2)},
               "update": {"m.yaml": MANIFESTS, "people.csv": phones(3)},
               "delete": {"m.yaml": MANIFESTS, "people.csv": phones(2)}},
        held=sandbox_deliveries("acme-sms"), no_change=("delete",), empty=NOTHING_DELIVERED,
        expected={"create": {"delivered": 2, "people": 2},
                  "update": {"delivered": 3, "people": 3},
                  "delete": {"delivered": 3, "people": 3}})
