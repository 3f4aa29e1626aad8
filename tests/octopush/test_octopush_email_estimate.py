"""An Octopush email send is priced when the account gives `email_price`: the plan's
estimate is what the vendor (the sandbox) bills, per recipient; without it, a count only."""

from __future__ import annotations

from conftest import EMAIL_FOOTER, EMAIL_POLICY, write_workspace

from reconciler import api


def workspace(root, settings: str = ""):
    emails = ", ".join(f"{{email: 'user{i}@example.com'}}" for i in range(7))
    return write_workspace(root, {
        "campaignctl.yaml": f"""
            providers:
              mail:
                type: octopush
                base_url: sandbox
                {settings}
            {EMAIL_POLICY}""",
        "m.yaml": f"""
            kind: Sender
            name: news
            provider: mail
            spec: {{email: news@acme.example, name: Acme}}
            ---
            kind: Message
            name: promo
            provider: mail
            spec: {{channel: email, subject: Spring sale, body: "20% off everything. {EMAIL_FOOTER}"}}
            ---
            kind: ContactGroup
            name: customers
            provider: mail
            spec: {{contacts: [{emails}]}}
            ---
            kind: Campaign
            name: promo
            provider: mail
            spec:
              message: promo
              sender: news
              contact_groups: [customers]
              send_at: "2031-01-07T09:00:00+01:00"
              timezone: Europe/Paris
              octopush: {{purpose: wholesale}}
            """,
    })


def test_email_price_estimates_what_the_vendor_bills(tmp_path):
    ws = workspace(tmp_path / "ws", "email_price: 0.002")
    (send,) = [a for a in api.plan(ws).plan.actions if a.op == "send"]
    s = send.send
    assert (s.estimated_messages, s.estimated_cost, s.currency) == (7, 0.014, "EUR")
    assert s.estimate_basis == "local estimate: 1 email x 7 recipients x 0.002 EUR"
    assert api.apply(ws).result.ok
    (status,) = api.status(ws)
    assert (status.cost, status.currency) == (0.014, "EUR")


def test_no_email_price_counts_messages_only(tmp_path):
    ws = workspace(tmp_path / "ws")
    (send,) = [a for a in api.plan(ws).plan.actions if a.op == "send"]
    assert (send.send.estimated_messages, send.send.estimated_cost) == (7, None)
