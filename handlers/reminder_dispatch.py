"""One reminder pass: which (deadline, offset, person) reminders are due now, written
as outbox rows with unique keys. Run every minute by the scheduler, or once by
`python -m bot reminders dispatch`; two passes at once (two instances) insert
each row once, and the delivery worker sends each row once.

A pass at `now`, for each active deadline's next occurrence still ahead:
- the latest reminder slot already reached is due; earlier slots reached too
  (the bot was down) are recorded as skipped, never sent;
- people who said "Đã nộp" (or whose unit did, for unit leaders) are left out;
- inside quiet hours the row waits for the morning (deferred), unless the
  morning is after the deadline (then it is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from content.deadlines import DeadlineSpec, due_utc, in_quiet_hours, next_occurrence, slots
from handlers import texts
from handlers.events import Choice, Reply, reply_to_dict
from storage import reminders as q
from storage.models import Deadline, OutboxMessage, aware
from storage.turns import OutboxRow, TurnStore


@dataclass
class PassResult:
    queued: list[int] = field(default_factory=list)  # outbox ids to send now
    deferred: list[int] = field(default_factory=list)  # waiting for the end of quiet hours
    skipped: int = 0  # stale reminders recorded, not sent
    synced: int = 0  # content deadlines changed in the database


def content_fields(specs: list[DeadlineSpec], tz: ZoneInfo) -> dict[str, dict]:
    return {f"{q.CONTENT_KEY}{d.id}": {"title": d.title, "due_at": due_utc(d.due, tz), "audience": d.audience,
                                        "offsets": list(d.offsets), "send_time": d.send_time, "note": d.note,
                                        "entry_id": d.entry, "repeat": d.repeat,
                                        "created_by": q.EXAMPLE_BY if d.example else "content"} for d in specs}


def occurrence(d: Deadline, now: datetime) -> datetime:
    """The occurrence of a deadline that reminders are about at `now`."""
    return next_occurrence(aware(d.due_at), d.repeat, now)


def when_text(at: datetime, tz: ZoneInfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%H:%M} {texts.WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y}"


def left_text(due: datetime, now: datetime, tz: ZoneInfo) -> str:
    days = (due.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days <= 0:
        return texts.REMINDER_LEFT_TODAY
    if days == 1:
        return texts.REMINDER_LEFT_TOMORROW
    return texts.REMINDER_LEFT_DAYS.format(days=days)


def ack_choice(d: Deadline, due: datetime) -> str:
    return f"rem:ack:{d.id}:{int(due.timestamp())}"


def reminder_reply(d: Deadline, due: datetime, now: datetime, tz: ZoneInfo) -> Reply:
    text = texts.REMINDER.format(title=d.title, when=when_text(due, tz), left=left_text(due, now, tz))
    if d.note:
        text += f"\n{d.note}"
    choices = [Choice(ack_choice(d, due), texts.REMINDER_DONE)]
    if d.entry_id:
        choices.append(Choice(f"e:{d.entry_id}", texts.REMINDER_GUIDE))
    choices.append(Choice("m:deadlines", texts.MENU_DEADLINES))
    return Reply(text, choices)


def run_pass(s: Session, *, now: datetime, tz: ZoneInfo, quiet: tuple[time, time],
             specs: list[DeadlineSpec] | None = None) -> PassResult:
    """Write the due reminders into the outbox (not committed: the caller commits)."""
    result = PassResult()
    if specs is not None:
        result.synced = q.sync_content_deadlines(s, content_fields(specs, tz))
    store = TurnStore(s)
    for d in q.active_deadlines(s):
        if q.is_example(d):  # shipped as an example: shown "(ví dụ)", never sent
            continue
        due = occurrence(d, now)
        if due <= now:
            continue
        reached = [slot for slot in slots(due, d.offsets, d.send_time, tz) if slot.send_at <= now]
        if not reached:
            continue
        current = min(reached, key=lambda slot: slot.offset)
        stale = [slot for slot in reached if slot is not current]
        prefix = q.reminder_prefix(d.id, due)  # type: ignore[arg-type]
        done = set(s.exec(select(OutboxMessage.dedup_key).where(col(OutboxMessage.dedup_key).startswith(prefix))))
        users_acked, units_acked = q.acked(s, d.id, due)  # type: ignore[arg-type]
        morning = in_quiet_hours(now, quiet, tz)
        reply = reminder_reply(d, due, now, tz)
        payload = {"reply": reply_to_dict(reply)}
        choices = [{"id": c.id, "label": c.label} for c in reply.choices]
        for person in q.recipients(s, d.audience):
            if person.user_id in users_acked or (d.audience == "unit_leaders" and person.unit_id in units_acked):
                continue
            tail = f"{person.channel}:{person.external_id}"
            for slot in stale:
                key = f"{prefix}{slot.offset}:{tail}"
                if key not in done and store.add_outbox([OutboxRow(key, person.channel, person.external_id,
                                                                   "notice", payload, status="skipped")]):
                    result.skipped += 1
            key = f"{prefix}{current.offset}:{tail}"
            if key in done:
                continue
            if morning is not None and morning >= due:
                if store.add_outbox([OutboxRow(key, person.channel, person.external_id, "notice", payload,
                                               status="skipped")]):
                    result.skipped += 1
                continue
            ids = store.add_outbox([OutboxRow(key, person.channel, person.external_id, "notice", payload,
                                              not_before=morning)])
            if ids:
                (result.deferred if morning is not None else result.queued).extend(ids)
                store.offer_choices(person.user_id, choices)
    return result
