"""The validate step of the pack's email rules (policy/email.py holds the rules' data and
text checks): each marketing email Campaign's message, as written and rendered."""

from __future__ import annotations

from reconciler.errors import Diagnostic
from reconciler.policy.campaign import SKIPPED_STATES, campaign_channel, campaign_purpose
from reconciler.policy.email import has_address, has_unsubscribe
from reconciler.vendors import installed


def check_email_rules(ws, r) -> list:
    """validate: a marketing email Campaign's message against the pack's content rules
    not waived. A vendor template the workspace names but cannot read is a warning; a
    campaign whose content the vendor holds (no Message: scheduled-campaigns) is not
    checked (the README says so)."""
    if r.kind != "Campaign" or r.spec.state in SKIPPED_STATES:
        return []
    policy = ws.config.send_policy
    purpose = campaign_purpose(r)
    rules = [x for x in policy.email_rules if purpose in x.purposes]
    account = ws.config.accounts.get(r.provider)
    if not rules or account is None or campaign_channel(ws, r) != "email":
        return []
    vendor = installed().get(account.type)
    message = ws.get("Message", r.spec.message) if r.spec.message else None
    names = ", ".join(x.name for x in rules)
    if message is None:
        return []  # the vendor holds the content (scheduled-campaigns): nothing to read
    if not message.spec.body:
        return [Diagnostic(r.locate("message"), (
            f"{r.address}: {message.address} is the vendor template "
            f"{message.spec.template!r}, so the email rules ({names}) cannot be checked "
            "here: check them in the template"), severity="warning")]
    body, fmt = message.spec.body, message.spec.body_format
    out = []
    for rule in rules:
        problem = None
        if rule.requires == "unsubscribe":
            if vendor is not None and vendor.adds_unsubscribe:
                continue
            marks = vendor.unsubscribe_placeholders if vendor else ()
            if not has_unsubscribe(body, fmt, marks):
                also = (" or the vendor's unsubscribe placeholder ("
                        + ", ".join(marks) + ")") if marks else ""
                problem = (f"holds no unsubscribe link{also}: a link whose address or text "
                           "says unsubscribe (or opt out), or a URL next to those words")
        else:
            address = policy.email.address_for(r.provider)
            if address is None:
                problem = (f"must show the sender's postal address, and none is configured "
                           f"for account {r.provider!r}: set `policy: email: postal_address:` "
                           "in campaignctl.yaml (or per account under `accounts:`)")
            elif not has_address(body, fmt, address):
                problem = (f"does not show the postal address configured for account "
                           f"{r.provider!r} ({address!r})")
        if problem:
            out.append(Diagnostic(r.locate("message"), (
                f"{r.address}: rule {rule.name}: the marketing email {message.address} "
                f"{problem}; source: {rule.citation}. To send it anyway, waive "
                f"`{rule.name}` by name with a reason under `policy: waive:`")))
    return out
