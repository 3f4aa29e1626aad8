"""An SMS text as the reviewer needs it: its encoding (GSM-7 or UCS-2), length in the
encoding's units and segments billed (reconciler/sms.py), and the characters that force
UCS-2 marked where they stand."""

from __future__ import annotations

from reconciler.render.html.escape import body
from reconciler.sms import GSM7_BASIC, GSM7_EXTENSION, segments
from reconciler.words import plural


def _gsm7(c: str) -> bool:
    return c in GSM7_BASIC or c in GSM7_EXTENSION


def marked_text(text: str) -> str:
    """`text` escaped, each run of characters outside GSM-7 in a <mark>."""
    out: list[str] = []
    run: list[str] = []
    for c in text:
        if _gsm7(c):
            if run:
                out.append(f'<mark title="not in GSM-7: forces UCS-2">{body("".join(run))}</mark>')
                run = []
            out.append(body(c))
        else:
            run.append(c)
    if run:
        out.append(f'<mark title="not in GSM-7: forces UCS-2">{body("".join(run))}</mark>')
    return "".join(out)


def forcing(text: str) -> list[str]:
    """The distinct characters that force UCS-2, in order of first use."""
    return list(dict.fromkeys(c for c in text if not _gsm7(c)))


def sms_block(text: str) -> str:
    count = segments(text)
    unit = "septets" if count.encoding == "GSM-7" else "UTF-16 units"
    chars = forcing(text)
    why = ""
    if chars:
        shown = " ".join(f"<code>{body(c)}</code> U+{ord(c):04X}" for c in chars[:20])
        more = f" and {len(chars) - 20} more" if len(chars) > 20 else ""
        why = f'<p class="warn">UCS-2 because of: {shown}{more}</p>'
    return (f'<pre class="body sms">{marked_text(text)}</pre>'
            f'<p class="facts"><span class="tag">{count.encoding}</span> '
            f"{len(text)} characters, {count.units} {unit}, "
            f"<strong>{plural(count.segments, 'segment')}</strong> per recipient</p>{why}")
