"""Deadlines, as chat (/hanmoi, "Đổi hạn", "Hủy hạn") and the officers' console both change
them: plain functions of the store and the acting officer. The audiences they check are the
announcements' too (handlers/announcements/)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from content.dates import DateNotUnderstood, parse_due
from content.deadlines import AUDIENCE_ALL, AUDIENCE_LEADERS, UNIT_PREFIX, check_offsets
from content.loader import KnowledgeBase
from content.normalize import fold
from handlers import texts
from handlers.deadlines.reminders import when_text
from handlers.flows import Invalid, text_between
from handlers.services import Actor, Outcome
from storage.models import Deadline, aware
from storage.turns import TurnStore

DEFAULT_OFFSETS = [7, 3, 1, 0]
TITLE = (5, 300)
NOTE_MAX = 1000


# --- reading what an officer typed (chat's steps and the console's fields) ---------------
def parse_due_text(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """'15/12/2026 17:00', '15/12/2026' (17:00), '15/12 17h' (this year), '2026-12-15 17:00'
    (content/dates.py reads them); in the future. Raises Invalid saying what to type."""
    try:
        due = parse_due(text, now, tz)
    except DateNotUnderstood:
        raise Invalid(texts.NEW_BAD_DUE.format(text=text.strip()[:40])) from None
    if due <= now:
        raise Invalid(texts.NEW_PAST_DUE.format(when=when_text(due, tz)))
    return due


def parse_offsets(text: str) -> list[int]:
    """'7, 3, 1, 0', '7 và 3', or 'mặc định'."""
    folded = text.strip().lower()
    if fold(folded) in ("mac dinh", "md", "mac dinh."):
        return DEFAULT_OFFSETS
    parts = [p for p in re.split(r"[,;\s]+", folded) if p and p not in ("và", "va", "ngày", "ngay")]
    try:
        return check_offsets([int(p) for p in parts])
    except ValueError:
        raise Invalid(texts.NEW_BAD_OFFSETS.format(text=text.strip()[:40])) from None


def parse_note(text: str) -> str:
    t = text.strip()
    if fold(t).strip(" .") in ("bo qua", "khong", "khong co", "-"):
        return ""
    if len(t) > NOTE_MAX:
        raise Invalid(texts.FLOW_TOO_LONG.format(what="Ghi chú", length=len(t), high="1.000"))
    return t


def audience_ok(kb: KnowledgeBase, audience: str) -> bool:
    if audience in (AUDIENCE_ALL, AUDIENCE_LEADERS):
        return True
    return audience.startswith(UNIT_PREFIX) and any(u.id == audience[len(UNIT_PREFIX):] for u in kb.units)


# --- the services ---------------------------------------------------------------------
def add(store: TurnStore, actor: Actor, *, title: str, due: datetime, audience: str, offsets: list[int],
        note: str, now: datetime, kb: KnowledgeBase, tz: ZoneInfo) -> Outcome:
    try:
        title = text_between(*TITLE, texts.NEW_WHAT_TITLE)(None, title)  # type: ignore[arg-type]
        offsets = check_offsets(list(offsets)) if offsets else list(DEFAULT_OFFSETS)
        note = parse_note(note or "")
    except Invalid as e:
        return Outcome(False, str(e))
    except ValueError:
        return Outcome(False, texts.NEW_BAD_OFFSETS.format(text=", ".join(map(str, offsets))[:40]))
    if aware(due) <= now:
        return Outcome(False, texts.NEW_PAST_DUE.format(when=when_text(aware(due), tz)))
    if not audience_ok(kb, audience):
        return Outcome(False, texts.STALE_CHOICE)
    row = store.deadlines.save(Deadline(
        key=f"chat:{uuid.uuid4().hex[:12]}", title=title, due_at=due, audience=audience, offsets=offsets,
        note=note or None, created_by=actor.by))
    return Outcome(True, texts.NEW_CREATED.format(id=row.id, title=row.title), ref=row.id)


def cancel(store: TurnStore, actor: Actor, deadline_id: int) -> Outcome:  # noqa: ARG001 - who: the audit's
    row = store.deadlines.cancel(deadline_id)
    if row is None:
        return Outcome(False, texts.REMINDER_STALE)
    return Outcome(True, texts.CANCEL_DONE.format(title=row.title), ref=row.id)


def move(store: TurnStore, actor: Actor, deadline_id: int, due: datetime, *, now: datetime,  # noqa: ARG001
         tz: ZoneInfo) -> Outcome:
    """A new due date; the reminders not sent yet are dropped and planned again."""
    row = store.deadlines.get(deadline_id)
    if row is None or row.status != "active":
        return Outcome(False, texts.REMINDER_STALE)
    if aware(due) <= now:
        return Outcome(False, texts.NEW_PAST_DUE.format(when=when_text(aware(due), tz)))
    row.due_at = due
    store.deadlines.save(row)
    return Outcome(True, texts.EDIT_DONE.format(title=row.title, when=when_text(aware(row.due_at), tz)), ref=row.id)


def reach(store: TurnStore, audience: str) -> int:
    """How many people reminders, or an announcement, to `audience` go to now."""
    return len(store.deadlines.recipients(audience))
