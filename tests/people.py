"""People and their conversation state, set up and read outside a turn, through the
same storage the pipeline uses (storage/users.py, storage/turns.py)."""

from __future__ import annotations

from storage import users
from storage.models import User
from storage.repo import Repository
from storage.turns import TurnStore


def person(repo: Repository, channel: str, external_id: str, display_name: str | None = None) -> User:
    """A person who wrote, recorded as a turn records them (created if new, visit counted), committed."""
    with repo.session() as s:
        uid = users.touch_user(s, channel, external_id, display_name)
        s.commit()
        return s.get_one(User, uid)


def state_of(repo: Repository, user_id: int) -> dict:
    """A person's stored conversation state (empty when none)."""
    with repo.session() as s:
        return TurnStore(s).load_state(user_id)[0]
