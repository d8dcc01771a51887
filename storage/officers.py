"""Officers added in the console (issue 23): who, besides ADMIN_IDS, is an officer.

ADMIN_IDS (settings) stay the first officers and are not stored here, so they cannot be
removed from the console. Every function takes the caller's session and does not commit,
like the other query modules.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import User, utcnow


class Officer(SQLModel, table=True):
    __tablename__ = "officers"

    officer: str = Field(max_length=160, primary_key=True)  # channel:user id, as /toi shows it
    name: str | None = Field(default=None, max_length=256)
    added_by: str = Field(max_length=160)
    added_at: datetime = Field(default_factory=utcnow)


def is_listed(s: Session, channel: str, user_id: str) -> bool:
    return s.get(Officer, f"{channel}:{user_id}") is not None


def listed(s: Session) -> list[Officer]:
    return list(s.exec(select(Officer).order_by(col(Officer.added_at))))


def add(s: Session, officer: str, by: str, name: str | None = None) -> bool:
    """False: already listed (nothing changed)."""
    if s.get(Officer, officer) is not None:
        return False
    s.add(Officer(officer=officer, name=name, added_by=by))
    s.flush()
    return True


def remove(s: Session, officer: str) -> bool:
    row = s.get(Officer, officer)
    if row is None:
        return False
    s.delete(row)
    s.flush()
    return True


def writers(s: Session, limit: int = 200) -> list[User]:
    """People who have written to the bot, the latest first (to pick an officer from)."""
    return list(s.exec(select(User).order_by(col(User.last_seen_at).desc()).limit(limit)))
