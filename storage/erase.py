"""Erasing a person's data (/xoahoso), in the caller's transaction.

What goes, and what the Office keeps (the texts in handlers/reports/texts.py say the
same to the person before and after):

- gone: the profile; every report not decided (pending, needs_info) or withdrawn,
  with its events, its file links and download links; the files the person sent
  that no kept report uses (stored_files rows; the blobs are the caller's to remove
  after the commit, see FileStore.drop_unreferenced); their questions to the Office,
  open or answered (a service to the person, not a council record); the questions
  they typed (question_log); users.display_name; the bodies of outbox rows already
  sent or given up that were addressed to them, concern a report or question erased
  here, or quote their name or a code or question erased here; the payload of their
  inbox rows given up (a failed update keeps what they typed);
- cancelled: unsent notices about the reports and questions erased (officers are
  not sent a story that no longer exists) and unsent reminders to them;
- kept: approved and rejected reports whole (the emulation council's records: the
  Office removes them under its own retention rules); the users row (channel and
  messenger id: the bot must still answer them, and kept reports point at it);
  their "Đã nộp" acknowledgements (they tell other unit leaders a deadline is done).

Nothing here commits and nothing touches the disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from storage.clean import stored_id
from storage.models import (
    DownloadLink,
    OfficeQuestion,
    OutboxMessage,
    ProcessedUpdate,
    Profile,
    QuestionLog,
    Report,
    ReportEvent,
    ReportFile,
    StoredFile,
    User,
)
from storage.outbox_order import UNSENT
from storage.reminders import REMINDER_KEY

KEPT = ("approved", "rejected")  # decided: the Office's records
MIN_NEEDLE = 5  # a shorter name ("Hà") would match unrelated words of other messages


@dataclass(frozen=True)
class ReportRef:
    id: int
    code: str
    status: str
    submitter_name: str


@dataclass(frozen=True)
class QuestionRef:
    id: int
    question: str


@dataclass
class Plan:
    """What `erase` would remove for a person, counted without writing."""

    profile: bool = False
    erased_reports: list[ReportRef] = field(default_factory=list)  # not decided, or withdrawn
    kept_reports: list[ReportRef] = field(default_factory=list)  # approved or rejected
    file_ids: list[int] = field(default_factory=list)
    office_questions: list[QuestionRef] = field(default_factory=list)
    logged_questions: int = 0

    @property
    def empty(self) -> bool:
        return not (self.profile or self.erased_reports or self.kept_reports or self.file_ids
                    or self.office_questions or self.logged_questions)


@dataclass
class Erased(Plan):
    messages_cleared: int = 0  # outbox bodies emptied
    messages_cancelled: int = 0  # unsent outbox rows not to be sent
    blobs: set[str] = field(default_factory=set)  # sha256 of the file rows deleted


def plan(s: Session, user_id: int) -> Plan:
    rows = [ReportRef(r.id, r.code, r.status, r.submitter_name)  # type: ignore[arg-type]
            for r in s.exec(select(Report).where(Report.user_id == user_id).order_by(col(Report.id)))]
    erased = [r for r in rows if r.status not in KEPT]
    questions = [QuestionRef(q.id, q.question) for q in s.exec(  # type: ignore[arg-type]
        select(OfficeQuestion).where(OfficeQuestion.user_id == user_id).order_by(col(OfficeQuestion.id)))]
    logged = s.exec(select(func.count()).select_from(QuestionLog).where(QuestionLog.user_id == user_id)).one()
    return Plan(profile=s.get(Profile, user_id) is not None, erased_reports=erased,
                kept_reports=[r for r in rows if r.status in KEPT],
                file_ids=_doomed_files(s, user_id, [r.id for r in erased]), office_questions=questions,
                logged_questions=logged)


def _doomed_files(s: Session, user_id: int, report_ids: list[int]) -> list[int]:
    """Files the person sent, and files of the reports erased, that no kept report uses."""
    owned = set(s.exec(select(StoredFile.id).where(StoredFile.owner_user_id == user_id)))
    attached = set(s.exec(select(ReportFile.file_id).where(col(ReportFile.report_id).in_(report_ids))))
    used = set(s.exec(select(ReportFile.file_id).where(col(ReportFile.report_id).not_in(report_ids))))
    return sorted((owned | attached) - used)  # type: ignore[type-var]


def erase(s: Session, user_id: int) -> Erased:
    """Remove what the module docstring lists; return what was removed (and the blobs
    whose rows went, for the caller to drop once the transaction is committed)."""
    found = plan(s, user_id)
    out = Erased(**{k: getattr(found, k) for k in Plan.__dataclass_fields__})
    user = s.get(User, user_id)
    assert user is not None
    report_ids = [r.id for r in found.erased_reports]
    question_ids = [q.id for q in found.office_questions]
    profile = s.get(Profile, user_id)
    needles = {r.code for r in found.erased_reports}
    needles |= {n for n in (profile.full_name if profile else None, user.display_name,
                            *(r.submitter_name for r in found.erased_reports)) if n and len(n) >= MIN_NEEDLE}
    needles |= {" ".join(q.question.split())[:60] for q in found.office_questions
                if len(q.question.strip()) >= MIN_NEEDLE}
    out.messages_cleared, out.messages_cancelled = _clear_outbox(
        s, (user.channel, user.external_id), [f"report:{i}:" for i in report_ids] + [f"office:{i}:" for i in question_ids],
        needles)

    if found.file_ids:
        out.blobs = set(s.exec(select(StoredFile.sha256).where(col(StoredFile.id).in_(found.file_ids))))
        s.execute(delete(DownloadLink).where(col(DownloadLink.file_id).in_(found.file_ids)))
        s.execute(delete(ReportFile).where(col(ReportFile.file_id).in_(found.file_ids)))
    if report_ids:
        s.execute(delete(ReportFile).where(col(ReportFile.report_id).in_(report_ids)))
        s.execute(delete(ReportEvent).where(col(ReportEvent.report_id).in_(report_ids)))
        s.execute(delete(Report).where(col(Report.id).in_(report_ids)))
    if found.file_ids:
        s.execute(delete(StoredFile).where(col(StoredFile.id).in_(found.file_ids)))
    if question_ids:
        s.execute(delete(OfficeQuestion).where(col(OfficeQuestion.id).in_(question_ids)))
    s.execute(delete(QuestionLog).where(col(QuestionLog.user_id) == user_id))
    # An update given up keeps what the person typed; a pending one is still to be answered.
    s.execute(update(ProcessedUpdate)
              .where(col(ProcessedUpdate.channel) == user.channel,
                     col(ProcessedUpdate.user_key) == user.external_id[:128],
                     col(ProcessedUpdate.status) == "failed")
              .values(payload=None))
    s.execute(delete(Profile).where(col(Profile.user_id) == user_id))
    s.execute(update(User).where(col(User.id) == user_id).values(display_name=None))
    s.expire_all()  # the ORM objects read above are gone or changed
    return out


def _clear_outbox(s: Session, chat: tuple[str, str], prefixes: list[str], needles: set[str]) -> tuple[int, int]:
    """Empty the bodies of rows no longer to be sent that concern the person; cancel
    unsent notices about what is erased and unsent reminders to them. Returns
    (bodies emptied, rows cancelled)."""
    channel, chat_id = chat[0], stored_id(chat[1])
    cleared = cancelled = 0
    rows = s.execute(select(OutboxMessage.id, OutboxMessage.dedup_key, OutboxMessage.channel,
                            OutboxMessage.chat_id, OutboxMessage.status, OutboxMessage.payload)).all()
    for row_id, key, row_channel, row_chat, status, payload in rows:
        if not payload:
            continue  # emptied already
        about = key.startswith(tuple(prefixes)) if prefixes else False
        to_them = (row_channel, row_chat) == (channel, chat_id)
        if status in UNSENT:
            # Unsent messages to them still go (this turn's own answer among them), except
            # reminders: their profile, and with it their reminders, is gone.
            if about or (to_them and key.startswith(REMINDER_KEY) and status == "pending"):
                cancelled += _set(s, row_id, status="cancelled", payload={})
            continue
        if about or to_them or _mentions(payload, needles):
            cleared += _set(s, row_id, payload={})
    return cleared, cancelled


def _mentions(payload: object, needles: Iterable[str]) -> bool:
    body = " ".join(" ".join(_strings(payload)).split())
    return any(n in body for n in needles)


def _strings(value: object) -> Iterable[str]:
    """Every text in a payload (the reply, its choices, captions, a quoted question)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _set(s: Session, row_id: int, **values: object) -> int:
    # `status == "pending"` kept in the condition for a row the worker claims meanwhile.
    q = update(OutboxMessage).where(col(OutboxMessage.id) == row_id)
    if values.get("status") == "cancelled":
        q = q.where(col(OutboxMessage.status) == "pending")
    return s.execute(q.values(**values).execution_options(synchronize_session=False)).rowcount or 0


class ErasureStore:
    """A person's erasure on one session (a turn's): what it would take, and doing it."""

    def __init__(self, s: Session):
        self._s = s

    def plan(self, user_id: int) -> Plan:
        return plan(self._s, user_id)

    def erase(self, user_id: int) -> Erased:
        return erase(self._s, user_id)
