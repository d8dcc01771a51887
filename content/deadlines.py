"""Deadlines: their shape in content/deadlines.yaml, and when their reminders fall due.

A deadline has a due date and time (local time), an audience, reminder offsets
in days and a time of day to send them. The arithmetic lives here, apart from
any storage or messenger, so it can be checked on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from content.schema import Strict, _check_id

AUDIENCE_ALL = "all"
AUDIENCE_LEADERS = "unit_leaders"
UNIT_PREFIX = "unit:"
MAX_OFFSET = 365
DUE_FORMAT = "%Y-%m-%d %H:%M"


def check_audience(value: str) -> str:
    if value in (AUDIENCE_ALL, AUDIENCE_LEADERS) or (value.startswith(UNIT_PREFIX) and len(value) > len(UNIT_PREFIX)):
        return value
    raise ValueError(f"audience must be '{AUDIENCE_ALL}', '{AUDIENCE_LEADERS}' or 'unit:<unit id>'")


def check_offsets(values: list[int]) -> list[int]:
    if not values:
        raise ValueError("at least one offset")
    if any(v < 0 or v > MAX_OFFSET for v in values):
        raise ValueError(f"offsets are days before the deadline, 0 to {MAX_OFFSET}")
    return sorted(set(values), reverse=True)


def parse_hhmm(value: str) -> time:
    m = re.fullmatch(r"([01]?\d|2[0-3])[:hg]([0-5]\d)", value.strip())
    if not m:
        raise ValueError("a time of day as HH:MM, e.g. 08:00")
    return time(int(m.group(1)), int(m.group(2)))


class DeadlineSpec(Strict):
    """One deadline as the Office writes it in content/deadlines.yaml."""

    id: str
    title: str = Field(min_length=1, max_length=300)
    due: str  # "YYYY-MM-DD HH:MM", local time
    audience: str = AUDIENCE_ALL
    offsets: list[int] = [7, 3, 1, 0]
    send_time: str = "08:00"
    note: str | None = None
    entry: str | None = None  # a knowledge entry that explains what to submit
    repeat: str | None = None  # "yearly"
    # Shipped as an example: shown marked "(ví dụ)", never sent, until the Office removes the mark.
    example: bool = False

    _id = field_validator("id")(_check_id)
    _audience = field_validator("audience")(check_audience)
    _offsets = field_validator("offsets")(check_offsets)

    @field_validator("due")
    @classmethod
    def _due(cls, value: str) -> str:
        try:
            datetime.strptime(value.strip(), DUE_FORMAT)
        except ValueError:
            raise ValueError(f"due must be 'YYYY-MM-DD HH:MM' (local time), got {value!r}") from None
        return value.strip()

    @field_validator("send_time")
    @classmethod
    def _send_time(cls, value: str) -> str:
        return parse_hhmm(value).strftime("%H:%M")

    @field_validator("repeat")
    @classmethod
    def _repeat(cls, value: str | None) -> str | None:
        if value not in (None, "yearly"):
            raise ValueError("repeat is 'yearly' or left out")
        return value


class DeadlineFile(Strict):
    deadlines: list[DeadlineSpec] = []


def inert_examples_line(specs: list[DeadlineSpec]) -> str | None:
    """The one line `content check` and the start-up log give while example deadlines
    are in the file; None when there are none."""
    n = sum(1 for d in specs if d.example)
    if not n:
        return None
    return (f"{n} example deadline{'s' if n > 1 else ''} in deadlines.yaml {'are' if n > 1 else 'is'} inert "
            "(never sent, shown as \"(ví dụ)\"): to make one real, set its date and remove `example: true`, "
            "or add real ones with /hanmoi or `python -m bot deadlines add`")


def due_utc(due_local: str, tz: ZoneInfo) -> datetime:
    return datetime.strptime(due_local, DUE_FORMAT).replace(tzinfo=tz).astimezone(UTC)


def next_occurrence(due_at: datetime, repeat: str | None, now: datetime) -> datetime:
    """The occurrence reminders are about: the deadline itself, or for a yearly one the
    first anniversary not yet past."""
    if repeat != "yearly" or due_at > now:
        return due_at
    years = now.year - due_at.year
    while True:
        candidate = _add_years(due_at, years)
        if candidate > now:
            return candidate
        years += 1


def _add_years(at: datetime, years: int) -> datetime:
    try:
        return at.replace(year=at.year + years)
    except ValueError:  # 29 February
        return at.replace(year=at.year + years, day=28)


@dataclass(frozen=True)
class Slot:
    offset: int  # days before the deadline
    send_at: datetime  # UTC


def slots(due_at: datetime, offsets: list[int], send_time: str, tz: ZoneInfo) -> list[Slot]:
    """When each reminder goes: `offset` days before the due date, at `send_time` local
    time; on the day itself no later than the deadline (a deadline at 07:00 is
    reminded at 07:00, not after it). Latest first."""
    local_due = due_at.astimezone(tz)
    at = parse_hhmm(send_time)
    out = []
    for offset in sorted(set(offsets)):
        day: date = local_due.date() - timedelta(days=offset)
        send = datetime.combine(day, at, tzinfo=tz)
        if send > local_due:
            send = local_due
        out.append(Slot(offset, send.astimezone(UTC)))
    return out


def in_quiet_hours(at: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> datetime | None:
    """None outside quiet hours; inside, when they end (UTC)."""
    start, end = quiet
    local = at.astimezone(tz)
    t = local.time()
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if start > end and t >= start else local.date()
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)


def parse_quiet(value: str) -> tuple[time, time]:
    """'21:00-07:00' -> (21:00, 07:00)."""
    parts = value.replace(" ", "").split("-")
    if len(parts) != 2:
        raise ValueError("quiet hours as HH:MM-HH:MM, e.g. 21:00-07:00")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start == end:
        raise ValueError("quiet hours must not start and end at the same time")
    return start, end
