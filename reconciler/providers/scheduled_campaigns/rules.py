"""What a scheduled-campaigns account can express (validate time, no API calls).

The vendor holds campaigns only: a list, optional segments of it, a bounce domain, a send
time and a state. Messages, senders, contact groups and opt-out lists live in the vendor's
own dashboard and are referenced by numeric ids in the `scheduled-campaigns:` block.
"""

from __future__ import annotations

from reconciler.errors import Diagnostic
from reconciler.workspace import Resource, Workspace

VENDOR = "scheduled-campaigns"
STATES = ("draft", "scheduled", "ready")
NOT_APPLICABLE = {
    "message": "the message is set up in the vendor's dashboard",
    "sender": "the sender is set up in the vendor's dashboard",
    "contact_groups": "target a vendor list with `scheduled-campaigns: {list: ID}` "
                      "(and `segments: [ID, ...]`)",
    "opt_out_lists": "the vendor applies its own opt-outs to the list",
    "variables": "the vendor has no personalisation variables",
}


def check(r: Resource, ws: Workspace) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if r.kind != "Campaign":
        return out  # check_account already reports kinds this vendor cannot hold

    def err(loc: tuple, msg: str) -> None:
        out.append(Diagnostic(r.locate(*loc), f"{r.address}: {msg}"))

    spec = r.spec
    for field, hint in NOT_APPLICABLE.items():
        if getattr(spec, field):
            err((field,), f"`{field}` does not apply to a {VENDOR} campaign: {hint}")
    if getattr(spec, "scheduled_campaigns", None) is None:
        err((), f"a {VENDOR} campaign needs a `{VENDOR}:` block with `list` and `domain` "
                "(vendor ids), e.g. `scheduled-campaigns: {list: 12, domain: 4}`")
    if spec.send_at is None:
        err((), f"a {VENDOR} campaign needs a `send_at` time with its UTC offset, "
                "e.g. 2026-12-01T09:00:00+01:00")
    elif spec.send_at == "now":
        err(("send_at",), f"`send_at: now` is not supported by {VENDOR} (the vendor sends at "
                          "a scheduled time): write the time with its UTC offset")
    if spec.state is not None and spec.state not in STATES:
        err(("state",), f"state {spec.state!r} does not exist here; use one of "
                        f"{', '.join(STATES)} (default draft)")
    return out
