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

A row names its deadline and occurrence; its text ("còn 2 ngày") and its choices
are made when it is sent (`reminder_at_send`), so a reminder deferred to the
morning says what is true in the morning, and its "1" answers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session

from content.deadlines import AUDIENCE_LEADERS, DeadlineSpec, due_utc, in_quiet_hours, next_occurrence, slots
from handlers import texts
from handlers.deadlines import choices as dc
from handlers.events import Choice, Reply, reply_to_dict
from handlers.qa import choices as qc
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
    return dc.ACK.encode(d.id, int(due.timestamp()))


def reminder_reply(d: Deadline, due: datetime, now: datetime, tz: ZoneInfo) -> Reply:
    text = texts.REMINDER.format(title=d.title, when=when_text(due, tz), left=left_text(due, now, tz))
    if d.note:
        text += f"\n{d.note}"
    if d.audience == AUDIENCE_LEADERS:  # "Đã nộp" of one leader stops the others' reminders (storage.ack)
        text += f"\n{texts.REMINDER_UNIT_WIDE}"
    text += f"\n{texts.REMINDER_STOP}"
    choices = [Choice(ack_choice(d, due), texts.REMINDER_DONE)]
    if d.entry_id:
        choices.append(Choice(qc.ENTRY.encode(d.entry_id), texts.REMINDER_GUIDE))
    choices.append(Choice(dc.DEADLINES.encode(), texts.MENU_DEADLINES))
    return Reply(text, choices)


def run_pass(s: Session, *, now: datetime, tz: ZoneInfo, quiet: tuple[time, time],
             specs: list[DeadlineSpec] | None = None) -> PassResult:
    """Write the due reminders into the outbox (not committed: the caller commits)."""
    result = PassResult()
    store = TurnStore(s)
    deadlines = store.deadlines
    if specs is not None:
        result.synced = deadlines.sync_content(content_fields(specs, tz))
    for d in deadlines.active():
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
        done = deadlines.sent_keys(prefix)
        users_acked, units_acked = deadlines.acked(d.id, due)  # type: ignore[arg-type]
        morning = in_quiet_hours(now, quiet, tz)
        # The text as of now is kept too: what `outbox` shows, and what is sent should the
        # deadline be gone by then.
        payload = {"reply": reply_to_dict(reminder_reply(d, due, now, tz)),
                   "reminder": {"deadline": d.id, "due": int(due.timestamp()), "tz": tz.key}}
        for person in deadlines.recipients(d.audience):
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
            # Due from the moment of the pass (a pass run for a moment to come, `--now`, is
            # sent by a worker only then), or from the morning.
            ids = store.add_outbox([OutboxRow(key, person.channel, person.external_id, "notice", payload,
                                              not_before=morning or now)])
            if ids:
                (result.deferred if morning is not None else result.queued).extend(ids)
    return result


def reminder_at_send(s: Session, row: OutboxMessage, now: datetime) -> Reply | None:
    """The reminder a row holds, made now: its text counts the days from now, and its
    choices become its recipient's last list (after those of the reminders just before
    it, numbered on from them). None when its deadline has passed or was cancelled: it is
    not sent. Not committed: the caller commits before sending."""
    spec = row.payload["reminder"]
    store = TurnStore(s)
    d = store.deadlines.get(int(spec["deadline"]))
    due = datetime.fromtimestamp(int(spec["due"]), tz=UTC)
    if d is None or d.status != "active" or due <= now:
        return None
    reply = reminder_reply(d, due, now, ZoneInfo(spec["tz"]))
    user_id = store.user_id(row.channel, row.chat_id)
    first = None if user_id is None else store.add_notice_choices(
        user_id, str(row.id), [{"id": c.id, "label": c.label} for c in reply.choices])
    return replace(reply, number_from=first or 1)
