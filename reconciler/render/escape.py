"""Text from a plan shown escaped, never interpreted: a manifest, a live object or a plan
file can hold line breaks, ANSI escapes or bidi overrides, which would otherwise forge a
line (`\\r\\n+ create Fake/x`), clear a terminal or reorder what a reviewer reads. In
Markdown, they could also hold HTML or link syntax that GitHub would render in the
pull-request comment: an HTML comment hiding the lines after it, an image that calls home,
a link whose text lies about its target."""

from __future__ import annotations

from reconciler.escaping import printable as printable  # one definition, every layer

#: What Markdown would read as HTML (`<`, `>`, `&` entities), as a link or image (`[`,
#: `]`), as emphasis or strikethrough (`*`, `_`, `~`: GitHub's cmark-gfm takes `~x~` as
#: struck out), and the backslash that could undo an escape; backslash-escaped (CommonMark
#: 2.4). Backticks stay: a code span shows its text as written, and our own lines use them.
_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\<>&[]*_~"})


def markdown_text(text: object) -> str:
    """`printable(text)`, safe as inline Markdown: shown as written, never as HTML or a
    link (GitHub's renderer, cmark-gfm, takes the escapes as the literal characters)."""
    return printable(text).translate(_MARKDOWN)


def clipped(text: str, limit: int) -> str:
    """`text` within `limit` characters: cut at the end of a word, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:  # a word boundary not too far back; else cut the long word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "\u2026"
