"""Text from a plan shown escaped, never interpreted: a manifest, a live object or a plan
file can hold line breaks, ANSI escapes or bidi overrides, which would otherwise forge a
line (`\\r\\n+ create Fake/x`), clear a terminal or reorder what a reviewer reads. In
Markdown, they could also hold HTML or link syntax that GitHub would render in the
pull-request comment: an HTML comment hiding the lines after it, an image that calls home,
a link whose text lies about its target."""

from __future__ import annotations

from reconciler.escaping import printable as printable  # one definition, every layer

#: What Markdown would read as HTML (`<`, `>`, `&` entities) or as a link or image (`[`,
#: `]`), and the backslash that could undo an escape; backslash-escaped (CommonMark 2.4).
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\<>&[]"})


def markdown_text(text: object) -> str:
    """`printable(text)`, safe as inline Markdown: shown as written, never as HTML or a
    link (GitHub's renderer, cmark-gfm, takes the escapes as the literal characters)."""
    return printable(text).translate(_MARKDOWN)
