"""Tables. Changing one needs a migration in storage/migrations/versions."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives back naive UTC)."""
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_users_channel_external"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    display_name: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    # Set when the messenger said the person blocked the bot or left: notices are
    # not sent to them until they write again.
    unreachable_at: datetime | None = None


class ConversationState(SQLModel, table=True):
    """Where a user is in the conversation: the choices last offered, a form in progress."""

    __tablename__ = "conversation_states"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped by every committed turn; a turn that read an older version is run again.
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class QuestionLog(SQLModel, table=True):
    __tablename__ = "question_log"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    channel: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    normalized: str = Field(sa_column=Column(Text, nullable=False))
    outcome: str = Field(max_length=16, index=True)  # answer | clarify | fallback
    entry_id: str | None = Field(default=None, max_length=64)
    score: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ProcessedUpdate(SQLModel, table=True):
    """The inbox: every platform update accepted, keyed by its platform id so a
    redelivery is recognised. `payload` keeps the raw update until it is done,
    so one accepted but not finished (the process died) is run again on start."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_key", name="uq_processed_channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_key: str = Field(max_length=128)
    # pending (payload: the update) | done (its turn is committed) | failed (given up
    # after repeated attempts)
    status: str = Field(default="done", max_length=16, index=True)
    payload: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Who wrote it (the platform's user id): a newer message of theirs waits until
    # their older pending ones have had their turn, so a crash never reorders a conversation.
    user_key: str | None = Field(default=None, max_length=128, index=True)
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)


class StoredFile(SQLModel, table=True):
    """A file kept in the content-addressed store (storage/files.py): the bytes live
    under DATA_DIR/files/ab/cd/<sha256>, this row says who sent them and what they are.
    The same bytes may have several rows (several owners, or sent twice); they share
    one blob."""

    __tablename__ = "stored_files"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    mime_type: str = Field(max_length=128)
    original_name: str | None = Field(default=None, max_length=256)
    owner_user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    channel: str | None = Field(default=None, max_length=16)
    source_ref: str | None = Field(default=None, max_length=512)  # the platform's file_id or url
    created_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message to send: a reply to the person who wrote, or a notice to someone
    else. Written in the same transaction as the turn that produced it; the
    delivery worker sends it and records the outcome. `dedup_key` makes a message
    that could be produced twice (a replayed turn, a second instance) exist once."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=128, index=True)
    kind: str = Field(default="reply", max_length=16)  # reply | notice
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # pending | sending (claimed, `lease_until` set) | sent | failed | blocked | skipped (a stale
    # reminder, recorded to be counted once) | cancelled (its deadline was edited, cancelled or acknowledged)
    status: str = Field(default="pending", max_length=16, index=True)
    not_before: datetime = Field(default_factory=utcnow, index=True)
    lease_until: datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class OfficeQuestion(SQLModel, table=True):
    """A question a staff member sent to the Office ("Hỏi Văn phòng") and its answer."""

    __tablename__ = "office_questions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)
    asker_name: str | None = Field(default=None, max_length=256)
    question: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="open", max_length=16, index=True)  # open | answered
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_by: str | None = Field(default=None, max_length=160)  # channel:user id of the officer
    answerer_name: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    answered_at: datetime | None = None


class Profile(SQLModel, table=True):
    """What a person told the bot about themselves: their unit and whether they lead
    it (who their reminders are for), and whether they want reminders at all."""

    __tablename__ = "profiles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    full_name: str | None = Field(default=None, max_length=256)
    unit_id: str | None = Field(default=None, max_length=64, index=True)
    is_leader: bool | None = None  # None: not asked yet (a profile begun by a report)
    reminders: bool = False
    # STAFF_INVITE_CODE given once (good-example reports); when the privacy notice was shown.
    invite_ok: bool = False
    notice_seen_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class Deadline(SQLModel, table=True):
    """A deadline staff are reminded of: from content/deadlines.yaml (key "content:<id>")
    or added by an officer (in chat or with the CLI)."""

    __tablename__ = "deadlines"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)
    title: str = Field(max_length=300)
    due_at: datetime  # UTC
    audience: str = Field(default="all", max_length=80)
    offsets: list = Field(default_factory=lambda: [7, 3, 1, 0], sa_column=Column(JSON, nullable=False))
    send_time: str = Field(default="08:00", max_length=5)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    entry_id: str | None = Field(default=None, max_length=64)
    repeat: str | None = Field(default=None, max_length=16)
    status: str = Field(default="active", max_length=16, index=True)  # active | cancelled
    created_by: str | None = Field(default=None, max_length=160)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ReminderAck(SQLModel, table=True):
    """'Đã nộp': a person (and, for a unit-leaders deadline, their unit) needs no more
    reminders of this occurrence of the deadline."""

    __tablename__ = "reminder_acks"
    __table_args__ = (UniqueConstraint("deadline_id", "due_at", "user_id", name="uq_reminder_ack"),)

    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int = Field(foreign_key="deadlines.id", index=True)
    due_at: datetime
    user_id: int = Field(foreign_key="users.id")
    unit_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Announcement(SQLModel, table=True):
    """A message an officer sent to many people (/thongbao); its deliveries are outbox
    rows whose key starts with "ann:<id>:"."""

    __tablename__ = "announcements"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    audience: str = Field(max_length=80)
    recipients: int = 0
    created_by: str | None = Field(default=None, max_length=160)
    created_at: datetime = Field(default_factory=utcnow)


class Report(SQLModel, table=True):
    """A good example (gương người tốt, việc tốt) reported by a staff member.

    status: pending (chờ duyệt) | needs_info (cần bổ sung) | approved (đã duyệt) |
    rejected (không duyệt) | withdrawn (rút lại). The code GT-<year>-<nnnn> comes
    from `ReportCounter` in the same transaction, so codes have no gaps."""

    __tablename__ = "reports"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    year: int
    user_id: int = Field(foreign_key="users.id", index=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=128)  # where the submitter hears of decisions
    submitter_name: str = Field(max_length=256)
    submitter_unit_id: str | None = Field(default=None, max_length=64)
    subject_kind: str = Field(max_length=16)  # self | colleague | collective
    subject_name: str = Field(max_length=512)
    subject_unit_id: str | None = Field(default=None, max_length=64)
    criterion: str = Field(max_length=32)
    story: str = Field(sa_column=Column(Text, nullable=False))
    happened_on: date
    happened_precision: str = Field(default="day", max_length=8)  # day | month | year, as it was told
    status: str = Field(default="pending", max_length=16, index=True)
    proposed_award: str | None = Field(default=None, max_length=32)
    review_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reviewed_by: str | None = Field(default=None, max_length=160)  # channel:user id of the officer
    reviewer_name: str | None = Field(default=None, max_length=256)
    reviewed_at: datetime | None = None
    submit_key: str = Field(max_length=200, unique=True)  # the update that confirmed it: once only
    created_at: datetime = Field(default_factory=utcnow, index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class ReportFile(SQLModel, table=True):
    """A file attached to a report (evidence, or an addition after "cần bổ sung")."""

    __tablename__ = "report_files"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True)
    file_id: int = Field(foreign_key="stored_files.id")
    stage: str = Field(default="submission", max_length=16)  # submission | addition
    created_at: datetime = Field(default_factory=utcnow)


class ReportEvent(SQLModel, table=True):
    """What happened to a report, who did it and when: submitted, asked_more, added,
    approved, rejected, withdrawn. `note` holds the reason, the question or the addition."""

    __tablename__ = "report_events"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True)
    kind: str = Field(max_length=16)
    by: str = Field(max_length=160)  # channel:user id
    by_name: str | None = Field(default=None, max_length=256)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class ReportCounter(SQLModel, table=True):
    """The last report number given in a year; incremented in the report's own
    transaction (a row lock on PostgreSQL), so numbers are sequential without gaps."""

    __tablename__ = "report_counters"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class DownloadLink(SQLModel, table=True):
    """A one-time link to a stored file (an export or a report's file for an officer on
    Zalo, which cannot receive files): valid until `expires_at`, once."""

    __tablename__ = "download_links"

    token: str = Field(max_length=64, primary_key=True)
    file_id: int = Field(foreign_key="stored_files.id")
    file_name: str = Field(max_length=256)
    created_for: str = Field(max_length=160)  # channel:user id
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
