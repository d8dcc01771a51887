"""SQL that differs by database, shared by the storage modules."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session


def insert_ignore(s: Session, model: type, values: dict, keys: list[str]):  # noqa: ANN201
    """INSERT that does nothing when a row with the same `keys` exists (a second instance,
    a replayed turn); on PostgreSQL and SQLite."""
    dialect = s.get_bind().dialect.name
    table = model.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    if dialect == "sqlite":
        return sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys)
    return insert(table).values(**values)  # pragma: no cover - other databases are not supported
