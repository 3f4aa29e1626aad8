"""What a send puts in front of people, for the reviewer: the text (or subject, first
lines and the whole body), the sender, SMS segments per recipient, a personalisation
sample in which every contact field is a placeholder (`<first_name>`), and the values of
the first recipients masked (`<email>`, `A***`), never a real contact.

Built from the neutral kinds (Campaign -> Message, Sender); a vendor adds what only it
knows (a Connectly template name and version) through `extra`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from reconciler.contacts import FIELDS
from reconciler.personalize import fill, placeholder, references, templates
from reconciler.workspace import Resource, Workspace

CONTACT_FIELDS = tuple(f for f in FIELDS if f not in ("email", "phone"))
# `{first_name}`, `{{ first_name }}`: the spellings vendors' templates use.
PLACEHOLDER = re.compile(r"\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}?")
FIRST_LINES = 3
LINE_CHARS = 100
SAMPLE_RECIPIENTS = 3


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")


def _visible_text(body: str, body_format: str | None) -> str:
    if body_format != "html":
        return body
    parser = _Text()
    parser.feed(body)
    return "".join(parser.parts)


def first_lines(body: str, body_format: str | None = None) -> list[str]:
    lines = [ln.strip() for ln in _visible_text(body, body_format).splitlines()]
    out = [ln for ln in lines if ln][:FIRST_LINES]
    return [ln if len(ln) <= LINE_CHARS else ln[:LINE_CHARS - 3] + "..." for ln in out]


def sample(text: str, variables: dict[str, str]) -> str:
    """The text as one recipient would get it: campaign variables filled in, contact fields
    as placeholders."""
    def fill(m: re.Match) -> str:
        name = m.group(1)
        return variables[name] if name in variables else f"<{name}>"
    return PLACEHOLDER.sub(fill, text)


def _personalised(text: str, variables: dict[str, str]) -> str | None:
    """The sample, when the text has placeholders at all."""
    filled = sample(text, variables)
    return filled if filled != text else None


def mask_value(value: str | None) -> str | None:
    """A contact's value as a reviewer may see it: that there is one and how it starts
    (`Ada` -> `A**`), never the value itself; None when the contact has none."""
    if not value:
        return None
    return value[0] + "*" * min(len(value) - 1, 8)


def contact_placeholders(*texts: str | None) -> list[str]:
    """The contact fields the texts personalise with, in the order first used."""
    found = [m.group(1) for t in texts if t for m in PLACEHOLDER.finditer(t)]
    return list(dict.fromkeys(n for n in found if n in CONTACT_FIELDS))


def recipient_samples(ws: Workspace, r: Resource, channel: str, fields: list[str],
                      contact_variables: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The first recipients of the campaign's audience (after its opt-out lists), each
    address masked as the request log masks it and each field's value masked; with each
    variable that takes a contact value (`${contact.X}`) as that recipient gets it, the
    contact's values masked, a default named in `defaulted` (null: neither)."""
    from itertools import islice

    from reconciler.audience import campaign_recipients

    contact_variables = contact_variables or {}
    if not (fields or contact_variables) or not r.spec.contact_groups:
        return []
    masked = "<email>" if channel == "email" else "<phone>"
    first = list(islice(campaign_recipients(ws, r, channel), SAMPLE_RECIPIENTS))  # type: ignore[arg-type]
    out = []
    for x in first:
        values = {f: mask_value(getattr(x.contact, f, None)) for f in fields}
        defaulted = []
        for name, template in contact_variables.items():
            value, how = fill(template, x.contact, mask_value)  # type: ignore[arg-type]
            values[name] = value if how != "empty" else None
            if how == "default":
                defaulted.append(name)
        out.append({"to": masked, "values": values, **({"defaulted": defaulted}
                                                         if defaulted else {})})
    return out


def _sender(ws: Workspace, r: Resource, channel: str) -> str | None:
    s = ws.get("Sender", r.spec.sender) if r.spec.sender else None
    if s is None:
        return None
    spec = s.spec
    if channel == "email":
        name = spec.name or spec.description
        return f"{name} <{spec.email}>" if name and spec.email else spec.email
    return (spec.sms_id or spec.phone) if channel == "sms" else spec.phone


def send_content(ws: Workspace, r: Resource, channel: str,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `content` of a send or email campaign create (plan JSON `content`)."""
    spec = r.spec
    variables = dict(spec.variables)
    shown = {k: placeholder(v) for k, v in variables.items()}  # a contact's value: <column>
    out: dict[str, Any] = {"channel": channel, "sender": _sender(ws, r, channel)}
    m = ws.get("Message", spec.message) if spec.message else None
    message = m.spec if m is not None else None
    if message is not None and channel == "email":
        out["subject"] = message.subject
        out["template"] = message.template
        if message.body:
            out["body_format"] = message.body_format
            out["first_lines"] = first_lines(message.body, message.body_format)
            out["body"] = message.body
            out["sample"] = _personalised(" / ".join(out["first_lines"]), shown)
    elif message is not None and message.text:
        from reconciler.sms import segments

        count = segments(message.text)
        out.update(text=message.text, segments=count.segments, encoding=count.encoding,
                   sample=_personalised(message.text, shown))
    out.update(extra or {})
    if out.get("variables") is None and variables:
        out["variables"] = variables
    if channel == "whatsapp":
        # A template filled by variables: the campaign's, then the contact's own fields.
        own = out.get("variables", {})
        filled = {**{k: placeholder(v) for k, v in own.items()},
                  **{f: f"<{f}>" for f in CONTACT_FIELDS[:2]},
                  **{k: placeholder(v) for k, v in own.items() if references(v)}}
        out["sample"] = ", ".join(f"{k}={v}" for k, v in filled.items())
    fields = (list(CONTACT_FIELDS[:2]) if channel == "whatsapp" else contact_placeholders(
        out.get("subject"), out.get("body"), out.get("text")))
    shown_variables = out.get("variables") or {}
    out["samples"] = recipient_samples(ws, r, channel,
                                       [f for f in fields if f not in shown_variables],
                                       templates(shown_variables))
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}
