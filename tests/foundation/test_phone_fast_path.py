"""Phone numbers: the fast check gives exactly what phonenumbers' full parse gives."""

from __future__ import annotations

import random

import phonenumbers
import pytest

from reconciler.contacts import ContactError, normalize_phone


def full_parse(raw: str) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def candidates() -> list[str]:
    """Every region's example numbers of every type, and near misses of each."""
    rng = random.Random(7)
    out = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            digits = list(e164[1:])
            digits[rng.randrange(len(digits))] = str(rng.randrange(10))
            cc = str(example.country_code)
            out += [e164, "+" + "".join(digits), e164 + "7", e164[:-1],
                    f"+{cc}0{e164[1 + len(cc):]}", "+0" + e164[1:]]
    return out


def test_fast_check_agrees_with_the_full_parse_for_every_region():
    checked = 0
    for raw in candidates():
        want = full_parse(raw)
        try:
            got = normalize_phone(raw)
        except ContactError:
            got = None
        assert got == want, raw
        checked += 1
    assert checked > 2000


@pytest.mark.parametrize("raw, want", [
    ("+33612345678", "+33612345678"),
    ("+4407911123456", "+447911123456"),  # a national prefix after the country code
    (" +1 415 555 2671 ", "+14155552671"),
])
def test_canonical_form(raw, want):
    assert normalize_phone(raw) == want


@pytest.mark.parametrize("raw, message", [
    ("0612345678", "not in E.164"), ("+3361234", "not a valid number"),
    ("+999123456789", "invalid phone number"),
])
def test_errors_are_worded_by_the_full_parse(raw, message):
    with pytest.raises(ContactError, match=message):
        normalize_phone(raw)
