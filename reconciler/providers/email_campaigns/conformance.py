"""email-campaigns' conformance fixture (reconciler/testing/conformance.py): a Sender
created, renamed, deleted; what the account holds, read from its own API."""

from __future__ import annotations

import httpx

from reconciler.testing.fixtures import ConformanceFixture

SENDER = """
kind: Sender
name: news
provider: acct
spec: {{description: {description}, email: news@acme.example}}
"""


def senders(server, fixture: ConformanceFixture) -> list[tuple[str, str]]:
    response = httpx.get(server.url + "/email/senderid/", timeout=30, headers={
        "Authorization": f"Token {fixture.credentials['token']}"})
    response.raise_for_status()
    return sorted((s["description"], s["email"]) for s in response.json())


def fixture() -> ConformanceFixture:
    return ConformanceFixture(
        "email-campaigns", {"token": "conf-t0ken-mail"}, ("POST", "/email/senderid/"),
        steps={"create": {"m.yaml": SENDER.format(description="News")},
               "update": {"m.yaml": SENDER.format(description="Newsletter")},
               "delete": {}},
        held=senders, read=("GET", "/email/senderid/"),
        expected={"create": [("News", "news@acme.example")],
                  "update": [("Newsletter", "news@acme.example")], "delete": []})
