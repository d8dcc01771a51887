"""Queries of good-example reports: codes, submission, files, decisions, listings.

Every function takes the caller's session and does not commit: a turn writes the
report, its files, its first event and the officers' notices in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import Profile, Report, ReportCounter, ReportEvent, ReportFile, StoredFile, User, utcnow
from storage.sql import insert_ignore

OPEN = ("pending", "needs_info")  # a report an officer can still decide, and its submitter withdraw
STATUSES = ("pending", "needs_info", "approved", "rejected", "withdrawn")


def code_of(year: int, number: int) -> str:
    return f"GT-{year}-{number:04d}"


def next_number(s: Session, year: int) -> int:
    """The next report number of `year`. The counter row is updated in the caller's
    transaction: on PostgreSQL the row lock makes a second instance wait until this
    turn commits or rolls back, so numbers are neither repeated nor skipped."""
    s.execute(insert_ignore(s, ReportCounter, {"year": year, "last": 0}, ["year"]))
    row = s.execute(update(ReportCounter).where(col(ReportCounter.year) == year)
                    .values(last=col(ReportCounter.last) + 1).returning(ReportCounter.last)).first()
    assert row is not None
    return int(row[0])


def by_submit_key(s: Session, key: str) -> Report | None:
    return s.exec(select(Report).where(Report.submit_key == key)).first()


@dataclass(frozen=True)
class NewReport:
    user_id: int
    channel: str
    chat_id: str
    submitter_name: str
    submitter_unit_id: str | None
    subject_kind: str
    subject_name: str
    subject_unit_id: str | None
    criterion: str
    story: str
    happened_on: date
    submit_key: str  # the draft's id: one draft makes one report, however often Confirm arrives
    happened_precision: str = "day"  # day | month | year: "tháng trước" is a month, not a day


def submit(s: Session, new: NewReport, file_ids: Iterable[int], by: str, now: datetime | None = None, *,
           tz: tzinfo) -> Report:
    """Store the report with its code, files and "submitted" event; a draft already
    stored (Confirm pressed twice) returns the stored report and takes no number. The
    code's year is the year in `tz`, the bot's time zone: a report sent at 00:30 on
    1 January in Vietnam is of the new year, though it is still 31 December in UTC."""
    existing = by_submit_key(s, new.submit_key)
    if existing is not None:
        return existing
    now = now or utcnow()
    year = now.astimezone(tz).year
    number = next_number(s, year)
    row = Report(code=code_of(year, number), year=year, status="pending", created_at=now, updated_at=now,
                 **{k: getattr(new, k) for k in NewReport.__dataclass_fields__})
    s.add(row)
    s.flush()
    add_files(s, row.id, file_ids, "submission")  # type: ignore[arg-type]
    add_event(s, row.id, "submitted", by, new.submitter_name)  # type: ignore[arg-type]
    return row


def add_files(s: Session, report_id: int, file_ids: Iterable[int], stage: str) -> None:
    for fid in file_ids:
        s.add(ReportFile(report_id=report_id, file_id=fid, stage=stage))
    s.flush()


def add_event(s: Session, report_id: int, kind: str, by: str, by_name: str | None, note: str | None = None) -> None:
    s.add(ReportEvent(report_id=report_id, kind=kind, by=by, by_name=by_name, note=note))
    s.flush()


def get(s: Session, report_id: int) -> Report | None:
    return s.get(Report, report_id, populate_existing=True)


def of_user(s: Session, user_id: int, limit: int = 20) -> list[Report]:
    return list(s.exec(select(Report).where(Report.user_id == user_id)
                       .order_by(col(Report.id).desc()).limit(limit)))


def pending(s: Session, after_id: int = 0) -> list[Report]:
    """Reports waiting for an officer, oldest first ("cần bổ sung" ones wait for the submitter)."""
    return list(s.exec(select(Report).where(Report.status == "pending", col(Report.id) > after_id)
                       .order_by(col(Report.id))))


def count_pending(s: Session) -> int:
    return s.exec(select(func.count()).select_from(Report).where(Report.status == "pending")).one()


def files_of(s: Session, report_id: int) -> list[StoredFile]:
    q = (select(StoredFile).join(ReportFile, col(ReportFile.file_id) == col(StoredFile.id))
         .where(ReportFile.report_id == report_id).order_by(col(ReportFile.id)))
    return list(s.exec(q))


def file_count(s: Session, report_id: int) -> int:
    return s.exec(select(func.count()).select_from(ReportFile).where(ReportFile.report_id == report_id)).one()


def events_of(s: Session, report_id: int) -> list[ReportEvent]:
    return list(s.exec(select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(col(ReportEvent.id))))


def decide(s: Session, report_id: int, status: str, *, by: str, name: str | None, note: str | None = None,
           award: str | None = None, from_statuses: tuple[str, ...] = ("pending",),
           at: datetime | None = None) -> bool:
    """Record a decision unless the report left `from_statuses` meanwhile (another
    officer decided it a moment ago, or its submitter withdrew it): the conditional
    update makes two decisions exclusive. The event is written with it."""
    now = at or utcnow()
    done = s.execute(update(Report)
                     .where(col(Report.id) == report_id, col(Report.status).in_(from_statuses))
                     .values(status=status, review_note=note, proposed_award=award, reviewed_by=by,
                             reviewer_name=name, reviewed_at=now, updated_at=now))
    if done.rowcount != 1:
        return False
    add_event(s, report_id, status if status != "needs_info" else "asked_more", by, name, note)
    return True


def withdraw(s: Session, report_id: int, user_id: int, by: str, name: str | None) -> bool:
    """The submitter takes back a report nobody has decided yet."""
    now = utcnow()
    done = s.execute(update(Report)
                     .where(col(Report.id) == report_id, col(Report.user_id) == user_id,
                            col(Report.status).in_(OPEN))
                     .values(status="withdrawn", updated_at=now))
    if done.rowcount != 1:
        return False
    add_event(s, report_id, "withdrawn", by, name)
    return True


def add_more(s: Session, report_id: int, user_id: int, text: str | None, file_ids: list[int], by: str,
             name: str | None) -> bool:
    """The submitter's answer to "cần bổ sung": the text and files join the report,
    which goes back to the officers."""
    now = utcnow()
    done = s.execute(update(Report)
                     .where(col(Report.id) == report_id, col(Report.user_id) == user_id,
                            col(Report.status) == "needs_info")
                     .values(status="pending", updated_at=now))
    if done.rowcount != 1:
        return False
    add_files(s, report_id, file_ids, "addition")
    add_event(s, report_id, "added", by, name, text)
    return True


def additions(s: Session, report_id: int) -> list[str]:
    return [e.note for e in events_of(s, report_id) if e.kind == "added" and e.note]


def select_for_export(s: Session, status: str | None = None, since: date | None = None,
                      award: str | None = None, *, tz: tzinfo) -> list[Report]:
    """Reports for an export, oldest first: by status, submitted on or after `since`
    (a local date), by proposed award."""
    q = select(Report)
    if status:
        q = q.where(Report.status == status)
    if since:
        q = q.where(col(Report.created_at) >= datetime(since.year, since.month, since.day, tzinfo=tz).astimezone(UTC))
    if award:
        q = q.where(Report.proposed_award == award)
    return list(s.exec(q.order_by(col(Report.id))))


def person_name(s: Session, ref: str | None) -> str | None:
    """The name of a person known as "channel:external id" (an officer who decided):
    the full name in their profile, else their messenger name; None when neither is known."""
    if not ref or ":" not in ref:
        return None
    channel, external_id = ref.split(":", 1)
    row = s.exec(select(User.display_name, Profile.full_name)
                 .join(Profile, col(Profile.user_id) == col(User.id), isouter=True)
                 .where(User.channel == channel, User.external_id == external_id)).first()
    if row is None:
        return None
    display, full = row
    return full or display or None


class ReportStore:
    """The reports' queries on one session (a turn's, the console's, the export command's):
    what the features call, so none of them holds the raw session."""

    def __init__(self, s: Session):
        self._s = s

    def get(self, report_id: int) -> Report | None:
        return get(self._s, report_id)

    def of_user(self, user_id: int, limit: int = 20) -> list[Report]:
        return of_user(self._s, user_id, limit)

    def pending(self, after_id: int = 0) -> list[Report]:
        return pending(self._s, after_id)

    def count_pending(self) -> int:
        return count_pending(self._s)

    def files_of(self, report_id: int) -> list[StoredFile]:
        return files_of(self._s, report_id)

    def file_count(self, report_id: int) -> int:
        return file_count(self._s, report_id)

    def events_of(self, report_id: int) -> list[ReportEvent]:
        return events_of(self._s, report_id)

    def additions(self, report_id: int) -> list[str]:
        return additions(self._s, report_id)

    def person_name(self, ref: str | None) -> str | None:
        return person_name(self._s, ref)

    def submit(self, new: NewReport, file_ids: Iterable[int], by: str, *, tz: tzinfo) -> Report:
        return submit(self._s, new, file_ids, by, tz=tz)

    def decide(self, report_id: int, status: str, *, by: str, name: str | None, note: str | None = None,
               award: str | None = None, from_statuses: tuple[str, ...] = ("pending",),
               at: datetime | None = None) -> bool:
        return decide(self._s, report_id, status, by=by, name=name, note=note, award=award,
                      from_statuses=from_statuses, at=at)

    def withdraw(self, report_id: int, user_id: int, by: str, name: str | None) -> bool:
        return withdraw(self._s, report_id, user_id, by, name)

    def add_more(self, report_id: int, user_id: int, text: str | None, file_ids: list[int], by: str,
                 name: str | None) -> bool:
        return add_more(self._s, report_id, user_id, text, file_ids, by, name)

    def select_for_export(self, status: str | None = None, since: date | None = None, award: str | None = None,
                          *, tz: tzinfo) -> list[Report]:
        return select_for_export(self._s, status, since, award, tz=tz)
