"""SMS length and segment counting (3GPP TS 23.038), shared by manifest validation, plan
cost estimates and the Octopush emulator, so that all three agree on "how many SMS".

- GSM-7: basic-table characters take one septet, extension-table characters two (escape +
  code). 160 septets fit one SMS; concatenated messages carry 153 per segment.
- Any character outside both tables forces UCS-2 for the whole message: 70 code units in
  one SMS, 67 per concatenated segment, counted in UTF-16 code units (an emoji is 2).
- A two-unit character (escape sequence, surrogate pair) is never split between two
  segments, which is what phones and SMSCs do: it moves whole to the next segment.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

# The GSM 03.38 default alphabet, in code order 0x00..0x7F. 0x1B (ESC) is not a
# character one can type; it is the escape to the extension table, so it is left out.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + code, i.e. two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_SEGMENT = 160, 153
UCS2_SINGLE, UCS2_SEGMENT = 70, 67


class SmsCount(NamedTuple):
    encoding: Literal["GSM-7", "UCS-2"]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int  # SMS billed; at least 1, even for an empty text


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _widths(text: str, gsm7: bool) -> list[int]:
    if gsm7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]  # astral chars: a surrogate pair


def segments(text: str) -> SmsCount:
    gsm7 = is_gsm7(text)
    widths = _widths(text, gsm7)
    units = sum(widths)
    single, per_segment = (GSM7_SINGLE, GSM7_SEGMENT) if gsm7 else (UCS2_SINGLE, UCS2_SEGMENT)
    encoding: Literal["GSM-7", "UCS-2"] = "GSM-7" if gsm7 else "UCS-2"
    if units <= single:
        return SmsCount(encoding, units, 1)
    count, used = 1, 0
    for width in widths:
        if used + width > per_segment:  # would split a two-unit character: start a new one
            count, used = count + 1, 0
        used += width
    return SmsCount(encoding, units, count)
