"""Queries of the reminders: deadlines, who is reminded, acknowledgements (the staff profile
they read is in storage/profiles.py; the announcements sent to the same people are in
storage/announcements.py).

Every function takes the caller's session and does not commit, so a reminder
pass or a turn writes its rows in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import Deadline, OutboxMessage, Profile, ReminderAck, User, aware, utcnow
from storage.sql import insert_ignore

CONTENT_KEY = "content:"
# `created_by` of a deadline deadlines.yaml marks `example: true`: listed, never sent.
EXAMPLE_BY = "content:example"
REMINDER_KEY = "rem:"  # outbox keys of reminders: rem:<deadline id>:<due>:<offset>:<channel>:<user>


@dataclass(frozen=True)
class Person:
    user_id: int
    channel: str
    external_id: str
    unit_id: str | None
    is_leader: bool


def reminder_prefix(deadline_id: int, due: datetime | None = None) -> str:
    """Outbox keys of a deadline's reminders (of one occurrence when `due` is given)."""
    return f"{REMINDER_KEY}{deadline_id}:" + (f"{int(due.timestamp())}:" if due is not None else "")


# --- deadlines --------------------------------------------------------------------

def active_deadlines(s: Session) -> list[Deadline]:
    return list(s.exec(select(Deadline).where(Deadline.status == "active").order_by(Deadline.due_at, Deadline.id)))


def is_example(d: Deadline) -> bool:
    return d.created_by == EXAMPLE_BY


def deadline(s: Session, deadline_id: int) -> Deadline | None:
    return s.get(Deadline, deadline_id)


def save_deadline(s: Session, row: Deadline) -> Deadline:
    """Insert or update; a changed due date or schedule drops the reminders not yet sent."""
    if row.id is not None:
        with s.no_autoflush:  # what the database holds, not the changed object
            before = s.execute(select(Deadline.due_at, Deadline.offsets, Deadline.send_time)
                               .where(Deadline.id == row.id)).first()
        if before is not None and (aware(before[0]), before[1], before[2]) != (
                aware(row.due_at), row.offsets, row.send_time):
            drop_pending_reminders(s, row.id)
    row.updated_at = utcnow()
    s.add(row)
    s.flush()
    return row


def cancel_deadline(s: Session, deadline_id: int) -> Deadline | None:
    row = s.get(Deadline, deadline_id)
    if row is None or row.status != "active":
        return None
    row.status = "cancelled"
    row.updated_at = utcnow()
    s.add(row)
    drop_pending_reminders(s, deadline_id)
    s.flush()
    return row


def drop_pending_reminders(s: Session, deadline_id: int, chat: tuple[str, str] | None = None) -> int:
    """Reminders of this deadline queued but not sent (deferred to the morning, or
    waiting for the messenger) are not sent any more."""
    q = (update(OutboxMessage)
         .where(col(OutboxMessage.dedup_key).startswith(reminder_prefix(deadline_id)),
                col(OutboxMessage.status) == "pending"))
    if chat is not None:
        q = q.where(col(OutboxMessage.channel) == chat[0], col(OutboxMessage.chat_id) == chat[1])
    return s.execute(q.values(status="cancelled").execution_options(synchronize_session=False)).rowcount or 0


def sync_content_deadlines(s: Session, wanted: dict[str, dict]) -> int:
    """Make the deadlines of content/deadlines.yaml (by key) what the file says; those
    removed from the file are cancelled. One an officer cancelled stays cancelled until
    the file changes it. Returns how many rows changed."""
    changed = 0
    existing = {d.key: d for d in s.exec(select(Deadline).where(col(Deadline.key).startswith(CONTENT_KEY)))}
    for key, fields in wanted.items():
        row = existing.get(key)
        if row is None:
            # Two instances (or two turns) may sync at once: the second insert is a no-op.
            values = {"key": key, "status": "active", "created_by": "content", "created_at": utcnow(),
                      "updated_at": utcnow(), **fields}
            changed += s.execute(insert_ignore(s, Deadline, values, ["key"])).rowcount or 0
            continue
        current = {name: (aware(getattr(row, name)) if name == "due_at" else getattr(row, name)) for name in fields}
        if current != fields:  # the file changed: it wins (and revives one cancelled in chat)
            for name, value in fields.items():
                setattr(row, name, value)
            row.status = "active"
            save_deadline(s, row)
            changed += 1
    for key, row in existing.items():
        if key not in wanted and row.status == "active":
            cancel_deadline(s, row.id)  # type: ignore[arg-type]
            changed += 1
    return changed


# --- people -------------------------------------------------------------------------

def audience_filter(audience: str):  # noqa: ANN201
    if audience == "unit_leaders":
        return col(Profile.is_leader).is_(True)
    if audience.startswith("unit:"):
        return col(Profile.unit_id) == audience[len("unit:"):]
    return col(Profile.user_id).is_not(None)


def recipients(s: Session, audience: str, subscribed_only: bool = True) -> list[Person]:
    """People a message for `audience` goes to: reachable, with reminders on."""
    q = (select(User.id, User.channel, User.external_id, Profile.unit_id, Profile.is_leader)
         .join(Profile, col(Profile.user_id) == col(User.id))
         .where(col(User.unreachable_at).is_(None), audience_filter(audience)))
    if subscribed_only:
        q = q.where(col(Profile.reminders).is_(True))
    return [Person(uid, ch, ext, unit, bool(lead)) for uid, ch, ext, unit, lead in s.exec(q.order_by(User.id))]


def concerns(d: Deadline, p: Profile | None) -> bool:
    """Whether a deadline is for this person."""
    if d.audience == "all":
        return True
    if p is None:
        return False
    if d.audience == "unit_leaders":
        return bool(p.is_leader)
    return p.unit_id == d.audience[len("unit:"):]


# --- acknowledgements ------------------------------------------------------------------

def acked(s: Session, deadline_id: int, due_at: datetime) -> tuple[set[int], set[str]]:
    """Users who said 'Đã nộp' for this occurrence, and units whose leader did."""
    users, units = set(), set()
    for uid, unit in s.exec(select(ReminderAck.user_id, ReminderAck.unit_id).where(
            ReminderAck.deadline_id == deadline_id, ReminderAck.due_at == due_at)):
        users.add(uid)
        if unit:
            units.add(unit)
    return users, units


ACKED, ACKED_BEFORE, NOT_CONCERNED = "acked", "before", "not_concerned"


def ack(s: Session, d: Deadline, due_at: datetime, user: User, p: Profile | None) -> str:
    """Record 'Đã nộp': ACKED, ACKED_BEFORE, or NOT_CONCERNED when the deadline is not for
    this person (the button's data can be forged on Telegram). For a unit-leaders deadline
    it covers the unit, so its other leaders are not reminded either: only a leader of
    that unit may say so."""
    if not concerns(d, p):
        return NOT_CONCERNED
    exists = s.exec(select(ReminderAck.id).where(ReminderAck.deadline_id == d.id, ReminderAck.due_at == due_at,
                                                 ReminderAck.user_id == user.id)).first()
    if exists is not None:
        return ACKED_BEFORE
    unit = p.unit_id if (p is not None and d.audience == "unit_leaders") else None
    s.add(ReminderAck(deadline_id=d.id, due_at=due_at, user_id=user.id, unit_id=unit))  # type: ignore[arg-type]
    drop_pending_reminders(s, d.id, (user.channel, user.external_id))  # type: ignore[arg-type]
    if unit:
        for other in recipients(s, f"unit:{unit}", subscribed_only=False):
            if other.is_leader:
                drop_pending_reminders(s, d.id, (other.channel, other.external_id))  # type: ignore[arg-type]
    s.flush()
    return ACKED


def ack_names(s: Session, deadline_id: int, due_at: datetime) -> list[str]:
    rows = s.exec(select(User.display_name, User.external_id).join(ReminderAck, col(ReminderAck.user_id) == col(User.id))
                  .where(ReminderAck.deadline_id == deadline_id, ReminderAck.due_at == due_at)
                  .order_by(ReminderAck.created_at))
    return [name or ext for name, ext in rows]


def reminded(s: Session, channel: str, chat_id: str) -> list[tuple[int, datetime]]:
    """(deadline id, occurrence) of the reminders sent to this chat, the latest first, each
    once (for a typed 'đã nộp'); keys are rem:<deadline id>:<due>:<offset>:<channel>:<user>."""
    keys = s.exec(select(OutboxMessage.dedup_key).where(
        OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id,
        col(OutboxMessage.dedup_key).startswith(REMINDER_KEY), col(OutboxMessage.status).in_(("sent", "sending")))
        .order_by(col(OutboxMessage.id).desc()))
    out: list[tuple[int, datetime]] = []
    for key in keys:
        parts = key.split(":")
        if len(parts) < 3 or not (parts[1].isdigit() and parts[2].isdigit()):
            continue
        item = (int(parts[1]), datetime.fromtimestamp(int(parts[2]), tz=UTC))
        if item not in out:
            out.append(item)
    return out


# --- reporting ------------------------------------------------------------------------------

def outbox_counts(s: Session, prefix: str) -> dict[str, int]:
    return {status: n for status, n in s.exec(
        select(OutboxMessage.status, func.count(OutboxMessage.id))
        .where(col(OutboxMessage.dedup_key).startswith(prefix)).group_by(OutboxMessage.status))}


class DeadlineStore:
    """The reminders' queries on one session (a turn's, the console's): what the features
    call, so none of them holds the raw session."""

    def __init__(self, s: Session):
        self._s = s

    def active(self) -> list[Deadline]:
        return active_deadlines(self._s)

    def get(self, deadline_id: int) -> Deadline | None:
        return deadline(self._s, deadline_id)

    def save(self, row: Deadline) -> Deadline:
        return save_deadline(self._s, row)

    def cancel(self, deadline_id: int) -> Deadline | None:
        return cancel_deadline(self._s, deadline_id)

    def sync_content(self, wanted: dict[str, dict]) -> int:
        return sync_content_deadlines(self._s, wanted)

    def recipients(self, audience: str, subscribed_only: bool = True) -> list[Person]:
        return recipients(self._s, audience, subscribed_only)

    def acked(self, deadline_id: int, due_at: datetime) -> tuple[set[int], set[str]]:
        return acked(self._s, deadline_id, due_at)

    def ack(self, d: Deadline, due_at: datetime, user: User, p: Profile | None) -> str:
        return ack(self._s, d, due_at, user, p)

    def ack_names(self, deadline_id: int, due_at: datetime) -> list[str]:
        return ack_names(self._s, deadline_id, due_at)

    def reminded(self, channel: str, chat_id: str) -> list[tuple[int, datetime]]:
        return reminded(self._s, channel, chat_id)

    def sent_keys(self, prefix: str) -> set[str]:
        """The outbox keys already written under this prefix (a deadline's occurrence)."""
        return set(self._s.exec(select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).startswith(prefix))))

    def outbox_counts(self, prefix: str) -> dict[str, int]:
        return outbox_counts(self._s, prefix)
