"""Counted nouns for every message: `plural(1, "batch")` is "1 batch", `plural(3, "batch")`
"3 batches". One place, so no output says "1 batches" or "2 action(s)". Written by hand
rather than with inflect: campaignctl counts a small, fixed vocabulary of its own nouns
(and a few verbs and pronouns), which a ten-line table covers and tests pin down, where
inflect is a large dependency whose general English rules could change a word in every
message between its releases."""

from __future__ import annotations

_IRREGULAR = {"entry": "entries", "batch": "batches", "is": "are", "was": "were",
              "matches": "match", "it": "them", "this": "these", "its": "their",
              "metadata entry": "metadata entries", "person": "people"}


def plural_of(word: str) -> str:
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def word(n: int, singular: str, plural: str | None = None) -> str:
    """The word alone, as `n` asks: word(2, "is") -> "are"."""
    return singular if n == 1 else (plural or plural_of(singular))


def plural(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and its noun: plural(1, "message") -> "1 message", plural(0, "batch") ->
    "0 batches"; plural(50000, "recipient") -> "50,000 recipients"."""
    count = f"{n:,}" if isinstance(n, int) else str(n)  # 50,000 everywhere, never 50000
    return f"{count} {word(n, singular, plural)}"
