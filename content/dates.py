"""Dates as staff type them, read one way everywhere.

One grammar for every date the bot is told: when a deed happened (the report form)
and when something is due (a new deadline, or one moved). It reads

- a day: 12/3/2024, 12-03-24, 12.3, ngày 12/3, 2024-03-12, "ngày 12 tháng 3 (năm 2024)";
- a month: 3/2024, tháng 3/2024, "tháng 3 (năm 2024)"; a year: "năm 2024";
- a word of `relative` (report_form.yaml's relative_dates: "hôm qua" is a day,
  "tháng trước" a month, "năm ngoái" a year);
- after a day, a time of day: 17:00, 17h, 17h30, 17g30, 17 giờ 30, 17.30, "lúc 17:00".

What a feature then does with a date is its own business: a deed is in the past
(a day without a year that would be ahead is last year's), a deadline ahead (a day
without a year is this year's, due at 17:00 unless a time is said).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from pydantic import Field

from content.normalize import fold
from content.schema import Strict

DAY, MONTH, YEAR = "day", "month", "year"
DUE_TIME = time(17)  # a deadline told without a time of day is due at the end of office hours

# On folded text (content/normalize.fold: lowercase, no diacritics; "/", "-", "." kept inside a token).
_DMY = re.compile(r"^(?:ngay\s*)?(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2,4}))?$")
_MY = re.compile(r"^(?:thang\s*)?(\d{1,2})\s*[/.\-]\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDY = re.compile(r"^ngay (\d{1,2}) thang (\d{1,2})(?: nam (\d{2,4}))?$")
_MONTH = re.compile(r"^thang (\d{1,2})(?: nam (\d{4}))?$")
_YEAR = re.compile(r"^nam (\d{4})$")
# A time of day after the date: "17 00" (17:00 folded), "17h30", "17g", "17 gio 30 phut", "17.30", "luc 17h".
_AT = re.compile(r"^(?P<date>.+?)\s+(?:(?:vao\s+)?luc\s+)?(?P<h>\d{1,2})"
                 r"(?:\s*(?:h|g|gio)(?:\s*(?P<m1>\d{2})(?:\s*phut)?)?|\s+(?P<m2>\d{2})|\.(?P<m3>\d{2}))?$")


class DateNotUnderstood(ValueError):
    pass


class DateInFuture(ValueError):
    pass


class RelativeDate(Strict):
    """A word for a date counted back from today ("hôm qua": 1 day; "tháng trước": 1 month)."""

    days: int = Field(default=0, ge=0, le=3660)
    months: int = Field(default=0, ge=0, le=120)


@dataclass(frozen=True)
class ToldDate:
    """What a text says of a date: the day (the first of its month or year when only those
    were said), how precise it is, whether a year was said, and a time of day if one was."""

    day: date
    precision: str = DAY
    year_given: bool = True
    at: time | None = None


def plain(text: str) -> str:
    """The text as the grammar reads it: folded, single-spaced, without a closing . or !"""
    return " ".join(fold(text).strip(" .!").split())


def _year(raw: str | None, today: date) -> int:
    if raw is None:
        return today.year
    y = int(raw)
    return 2000 + y if y < 100 else y


def _months_back(today: date, months: int) -> date:
    y, m = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(y, m + 1, min(today.day, 28))


def _date_only(folded: str, today: date, relative: Mapping[str, RelativeDate]) -> ToldDate | None:
    """The date a folded text is, with no time of day; None when it is none. ValueError for
    numbers that make no date (31/2, month 13)."""
    if folded in relative:
        r = relative[folded]
        if r.months:
            back = _months_back(today, r.months)
            if r.months % 12 == 0:
                return ToldDate(date(back.year, 1, 1), YEAR)
            return ToldDate(back.replace(day=1), MONTH)
        return ToldDate(today - timedelta(days=r.days), DAY)
    if m := _ISO.match(folded):
        return ToldDate(date(int(m[1]), int(m[2]), int(m[3])))
    for pattern in (_DMY, _WORDY):
        if m := pattern.match(folded):
            return ToldDate(date(_year(m[3], today), int(m[2]), int(m[1])), DAY, m[3] is not None)
    if m := _MY.match(folded):
        return ToldDate(date(int(m[2]), int(m[1]), 1), MONTH)
    if m := _MONTH.match(folded):
        return ToldDate(date(_year(m[2], today), int(m[1]), 1), MONTH, m[2] is not None)
    if m := _YEAR.match(folded):
        return ToldDate(date(int(m[1]), 1, 1), YEAR)
    return None


def read_date(text: str, today: date, relative: Mapping[str, RelativeDate] | None = None) -> ToldDate:
    """The date `text` says (see the module's docstring for the forms). A day or month said
    without a year is of `today`'s year here; DateNotUnderstood when the text is no date."""
    folded = plain(text)
    relative = relative or {}
    try:
        told = _date_only(folded, today, relative)
        if told is not None:
            return told
        if (m := _AT.match(folded)) and (told := _date_only(m["date"], today, relative)) is not None \
                and told.precision == DAY:
            return ToldDate(told.day, DAY, told.year_given, time(int(m["h"]), int(m["m1"] or m["m2"] or m["m3"] or 0)))
    except ValueError as exc:  # 31/2, month 13, 25:00
        raise DateNotUnderstood(str(exc)) from None
    raise DateNotUnderstood(text)


def parse_date(text: str, today: date, relative: Mapping[str, RelativeDate] | None = None,
               future: list[str] | None = None) -> tuple[date, str]:
    """A date in the past, as a deed's date is told, and how precise it is (day, month,
    year). A day without a year that would be ahead of `today` is last year's. A word of
    `future` ("ngày mai") raises DateInFuture; any other text that is no date,
    DateNotUnderstood."""
    folded = plain(text)
    if future and any(folded == f or folded.startswith(f + " ")  # "ngày mai nhé"
                      for f in (plain(w) for w in future)):
        raise DateInFuture(text)
    told = read_date(text, today, relative)
    if told.precision == DAY and not told.year_given and told.day > today:
        try:
            return told.day.replace(year=told.day.year - 1), DAY
        except ValueError as exc:  # 29/2
            raise DateNotUnderstood(str(exc)) from None
    return told.day, told.precision


def parse_due(text: str, now: datetime, tz: tzinfo, default_time: time = DUE_TIME) -> datetime:
    """A moment something is due, in `tz`: a day (this year's when no year is said) and
    its time of day, `default_time` when none is said. DateNotUnderstood when the text
    names no day (a month alone is no deadline). Whether it is still ahead is the caller's
    question."""
    told = read_date(text, now.astimezone(tz).date())
    if told.precision != DAY:
        raise DateNotUnderstood(text)
    return datetime.combine(told.day, told.at or default_time, tzinfo=tz)
