"""One conformance fixture per vendor: its account, the manifests of each step, the call
that creates (or sends) and what the vendor holds, read from the sandbox.

A new vendor passes the conformance suite by adding one `Vendor(...)` here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

#: the steps every vendor goes through: create, update, and delete or its equivalent
STEPS = ("create", "update", "delete")
SEND_AT = "2031-01-07T10:00:00+01:00"  # a Tuesday morning in Paris: inside send windows


@dataclass
class Vendor:
    type: str
    credentials: dict[str, str]
    #: (method, path prefix) of the call that creates the first object or sends
    write: tuple[str, str]
    #: step -> manifests (the files of the workspace beside campaignctl.yaml)
    steps: dict[str, dict[str, str]]
    #: what the vendor holds, in a form to compare: held(server, vendor)
    held: Callable[[Any, Vendor], Any]
    #: step -> held() once that step is applied
    expected: dict[str, Any]
    #: a read the plan makes (None: send-only, the plan reads our own ledger)
    read: tuple[str, str] | None = None
    #: steps whose plan has nothing to do (a send-only vendor cannot unsend)
    no_change: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    def config(self, url: str) -> str:
        """campaignctl.yaml: the credentials come from the environment (env_of)."""
        creds = {k: f"${{{env_name(k)}}}" for k in self.credentials}
        body = {"type": self.type, "base_url": url, **creds, **self.settings}
        inline = ", ".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}"
                           for k, v in body.items())
        return f"providers:\n  acct: {{{inline}}}\n"


def env_name(credential: str) -> str:
    return f"CONFORMANCE_{credential.upper()}"


def env_of(credentials: dict[str, str]) -> dict[str, str]:
    return {env_name(k): v for k, v in credentials.items()}


def _auth_get(server, vendor: Vendor, path: str) -> Any:
    response = httpx.get(server.url + path, timeout=30, headers={
        "Authorization": f"Token {vendor.credentials['token']}"})
    response.raise_for_status()
    return response.json()


def _senders(server, vendor: Vendor) -> list[tuple[str, str]]:
    return sorted((s["description"], s["email"])
                  for s in _auth_get(server, vendor, "/email/senderid/"))


def _scheduled(server, vendor: Vendor) -> list[tuple[str, str]]:
    listed = server.get("/_sandbox/scheduled-campaigns/campaigns").json()["campaigns"]
    return sorted((c["name"], c["state"]) for c in listed)


def _delivered(name: str) -> Callable[[Any, Vendor], dict[str, int]]:
    def held(server, vendor: Vendor) -> dict[str, int]:
        summary = server.get(f"/_sandbox/{name}/deliveries").json()
        return {"delivered": summary["total"], "people": summary["distinct_recipients"]}
    return held


def future(days: int = 20) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def _phones(n: int) -> str:
    return "phone,first_name\n" + "".join(f"+3361234{i:04d},P{i}\n" for i in range(n))


SENDER = """
kind: Sender
name: news
provider: acct
spec: {{description: {description}, email: news@acme.example}}
"""

SCHEDULED = """
kind: Campaign
name: launch
provider: acct
spec:
  title: {title}
  send_at: "{when}"
  state: draft
  scheduled-campaigns: {{list: 12, segments: [3], domain: 4}}
"""

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


VENDORS = {v.type: v for v in (
    Vendor(
        "email-campaigns", {"token": "conf-t0ken-mail"}, ("POST", "/email/senderid/"),
        steps={"create": {"m.yaml": SENDER.format(description="News")},
               "update": {"m.yaml": SENDER.format(description="Newsletter")},
               "delete": {}},
        held=_senders, read=("GET", "/email/senderid/"),
        expected={"create": [("News", "news@acme.example")],
                  "update": [("Newsletter", "news@acme.example")], "delete": []}),
    Vendor(
        "scheduled-campaigns", {"api_key": "conf-k3y-sched"}, ("POST", "/campaign"),
        steps={"create": {"m.yaml": SCHEDULED.format(title="Launch", when="{when}")},
               "update": {"m.yaml": SCHEDULED.format(title="Relaunch", when="{when}")},
               "delete": {}},
        held=_scheduled, read=("GET", "/campaign/"),
        expected={"create": [("Launch", "DRAFT")], "update": [("Relaunch", "DRAFT")],
                  "delete": []}),
    # Send-only vendors: "update" adds a recipient (only they get it), "delete" removes
    # one (what was sent stays sent: nothing is called).
    Vendor(
        "octopush", {"api_login": "conf-login", "api_key": "conf-k3y-octo"},
        ("POST", "/v1/public/sms-campaign/send"),
        steps={"create": {"m.yaml": SMS, "people.csv": _phones(2)},
               "update": {"m.yaml": SMS, "people.csv": _phones(3)},
               "delete": {"m.yaml": SMS, "people.csv": _phones(2)}},
        held=_delivered("octopush"), no_change=("delete",), settings={"sms_prices": {"default": 0.05}},
        expected={"create": {"delivered": 2, "people": 2},
                  "update": {"delivered": 3, "people": 3},
                  "delete": {"delivered": 3, "people": 3}}),
    Vendor(
        "connectly", {"business_id": "conf-biz", "api_key": "conf-k3y-wa"},
        ("POST", "/v1/businesses/"),
        steps={"create": {"m.yaml": WHATSAPP, "people.csv": _phones(2)},
               "update": {"m.yaml": WHATSAPP, "people.csv": _phones(3)},
               "delete": {"m.yaml": WHATSAPP, "people.csv": _phones(2)}},
        held=_delivered("connectly"), no_change=("delete",),
        expected={"create": {"delivered": 2, "people": 2},
                  "update": {"delivered": 3, "people": 3},
                  "delete": {"delivered": 3, "people": 3}}),
)}
