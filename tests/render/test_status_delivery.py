"""`status` says where a send is: not handed over, scheduled for a time (handed to the
vendor, which sends it then), handed to the vendor with no report, or delivered (the
vendor's results or callbacks). A send handed over for 2030 never reads "sent"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from reconciler.render.status import render_markdown, render_text
from reconciler.status.model import CampaignStatus, phase

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def test_a_send_for_a_later_time_is_scheduled_in_the_recipients_zone():
    later = datetime(2030, 1, 15, 9, 0, tzinfo=timezone(timedelta(hours=1)))
    assert phase(500, later, None, "Europe/Paris", NOW) == \
        "scheduled for 2030-01-15 09:00 Europe/Paris"
    assert phase(1, later.astimezone(UTC), None, None, NOW) == "scheduled for 2030-01-15 08:00 UTC"


def test_handed_over_delivered_and_not_handed():
    past = NOW - timedelta(hours=1)
    assert phase(500, past, None, "Europe/Paris", NOW) == \
        "handed to the vendor, no delivery report"
    assert phase(500, None, None, None, NOW) == "handed to the vendor, no delivery report"
    assert phase(500, past, 480, None, NOW) == "delivered to 480"
    assert phase(0, None, None, None, NOW) == "not handed over"


def test_status_tables_show_the_delivery_and_thousands():
    st = CampaignStatus("sms", "octopush", "big", "scheduled", send_at="2030-01-15T09:00:00+01:00",
                        planned=50_000, sent=50_000, rejected=0, unknown=0, cost=2750.0,
                        currency="EUR",
                        delivery="scheduled for 2030-01-15 09:00 Europe/Paris")
    text = render_text([st])
    header, row = text.splitlines()[:2]
    assert "delivery" in header and "handed over" in header and " sent " not in header
    assert "scheduled for 2030-01-15 09:00 Europe/Paris" in row
    assert "50,000" in row and "2,750.00 EUR" in row and "50000" not in row
    md = render_markdown([st])
    assert "| scheduled | scheduled for 2030-01-15 09:00 Europe/Paris |" in md
    assert st.to_dict()["delivery"] == "scheduled for 2030-01-15 09:00 Europe/Paris"


def test_status_table_columns_line_up_in_terminal_cells_and_names_are_not_markup():
    """A campaign named in CJK takes two terminal cells per character: the columns after
    it still start at the same place on every line; a `[bold]` in a name is printed as
    written."""
    wide = CampaignStatus("sms", "octopush", "新年セール", "draft", planned=3)
    plain = CampaignStatus("sms", "octopush", "[bold]x[/bold]", "draft", planned=12_000)
    lines = render_text([wide, plain]).splitlines()
    assert "Campaign/[bold]x[/bold]" in lines[2]
    from rich.cells import cell_len
    starts = [cell_len(lines[0][:lines[0].index("provider")])]
    starts += [cell_len(line[:line.index("sms (octopush)")]) for line in lines[1:3]]
    assert starts == [cell_len("Campaign/[bold]x[/bold]") + 2] * 3
    assert all(line == line.rstrip() for line in lines)


def test_a_vendors_control_characters_reach_the_status_table_escaped():
    st = CampaignStatus("sms", "octopush", "promo", "sent\x1b[2J",
                        results={"delivered\r\nforged": 3})
    text = render_text([st])
    assert "\x1b" not in text and "\r" not in text
    assert "sent\\x1b[2J" in text and "delivered\\r\\nforged 3" in text
    assert len(text.splitlines()) == 2
    noted = CampaignStatus("sms", "octopush", "promo", "sent", note="vendor says\x1b[31m hi\nthere")
    text = render_text([noted])
    assert "\x1b" not in text and "note: vendor says\\x1b[31m hi\\nthere" in text
