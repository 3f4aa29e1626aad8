"""What one send puts in front of its recipients, as they would see it: the sender and
subject, an HTML body in a sandboxed frame (no script, no request: its own
Content-Security-Policy too), a plain-text body or SMS text as text, a vendor template with
its variables, and the masked values of the first recipients."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from reconciler.render.html.escape import body, text, visible
from reconciler.render.html.sms import sms_block
from reconciler.words import plural

#: The policy of an HTML body's frame (also inherited from the page): inline styles and
#: inline images only; a remote image or font is blocked, never fetched.
FRAME_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                "font-src data:; form-action 'none'; base-uri 'none'")


#: A reference a mail client would fetch: src=, href=, url(...) to http(s) or //host.
REMOTE = re.compile(r"""(?:src|href|background)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//""",
                    re.IGNORECASE)


def _html_frame(source: str) -> str:
    document = (f'<!DOCTYPE html><meta charset="utf-8"><meta http-equiv='
                f'"Content-Security-Policy" content="{FRAME_POLICY}">'
                f'<meta name="referrer" content="no-referrer">{source}')
    # escape(quote=True): the whole document is one attribute value, `"` and `&` included
    remote = len(REMOTE.findall(source))
    note = (f'<p class="muted">{plural(remote, "remote reference")} (images, styles, links) '
            "not loaded here; a recipient's mail client may load them.</p>" if remote else "")
    return note + (f'<iframe class="html-body" sandbox="" referrerpolicy="no-referrer" '
            f'title="HTML body as the recipient sees it" srcdoc="{escape(visible(document), quote=True)}">'
            "</iframe>")


def body_block(content: dict[str, Any]) -> str:
    """The message itself, per channel."""
    if content.get("text"):
        return sms_block(str(content["text"]))
    if content.get("body") is not None:
        if content.get("body_format") == "html":
            return _html_frame(str(content["body"]))
        return f'<pre class="body">{body(content["body"])}</pre>'
    out = []
    if content.get("template"):
        out.append(f'<p>Vendor template <code>{text(content["template"])}</code> '
                   "(its text is held by the vendor)</p>")
    if content.get("first_lines"):
        out.append('<pre class="body">' + body("\n".join(map(str, content["first_lines"])))
                   + "</pre>")
    if content.get("variables"):
        rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>"
                       for k, v in sorted(content["variables"].items()))
        out.append(f'<table class="kv"><caption>variables</caption>{rows}</table>')
    if content.get("sample"):
        out.append(f'<p class="sample">sample: <code>{text(content["sample"])}</code></p>')
    return "".join(out) or ('<p class="muted">No content in the plan: this vendor\'s '
                             "campaign content is kept in its own account.</p>")


def samples_block(content: dict[str, Any]) -> str:
    """The first recipients' personalisation values, masked (plan `content.samples`)."""
    samples = [s for s in content.get("samples") or [] if isinstance(s, dict)]
    if not samples:
        return ('<p class="muted">No personalisation: every recipient gets the same '
                "content.</p>")
    fields = list(dict.fromkeys(str(f) for s in samples for f in (s.get("values") or {})))
    head = "".join(f"<th>{text(f)}</th>" for f in fields)
    rows = []
    for i, s in enumerate(samples, 1):
        values = s.get("values") or {}
        defaulted = set(s.get("defaulted") or ())
        cells = "".join(
            '<td class="empty">(none)</td>' if values.get(f) is None
            else f'<td class="default">{text(values[f])} <span class="muted">(default)'
                 "</span></td>" if f in defaulted
            else f"<td>{text(values[f])}</td>" for f in fields)
        rows.append(f"<tr><th>{i}. {text(s.get('to'))}</th>{cells}</tr>")
    return (f'<table class="samples"><caption>First {len(samples)} recipients '
            f"(masked)</caption><tr><th>recipient</th>{head}</tr>{''.join(rows)}</table>")
