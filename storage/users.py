"""People: the one place a user row is made.

A person becomes a row the first time they write (`touch_user`, in the turn's
transaction) or the first time someone sends them something before they ever
wrote (`user`: an officer who gets a notice). Both are one INSERT ... ON CONFLICT,
so two instances meeting the same new person at once make one row, and neither
needs a retry after an IntegrityError.
"""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session
from sqlmodel import select as orm_select

from storage.clean import clip_name, stored_id
from storage.models import User, utcnow

USERS = User.__table__  # type: ignore[attr-defined]
# Built once per dialect and kind: composing a statement cost more CPU than running it.
_BUILT: dict[tuple[str, bool], object] = {}


def _insert(dialect_name: str, visit: bool):  # noqa: ANN202
    stmt = _BUILT.get((dialect_name, visit))
    if stmt is None:
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        ins = dialect.insert(USERS).values(channel=bindparam("channel"), external_id=bindparam("external_id"),
                                           display_name=bindparam("name"), created_at=bindparam("now"),
                                           last_seen_at=bindparam("now"))
        if visit:
            # A new name replaces the old one; no name (a platform that sent none) keeps it.
            stmt = ins.on_conflict_do_update(
                index_elements=["channel", "external_id"],
                set_={"last_seen_at": ins.excluded.last_seen_at, "unreachable_at": None,
                      "display_name": func.coalesce(ins.excluded.display_name, USERS.c.display_name)},
            ).returning(USERS.c.id)
        else:
            stmt = ins.on_conflict_do_nothing(index_elements=["channel", "external_id"])
        _BUILT[(dialect_name, visit)] = stmt
    return stmt


def _values(channel: str, external_id: str, display_name: str | None) -> dict:
    return {"channel": channel, "external_id": stored_id(external_id), "name": clip_name(display_name),
            "now": utcnow()}


_ID = select(USERS.c.id).where(USERS.c.channel == bindparam("channel"),
                               USERS.c.external_id == bindparam("external_id"))


def touch_user(s: Session, channel: str, external_id: str, display_name: str | None = None) -> int:
    """The person wrote: their id, the row created if new, their last visit recorded, their
    name updated and the unreachable mark lifted (the messenger lets us answer again)."""
    return s.execute(_insert(s.get_bind().dialect.name, True), _values(channel, external_id, display_name)).scalar_one()


def user(s: Session, channel: str, external_id: str, display_name: str | None = None) -> User:
    """The person's row, created when missing without counting a visit (an officer who
    never wrote still gets notices)."""
    values = _values(channel, external_id, display_name)
    s.execute(_insert(s.get_bind().dialect.name, False), values)
    return s.exec(orm_select(User).where(User.channel == channel, User.external_id == values["external_id"])).one()


def user_id(s: Session, channel: str, external_id: str) -> int | None:
    """The id of a person already known (a read: SQLite's write lock is not taken yet)."""
    return s.execute(_ID, {"channel": channel, "external_id": stored_id(external_id)}).scalar()
