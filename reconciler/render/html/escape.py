"""Every string of a plan as HTML shows it: entity-escaped (never markup), with control
characters, line separators and bidi overrides written as escapes (render/escape.py), so a
value cannot open a tag, break out of an attribute, or reorder what the reviewer reads."""

from __future__ import annotations

from html import escape

from reconciler.render.escape import printable

#: Kept as they are in a body: its line breaks and tabs are layout, not an attack.
_LAYOUT = frozenset("\n\t")


def text(value: object) -> str:
    """A value on one line, safe as element text or inside a quoted attribute."""
    return escape(printable(value), quote=True)


def visible(value: object) -> str:
    """A body's characters with its line breaks and tabs kept and every other unprintable
    one written as its escape (not yet entity-escaped)."""
    s = str(value).replace("\r\n", "\n")
    return s if s.isprintable() else "".join(c if c in _LAYOUT else printable(c) for c in s)


def body(value: object) -> str:
    """A message body or SMS text (in a `pre-wrap` element), `visible` and entity-escaped."""
    return escape(visible(value), quote=True)
