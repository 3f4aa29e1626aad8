"""What a connectly account can express (validate time, before any call)."""

from __future__ import annotations

from reconciler.errors import Diagnostic
from reconciler.kinds.vendor_blocks import vendor_block
from reconciler.workspace import Resource, Workspace


def check(r: Resource, ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []

    def err(loc: tuple, msg: str) -> None:
        out.append(Diagnostic(r.locate(*loc), f"{r.address}: {msg}"))

    if r.kind != "Campaign":
        return out
    spec = r.spec
    if vendor_block(spec, "connectly") is None:
        err((), "a connectly campaign needs a `connectly:` block with `campaign_version` (the "
                "version of the Connectly campaign to send: part of what identifies the "
                "content, so a sent version is never changed silently)")
    if not spec.sender:
        err((), "a connectly campaign needs a `sender` with a `phone` (E.164)")
    else:
        sender = ws.get("Sender", spec.sender)
        if sender is not None:
            if not sender.spec.phone:
                err(("sender",), f"Sender {spec.sender!r} has no `phone`: Connectly sends "
                                 "from a phone number (E.164)")
    if spec.message:
        err(("message",), "a connectly campaign has no `message`: the content is the "
                          "Connectly campaign (name and campaign_version)")
    if not spec.contact_groups:
        err((), "a connectly campaign needs at least one contact group")
    if spec.send_at is None:
        err((), "a connectly campaign needs `send_at`: a time with its UTC offset, or `now`")
    return out
