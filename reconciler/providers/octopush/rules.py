"""What an octopush account can express (validate time, before any call)."""

from __future__ import annotations

from reconciler.contacts import PERSONAL_FIELDS
from reconciler.errors import Diagnostic
from reconciler.kinds.vendor_blocks import vendor_block
from reconciler.workspace import Resource, Workspace


def check(r: Resource, ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def err(loc: tuple, msg: str) -> None:
        out.append(Diagnostic(r.locate(*loc), f"{r.address}: {msg}"))

    if r.kind == "Campaign":
        _campaign(r, ws, err)
    return out


def _campaign(r: Resource, ws: Workspace, err) -> None:
    spec = r.spec
    for name in spec.variables:
        if name not in PERSONAL_FIELDS:
            err(("variables", name), f"octopush takes no variable {name!r}: `variables` "
                                     "may fill each recipient's first_name, last_name, "
                                     "param1..param5")
    options = vendor_block(spec, "octopush")
    if options is None:
        err((), "an octopush campaign needs an `octopush:` block with `purpose: alert` "
                "(transactional) or `purpose: wholesale` (marketing). It is required because "
                "the vendor defaults to marketing, and marketing sent as an alert breaks its "
                "terms")
    if not spec.message:
        err((), "an octopush campaign needs a `message`")
        return
    message = ws.get("Message", spec.message)
    if message is None:
        return  # reported by the reference check
    sender = ws.get("Sender", spec.sender) if spec.sender else None
    if not spec.contact_groups:
        err(("contact_groups",) if spec.contact_groups is not None else (),
            "an octopush campaign needs at least one contact group")
    if spec.send_at is None:
        err((), "an octopush campaign needs `send_at`: a time with its UTC offset, or `now`")
    channel = message.spec.channel
    if options is not None:
        wrong = options.fields_not_for(channel)
        if wrong:
            err(("octopush",), f"option(s) {', '.join(wrong)} do not apply to {channel} "
                               "campaigns")
    if channel == "sms":
        text = message.spec.text or ""
        if options is not None and options.purpose == "wholesale" and "STOP" not in text:
            err(("message",), f"marketing SMS (purpose: wholesale) must mention STOP (an "
                              f"opt-out instruction such as 'STOP au 36111'); Message "
                              f"{spec.message!r} does not, and the vendor rejects it "
                              "(code 121)")
        if sender is not None:
            if not sender.spec.sms_id:
                err(("sender",), f"Sender {spec.sender!r} has no `sms_id`: an SMS sender is "
                                 "3 to 11 letters or digits")
            elif options is not None and options.type == "sms_low_cost":
                err(("sender",), "sms_low_cost SMS cannot use a custom sender; use "
                                 "type sms_premium or remove `sender`")
    else:
        if sender is None:
            err(("sender",) if spec.sender else (),
                "an octopush email campaign needs a `sender` with an `email` (email_from)")
        elif not sender.spec.email:
            err(("sender",), f"Sender {spec.sender!r} has no `email` (the email_from address)")
        elif not (sender.spec.name or sender.spec.description):
            err(("sender",), f"Sender {spec.sender!r} needs a `name` (or `description`): "
                             "octopush sends it as name_from")
        if not message.spec.subject:
            err(("message",), "an octopush email needs a subject")
