"""Secret values: usable by the HTTP layer, never printable."""

from __future__ import annotations


class Secret:
    """Wraps a credential. str()/repr()/format() never reveal it; `.reveal()` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "****"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def redact(text: str, secrets: list[Secret]) -> str:
    """Remove every known secret value from text (last line of defence for error output)."""
    for s in secrets:
        v = s.reveal()
        if v and len(v) >= 4:
            text = text.replace(v, "****")
    return text
