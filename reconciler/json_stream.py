"""The items of a JSON array as its bytes arrive: a listing of ten million contacts is never
held whole, as bytes, as text or as objects.

Each item is decoded by the standard library's C decoder (json's raw_decode) from text
made a window at a time; only the item cut by a window's end is decoded again, once more
text is in. Items come out in order; an error says what the whole-body decode would have
found wrong (ValueError): not UTF-8, not a list, malformed, truncated, trailing data.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

_SPACE = re.compile(r"[ \t\n\r]*")
_NUMBER_TAIL = re.compile(r"[0-9.eE+-]*")
#: Bytes gathered before text is decoded: the larger, the fewer items decoded twice.
WINDOW = 1 << 23
#: An error this close to the end of the text so far may be the cut, not the body's fault.
_CUT_MARGIN = 16

_START, _FIRST, _ITEM, _SEP, _END = range(5)


class JsonListItems:
    """Feed it the body's bytes in any pieces; it returns the items completed so far.
    `close()` returns the last ones and raises ValueError unless the body was one whole
    JSON array (whitespace around it allowed, a UTF-8 byte-order mark too)."""

    def __init__(self, window: int | None = None):
        self._decoder = json.JSONDecoder()
        self._text_of = codecs.getincrementaldecoder("utf-8-sig")()
        self._window = window or WINDOW
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._buf = ""
        self._i = 0
        self._state = _START
        self._need = 0  # text needed past the item's start before decoding it again

    def feed(self, data: bytes) -> list[Any]:
        if data:
            self._pending.append(data)
            self._pending_size += len(data)
        if self._pending_size < max(self._window, self._need - len(self._buf) + self._i):
            return []
        return self._take(final=False)

    def close(self) -> list[Any]:
        items = self._take(final=True)
        if self._state != _END:
            raise ValueError("not a JSON list" if self._state == _START
                             else "truncated JSON list")
        return items

    def _take(self, final: bool) -> list[Any]:
        try:
            text = self._text_of.decode(b"".join(self._pending), final)
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
        self._pending, self._pending_size = [], 0
        self._buf = self._buf[self._i:] + text if self._i < len(self._buf) else text
        self._i = 0
        items: list[Any] = []
        buf, i, state = self._buf, 0, self._state
        while True:
            i = _SPACE.match(buf, i).end()
            if i >= len(buf):
                break
            char = buf[i]
            if state == _START:
                if char != "[":
                    raise ValueError("not a JSON list")
                i, state = i + 1, _FIRST
            elif state == _SEP or (state == _FIRST and char == "]"):
                if char == "]":
                    i, state = i + 1, _END
                elif char == ",":
                    i, state = i + 1, _ITEM
                else:
                    raise ValueError("malformed JSON list")
            elif state == _END:
                raise ValueError("extra data after the JSON list")
            else:
                try:
                    item, end = self._decoder.raw_decode(buf, i)
                except RecursionError:
                    raise ValueError("malformed JSON list: nested too deep") from None
                except json.JSONDecodeError as exc:
                    cut = exc.pos >= len(buf) - _CUT_MARGIN or exc.msg.startswith(
                        "Unterminated string")
                    if final or not cut:
                        raise ValueError(f"malformed JSON list: {exc.msg}") from None
                    # Cut by the window's end: decoded again with twice the text.
                    self._need = 2 * (len(buf) - i)
                    break
                if (not final and isinstance(item, int | float)
                        and _NUMBER_TAIL.fullmatch(buf, end)):
                    break  # a number at the window's end may go on
                items.append(item)
                i, state, self._need = end, _SEP, 0
        self._buf, self._i, self._state = buf, i, state
        return items
