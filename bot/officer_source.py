"""Who is an officer: ADMIN_IDS (settings; the first officers, never removed from the
console) or someone an officer added in the console (storage/officers.py).

The one place the bot's router and the console ask; read from the database on each call,
so an officer removed on one instance is refused on every instance at their next message
or request (a primary-key lookup).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Set

from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import officers as so


class Officers:
    def __init__(self, admins: Iterable[tuple[str, str]] | Callable[[], Set[tuple[str, str]]],
                 engine: Engine | None = None):
        # ADMIN_IDS read at each call (settings' live value; a set is kept as given, not copied).
        if callable(admins):
            self._admins = admins
        else:
            fixed = admins if isinstance(admins, Set) else frozenset(admins)
            self._admins = lambda: fixed
        self.engine = engine  # None: ADMIN_IDS only (a command without a database)

    @property
    def admins(self) -> Set[tuple[str, str]]:
        return self._admins()

    def is_admin_id(self, channel: str, user_id: str) -> bool:
        return (channel, user_id) in self.admins

    def is_officer(self, channel: str, user_id: str) -> bool:
        if self.is_admin_id(channel, user_id):
            return True
        if self.engine is None:
            return False
        with Session(self.engine) as s:
            return so.is_listed(s, channel, user_id)

    def all(self) -> list[tuple[str, str]]:
        """Every officer (ADMIN_IDS first), e.g. to tell them of a new report."""
        out = sorted(self.admins)
        if self.engine is not None:
            with Session(self.engine) as s:
                for row in so.listed(s):
                    channel, _, user = row.officer.partition(":")
                    if (channel, user) not in self.admins:
                        out.append((channel, user))
        return out


def officers_of(settings, engine: Engine | None = None) -> Officers:  # noqa: ANN001 - bot.settings.Settings
    return Officers(lambda: settings.admin_ids, engine)
