"""Queries of the announcements: one row per announcement an officer sent (its text, its
audience, how many people it went to, who sent it). Its messages are outbox rows keyed
ann:<announcement id>:<channel>:<user>; who it goes to is who has reminders on
(storage/reminders.recipients).

Every function takes the caller's session and does not commit, so the announcement and its
messages are written in one transaction.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import Announcement
from storage.reminders import outbox_counts

ANNOUNCEMENT_KEY = "ann:"  # outbox keys of announcements: ann:<announcement id>:<channel>:<user>


def outbox_prefix(announcement_id: int) -> str:
    """The outbox keys of one announcement's messages."""
    return f"{ANNOUNCEMENT_KEY}{announcement_id}:"


def add_announcement(s: Session, text: str, audience: str, recipients_count: int, by: str) -> Announcement:
    row = Announcement(text=text, audience=audience, recipients=recipients_count, created_by=by)
    s.add(row)
    s.flush()
    return row


def announcements(s: Session, limit: int = 5) -> list[Announcement]:
    """The latest announcements, the newest first."""
    return list(s.exec(select(Announcement).order_by(col(Announcement.id).desc()).limit(limit)))


class AnnouncementStore:
    """The announcements' queries on one session (a turn's, the console's)."""

    def __init__(self, s: Session):
        self._s = s

    def add(self, text: str, audience: str, recipients_count: int, by: str) -> Announcement:
        return add_announcement(self._s, text, audience, recipients_count, by)

    def latest(self, limit: int = 5) -> list[Announcement]:
        return announcements(self._s, limit)

    def deliveries(self, announcement_id: int) -> dict[str, int]:
        """How many of its messages are in each outbox status (sent, pending, failed...)."""
        return outbox_counts(self._s, outbox_prefix(announcement_id))
