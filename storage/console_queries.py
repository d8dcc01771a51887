"""What the officers' console reads: counts for the dashboard, the reports list and a
report, the Office's questions. Read-only; each function takes the caller's session.
Decisions and answers are not here: they go through the features' services, which
also notify the staff member."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import (
    Deadline,
    OfficeQuestion,
    OutboxMessage,
    Profile,
    QuestionLog,
    ReminderAck,
    Report,
    ReportEvent,
    ReportFile,
    StoredFile,
    User,
    aware,
    utcnow,
)
from storage.reminders import EXAMPLE_BY, outbox_counts, recipients

UNANSWERED = ("fallback", "clarify")


@dataclass(frozen=True)
class DeadlineProgress:
    deadline: Deadline
    acknowledged: int
    total: int


@dataclass(frozen=True)
class AskedQuestion:
    text: str
    count: int
    last_asked: datetime


def count_reports(s: Session, status: str) -> int:
    return s.exec(select(func.count(col(Report.id))).where(Report.status == status)).one()


def count_open_questions(s: Session) -> int:
    return s.exec(select(func.count(col(OfficeQuestion.id))).where(OfficeQuestion.status == "open")).one()


def coming_deadlines(s: Session, now: datetime | None = None, limit: int = 8) -> list[DeadlineProgress]:
    """Active deadlines not yet due, soonest first, with how many of the people they concern
    (reachable, reminders on) said "Đã nộp" for this occurrence."""
    now = aware(now or utcnow())
    rows = s.exec(select(Deadline).where(Deadline.status == "active", Deadline.due_at >= now)
                  .order_by(Deadline.due_at, Deadline.id).limit(limit))
    out = []
    for d in rows:
        acked = s.exec(select(func.count(col(ReminderAck.id))).where(
            ReminderAck.deadline_id == d.id, ReminderAck.due_at == d.due_at)).one()
        total = 0 if d.created_by == EXAMPLE_BY else len(recipients(s, d.audience))
        out.append(DeadlineProgress(d, acked, max(total, acked)))
    return out


def questions_per_day(s: Session, tz: ZoneInfo, days: int = 30,
                      now: datetime | None = None) -> list[tuple[date, Counter]]:
    """For each of the last `days` local days (oldest first), the questions asked by outcome
    (answer, clarify, fallback). Counted here rather than by SQL: the day is a local one,
    and SQLite and PostgreSQL say 'the date in Asia/Ho_Chi_Minh' differently."""
    now = aware(now or utcnow())
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time(0), tz)
    per_day: dict[date, Counter] = {first + timedelta(days=i): Counter() for i in range(days)}
    for at, outcome in s.exec(select(QuestionLog.created_at, QuestionLog.outcome)
                              .where(QuestionLog.created_at >= since)):
        day = aware(at).astimezone(tz).date()
        if day in per_day:
            per_day[day][outcome] += 1
    return sorted(per_day.items())


def most_asked_unanswered(s: Session, since: datetime, limit: int = 10) -> list[AskedQuestion]:
    """Questions the bot declined or could only clarify since `since`, the most asked first,
    spelling variants counted together (by their normalised form)."""
    q = (select(func.max(QuestionLog.text), func.count(col(QuestionLog.id)), func.max(QuestionLog.created_at))
         .where(col(QuestionLog.outcome).in_(UNANSWERED), QuestionLog.created_at >= since)
         .group_by(QuestionLog.normalized)
         .order_by(func.count(col(QuestionLog.id)).desc(), func.max(QuestionLog.created_at).desc())
         .limit(limit))
    return [AskedQuestion(text, n, aware(last)) for text, n, last in s.exec(q)]


WITHOUT_AWARD = "chua-de-xuat"  # the award filter's value for reports with no award proposed


def reports(s: Session, *, status: str | None = None, unit: str | None = None, since: date | None = None,
            until: date | None = None, criterion: str | None = None, award: str | None = None, tz: ZoneInfo,
            limit: int | None = 200, oldest_first: bool = False) -> list[Report]:
    """Reports, the newest first (the exports: oldest first); `unit` matches the subject's unit
    or the submitter's; `since`/`until` are local days of submission, both included; `award`
    an award id or WITHOUT_AWARD."""
    q = select(Report)
    if status:
        q = q.where(Report.status == status)
    if unit:
        q = q.where((col(Report.subject_unit_id) == unit) | (col(Report.submitter_unit_id) == unit))
    if since:
        q = q.where(Report.created_at >= datetime.combine(since, time(0), tz))
    if until:
        q = q.where(Report.created_at < datetime.combine(until + timedelta(days=1), time(0), tz))
    if criterion:
        q = q.where(Report.criterion == criterion)
    if award == WITHOUT_AWARD:
        q = q.where(col(Report.proposed_award).is_(None))
    elif award:
        q = q.where(Report.proposed_award == award)
    order = (col(Report.id),) if oldest_first else (col(Report.created_at).desc(), col(Report.id).desc())
    q = q.order_by(*order)
    return list(s.exec(q.limit(limit) if limit is not None else q))


def report_by_code(s: Session, code: str) -> Report | None:
    return s.exec(select(Report).where(Report.code == code)).first()


def report_files(s: Session, report_id: int) -> list[tuple[ReportFile, StoredFile]]:
    rows = s.exec(select(ReportFile, StoredFile).join(StoredFile, col(StoredFile.id) == col(ReportFile.file_id))
                  .where(ReportFile.report_id == report_id).order_by(ReportFile.id))
    return [(rf, f) for rf, f in rows]


def report_events(s: Session, report_id: int) -> list[ReportEvent]:
    return list(s.exec(select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)))


def report_file(s: Session, code: str, file_id: int) -> StoredFile | None:
    """A stored file when it is attached to report `code`: the console serves nothing else."""
    return s.exec(select(StoredFile).join(ReportFile, col(ReportFile.file_id) == col(StoredFile.id))
                  .join(Report, col(Report.id) == col(ReportFile.report_id))
                  .where(Report.code == code, StoredFile.id == file_id)).first()


def office_questions(s: Session, status: str, limit: int = 100) -> list[OfficeQuestion]:
    """Open questions oldest first (the longest waiting at the top); answered ones newest first."""
    order = (col(OfficeQuestion.created_at), col(OfficeQuestion.id)) if status == "open" else (
        col(OfficeQuestion.answered_at).desc(), col(OfficeQuestion.id).desc())
    return list(s.exec(select(OfficeQuestion).where(OfficeQuestion.status == status).order_by(*order).limit(limit)))


# --- the reminders page -------------------------------------------------------------------

@dataclass(frozen=True)
class Delivery:
    """One reminder or announcement message to one person, as the outbox holds it."""

    row: OutboxMessage
    name: str  # the person's messenger name, else their id


@dataclass(frozen=True)
class Acknowledged:
    ack: ReminderAck
    name: str
    unit_id: str | None  # the unit the ack covers (unit leaders), else the person's own


def deadlines(s: Session) -> list[Deadline]:
    """Every deadline, active or cancelled, by due date."""
    return list(s.exec(select(Deadline).order_by(col(Deadline.due_at), col(Deadline.id))))


def outbox_by_status(s: Session, prefix: str) -> dict[str, int]:
    """Messages whose outbox key starts with `prefix`, by status (sent, failed, ...)."""
    return outbox_counts(s, prefix)


def deliveries(s: Session, prefix: str, limit: int = 500, statuses: tuple[str, ...] = ()) -> list[Delivery]:
    """The outbox rows whose key starts with `prefix` (one deadline's reminders), of these
    statuses (all when none), oldest first."""
    q = (select(OutboxMessage, User.display_name)
         .join(User, (col(User.channel) == col(OutboxMessage.channel))
               & (col(User.external_id) == col(OutboxMessage.chat_id)), isouter=True)
         .where(col(OutboxMessage.dedup_key).startswith(prefix)))
    if statuses:
        q = q.where(col(OutboxMessage.status).in_(statuses))
    rows = s.exec(q.order_by(col(OutboxMessage.id)).limit(limit))
    return [Delivery(row, name or f"{row.channel}:{row.chat_id}") for row, name in rows]


def acknowledgements(s: Session, deadline_id: int) -> list[Acknowledged]:
    rows = s.exec(select(ReminderAck, User.display_name, User.channel, User.external_id, Profile.unit_id)
                  .join(User, col(User.id) == col(ReminderAck.user_id))
                  .join(Profile, col(Profile.user_id) == col(User.id), isouter=True)
                  .where(ReminderAck.deadline_id == deadline_id).order_by(col(ReminderAck.created_at)))
    return [Acknowledged(a, name or f"{ch}:{ext}", a.unit_id or unit) for a, name, ch, ext, unit in rows]


def acks_of(s: Session, deadline_id: int, due_at: datetime) -> int:
    return s.exec(select(func.count(col(ReminderAck.id))).where(
        ReminderAck.deadline_id == deadline_id, ReminderAck.due_at == due_at)).one()


def reach(s: Session, audience: str) -> Counter:
    """How many people a message to `audience` reaches now, by channel (those /thongbao
    sends to: reachable, reminders on)."""
    return Counter(p.channel for p in recipients(s, audience))


def deadline_by_id(s: Session, deadline_id: int) -> Deadline | None:
    return s.get(Deadline, deadline_id)
