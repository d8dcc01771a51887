"""content/dates.py: one grammar for the dates staff type, a deed's date (reports) and a
due date (deadlines) alike; each feature then reads it its own way."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from content.dates import (
    DAY,
    MONTH,
    YEAR,
    DateInFuture,
    DateNotUnderstood,
    RelativeDate,
    parse_date,
    parse_due,
    read_date,
)

TODAY = date(2026, 3, 10)
RELATIVE = {"hom qua": RelativeDate(days=1), "thang truoc": RelativeDate(months=1),
            "nam ngoai": RelativeDate(months=12)}
FUTURE = ["ngày mai", "tuần sau"]
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


@pytest.mark.parametrize(("text", "expected"), [
    ("12/3/2024", (date(2024, 3, 12), DAY)),
    ("12-03-24", (date(2024, 3, 12), DAY)),
    ("12.3.2025", (date(2025, 3, 12), DAY)),
    ("ngày 5/3", (date(2026, 3, 5), DAY)),
    ("2024-03-12", (date(2024, 3, 12), DAY)),
    ("Ngày 12 tháng 3 năm 2024", (date(2024, 3, 12), DAY)),
    ("ngày 1 tháng 2", (date(2026, 2, 1), DAY)),
    ("3/2024", (date(2024, 3, 1), MONTH)),
    ("tháng 3/2024", (date(2024, 3, 1), MONTH)),
    ("tháng 2", (date(2026, 2, 1), MONTH)),
    ("năm 2025", (date(2025, 1, 1), YEAR)),
    ("hôm qua", (date(2026, 3, 9), DAY)),
    ("Tháng trước.", (date(2026, 2, 1), MONTH)),
    ("năm ngoái", (date(2025, 1, 1), YEAR)),
    # A day without a year that would be ahead is last year's: a deed has happened.
    ("20/12", (date(2025, 12, 20), DAY)),
    ("ngày 20 tháng 12", (date(2025, 12, 20), DAY)),
    # The forms a due date is typed in read here too; the time of day is no part of a deed's date.
    ("12/3/2024 17:00", (date(2024, 3, 12), DAY)),
    ("5/3 lúc 8h30", (date(2026, 3, 5), DAY)),
])
def test_a_deeds_date(text: str, expected: tuple[date, str]) -> None:
    assert parse_date(text, TODAY, RELATIVE, FUTURE) == expected


@pytest.mark.parametrize("text", ["ngày mai", "tuần sau nhé"])
def test_a_deed_is_not_ahead(text: str) -> None:
    with pytest.raises(DateInFuture):
        parse_date(text, TODAY, RELATIVE, FUTURE)


@pytest.mark.parametrize("text", ["31/2/2024", "12/13/2024", "tháng 13", "hôm nào đó", "2024", "12 3 2024",
                                  "29/2", "5/3 25:00", "tháng 3 lúc 17h", ""])
def test_not_a_date(text: str) -> None:
    with pytest.raises(DateNotUnderstood):
        parse_date(text, TODAY, RELATIVE, FUTURE)


@pytest.mark.parametrize(("text", "expected"), [
    # What /hanmoi and moving a deadline always took.
    ("15/12/2026 17:00", datetime(2026, 12, 15, 17, 0, tzinfo=TZ)),
    ("15/12/2026", datetime(2026, 12, 15, 17, 0, tzinfo=TZ)),
    ("15/12 8:30", datetime(2026, 12, 15, 8, 30, tzinfo=TZ)),
    ("15-12-2026 lúc 9h30", datetime(2026, 12, 15, 9, 30, tzinfo=TZ)),
    ("15.12.2026 9", datetime(2026, 12, 15, 9, 0, tzinfo=TZ)),
    ("2026-12-15 17:00", datetime(2026, 12, 15, 17, 0, tzinfo=TZ)),
    ("2026-12-15", datetime(2026, 12, 15, 17, 0, tzinfo=TZ)),
    # And now what reports took, and more ways of saying the hour.
    ("ngày 15 tháng 12", datetime(2026, 12, 15, 17, 0, tzinfo=TZ)),
    ("ngày 15 tháng 12 năm 2026 lúc 8 giờ 30", datetime(2026, 12, 15, 8, 30, tzinfo=TZ)),
    ("15/12/26 17h", datetime(2026, 12, 15, 17, 0, tzinfo=TZ)),
    ("15/12 17g30", datetime(2026, 12, 15, 17, 30, tzinfo=TZ)),
    ("15/12 17.30", datetime(2026, 12, 15, 17, 30, tzinfo=TZ)),
    # A due date without a year is this year's, even when it has passed (the caller says so).
    ("1/3", datetime(2026, 3, 1, 17, 0, tzinfo=TZ)),
])
def test_a_due_date(text: str, expected: datetime) -> None:
    assert parse_due(text, NOW, TZ) == expected


@pytest.mark.parametrize("text", ["tháng 12", "năm 2027", "31/2", "15/12 24:00", "15/12 8:61", "mai", "hôm qua"])
def test_not_a_due_date(text: str) -> None:
    with pytest.raises(DateNotUnderstood):
        parse_due(text, NOW, TZ)


def test_this_year_is_the_year_where_the_bot_works() -> None:
    """17:30 UTC on 31 December is already 2027 in Vietnam: "15/1" is 15 January 2027 there."""
    eve = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)
    assert parse_due("15/1", eve, TZ).year == 2027
    assert parse_due("15/1", eve, ZoneInfo("UTC")).year == 2026


def test_what_a_text_tells() -> None:
    told = read_date("5/3 lúc 8h", TODAY)
    assert (told.day, told.precision, told.year_given, told.at) == (date(2026, 3, 5), DAY, False, time(8))
    assert read_date("tháng 3/2024", TODAY).year_given
