"""Plans built directly from Action objects, for the renderer tests."""

from __future__ import annotations

from reconciler.engine.actions import Action, FieldChange, SendSummary, SetChange
from reconciler.engine.plan import Plan

FINGERPRINT = "f" * 64
DIGEST = "d" * 64


def every_kind_plan(targets: list[str] | None = None) -> Plan:
    """One action of every op, with field, set, state-path and send details."""
    actions = [
        Action("create", "Sender", "newsletter", "mail", "not in the account",
               changes=[FieldChange("email", None, "news@acme.example",
                                    vendor={"field": "email", "before": None,
                                            "after": "news@acme.example"})]),
        Action("update", "ContactGroup", "vip", "mail", "differs from the manifest",
               changes=[FieldChange("title", "VIP", "VIP customers",
                                    vendor={"field": "tag", "before": "VIP",
                                            "after": "VIP customers"})],
               sets=[SetChange("contacts", add=3, remove=1, update=2, total_after=40,
                               note="bulk update + bulk delete")],
               origin="outside"),
        Action("update", "OptOutList", "unsubscribed", "mail",
               "opt-outs to record and explicit opt-ins", irreversible=True,
               sets=[SetChange("opt-outs", add=2, remove=1, kept_live=7, total_after=9,
                               irreversible=True,
                               note="7 opt-outs recorded live are not in the manifest and stay")]),
        Action("replace", "Campaign", "spring-sale", "mail",
               "send_at cannot be changed in place (cancel + create; the cancel is final)",
               irreversible=True,
               changes=[FieldChange(
                   "send_at", "2027-03-20 09:00 America/New_York (-04:00), 13:00 UTC",
                   "2027-03-21 09:00 America/New_York (-04:00), 13:00 UTC", True,
                   vendor={"field": "start_date", "before": "2027-03-20 09:00 EST5EDT",
                           "after": "2027-03-21 09:00 EST5EDT"})]),
        Action("delete", "Message", "old-promo", "mail", "no longer in the manifests"),
        Action("delete", "Campaign", "autumn", "mail",
               "no longer in the manifests; campaigns cannot be deleted, so it is cancelled, "
               "for good (it is scheduled to send)", irreversible=True, cancels_send=True),
        Action("transition", "Campaign", "winter", "sched", "desired state is SCHEDULED",
               path=["DRAFT", "SCHEDULED"],
               data={"manifest_send_at": "2030-01-15T09:00:00+01:00"}),
        Action("send", "Campaign", "flash-sms", "sms", "not sent yet", irreversible=True,
               send=SendSummary(recipients=1200, batches=3, send_at="2027-04-01T10:00:00+02:00",
                                timezone="Europe/Paris", suppressed=15,
                                estimated_messages=2400, estimated_cost=96.0, currency="EUR",
                                estimate_basis="local estimate: 2 segments x 1200 recipients "
                                               "x 0.04 EUR (FR)"),
               content={"channel": "sms", "sender": "ACME", "segments": 2, "encoding": "GSM-7",
                        "text": "Hi {first_name}, flash sale today only: 30% off. STOP 36111",
                        "sample": "Hi <first_name>, flash sale today only: 30% off. STOP 36111"},
               data={"batches": 3}),
        Action("refuse", "Campaign", "launched", "mail",
               "campaign is completed: a launched campaign is frozen; make a new campaign instead"),
        Action("adopt", "Sender", "support", "mail", "found live as id 65a1; binding it"),
        Action("warn", "Campaign", "whatsapp-promo", "whatsapp",
               "connectly cannot schedule; the send happens at apply time"),
    ]
    return Plan(actions=actions, live_fingerprint=FINGERPRINT, workspace_digest=DIGEST,
                created_at="2027-01-01T00:00:00+00:00", targets=targets or [],
                accounts={"mail": "email-campaigns", "sched": "scheduled-campaigns",
                          "sms": "octopush", "whatsapp": "connectly"})


def big_plan(n: int = 2000) -> Plan:
    actions = [Action("create", "Campaign", f"campaign-{i:04d}", "mail", "not in the account",
                      changes=[FieldChange("title", None, f"Campaign number {i}"),
                               FieldChange("send_at", None, "2030-01-01 09:00 America/New_York "
                                                            "(-05:00), 14:00 UTC"),
                               FieldChange("state", None, "active")])
               for i in range(n)]
    return Plan(actions=actions, live_fingerprint=FINGERPRINT, workspace_digest=DIGEST,
                created_at="2027-01-01T00:00:00+00:00")
