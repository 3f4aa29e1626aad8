"""A refused edit of a sent SMS says when it would change the segment count per recipient."""

from reconciler.providers.sendonly.campaign_diff import _segment_change


def test_edit_crossing_into_ucs2_is_reported():
    change = _segment_change({"text": "Sale today. STOP 36111"},
                             {"text": "Fête: " + "x" * 70 + " STOP 36111"})
    assert [(c.field, c.before, c.after) for c in change] == [
        ("sms segments", "1 (GSM-7)", "2 (UCS-2)")]


def test_edit_keeping_the_segment_count_adds_nothing():
    assert _segment_change({"text": "Sale today. STOP"}, {"text": "Sale tonight. STOP"}) == []
    assert _segment_change({"subject": "a"}, {"subject": "b"}) == []
