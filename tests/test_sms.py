import pytest

from reconciler.sms import GSM7_BASIC, GSM7_EXTENSION, SmsCount, segments


def test_basic_table_is_the_full_default_alphabet():
    assert len(GSM7_BASIC) == 127  # 128 codes minus ESC
    assert "$" in GSM7_BASIC and "¤" in GSM7_BASIC and "`" not in GSM7_BASIC
    assert GSM7_EXTENSION == set("\f^{}\\[~]|€")


@pytest.mark.parametrize("char", list("éèùìòÇàÉ"))
def test_french_letters_in_basic_table(char):
    assert segments(char * 160) == SmsCount("GSM-7", 160, 1)


@pytest.mark.parametrize("char", list("êçâîôûëï"))
def test_french_letters_forcing_ucs2(char):
    assert segments("Bonjour " + char).encoding == "UCS-2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsCount("GSM-7", 0, 1)),
        ("a" * 160, SmsCount("GSM-7", 160, 1)),
        ("a" * 161, SmsCount("GSM-7", 161, 2)),
        ("a" * 306, SmsCount("GSM-7", 306, 2)),
        ("a" * 307, SmsCount("GSM-7", 307, 3)),
        ("a" * 1224, SmsCount("GSM-7", 1224, 8)),
        ("ê" * 70, SmsCount("UCS-2", 70, 1)),
        ("ê" * 71, SmsCount("UCS-2", 71, 2)),
        ("ê" * 134, SmsCount("UCS-2", 134, 2)),
        ("ê" * 135, SmsCount("UCS-2", 135, 3)),
        ("\r\n" * 80, SmsCount("GSM-7", 160, 1)),
    ],
)
def test_boundaries(text, expected):
    assert segments(text) == expected


def test_extension_chars_count_two_units():
    assert segments("a" * 158 + "€") == SmsCount("GSM-7", 160, 1)
    assert segments("a" * 159 + "€") == SmsCount("GSM-7", 161, 2)
    assert segments("{}" * 80) == SmsCount("GSM-7", 320, 3)
    assert segments("\f").units == 2


def test_extension_char_is_not_split_across_segments():
    # 152 + 2 + 152 = 306 units = 2 * 153, but the euro sign cannot straddle segment 1/2.
    assert segments("a" * 152 + "€" + "a" * 152) == SmsCount("GSM-7", 306, 3)
    assert segments("a" * 151 + "€" + "a" * 153) == SmsCount("GSM-7", 306, 2)


def test_emoji_counts_two_utf16_units_and_is_not_split():
    assert segments("a" * 68 + "😀") == SmsCount("UCS-2", 70, 1)
    assert segments("a" * 69 + "😀") == SmsCount("UCS-2", 71, 2)
    assert segments("a" * 66 + "😀" + "a" * 66) == SmsCount("UCS-2", 134, 3)
    assert segments("a" * 65 + "😀" + "a" * 67) == SmsCount("UCS-2", 134, 2)


def test_one_non_gsm_char_switches_the_whole_message():
    assert segments("a" * 100 + "ç") == SmsCount("UCS-2", 101, 2)
    assert segments("a" * 100 + "€") == SmsCount("GSM-7", 102, 1)
