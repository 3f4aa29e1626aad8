"""Text shown escaped, never interpreted, by every layer (the engine's refusals as well as
the renderers, render/escape.py): a manifest, a live object or a plan file can hold line
breaks, ANSI escapes or bidi overrides, which would otherwise forge a line
(`\\r\\n+ create Fake/x`), clear a terminal or reorder what a reviewer reads."""

from __future__ import annotations


def printable(text: object) -> str:
    """`text` with every character `repr` would escape (control, format, line and paragraph
    separators...) written as its escape (`\\n`, `\\x1b`, `\\u202e`); the rest unchanged, so
    a value already shown by `repr` passes as is."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in s)
