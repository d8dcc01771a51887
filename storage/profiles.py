"""The staff profile (full name, unit, whether they lead it, reminders on or off), used by
reminders, reports and their review. Functions take the caller's session and do not commit."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import Profile, utcnow


def profile(s: Session, user_id: int) -> Profile | None:
    return s.get(Profile, user_id)


def save_profile(s: Session, user_id: int, **fields: object) -> Profile:
    row = s.get(Profile, user_id) or Profile(user_id=user_id)
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    s.add(row)
    s.flush()
    return row


class ProfileStore:
    """Profiles on one session (a turn's, or the console's)."""

    def __init__(self, s: Session):
        self._s = s

    def get(self, user_id: int) -> Profile | None:
        return profile(self._s, user_id)

    def save(self, user_id: int, **fields: object) -> Profile:
        return save_profile(self._s, user_id, **fields)
