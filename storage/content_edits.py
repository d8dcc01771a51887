"""The Office's edits to the content, stored as versions over the repository's YAML.

The repository's content/ stays the shipped start and the way developers change it;
what the Office changes in the console is one row here per save: the whole new entry,
who, when, and the entry's version it was edited from. Every row is a new version of
the content: its id. An entry's version is the id of its latest row (0: the
repository's, never edited). Going back to an earlier version is one more row with
that version's data; `data` None means "as the repository has it".

Two officers saving the same entry from the same version: the unique
(entry_id, base_version) lets exactly one insert succeed, on SQLite and PostgreSQL
alike, without a lock; the other is told (`Conflict`).

Each running bot polls `version()` (one indexed max()) and reloads when it moved.

Also here: what the Office decided about a group of unanswered questions
(`GapDecision`), so a decided group is no longer listed. "Not our subject" also writes the
whole list of such questions as a content row (OUT_OF_SCOPE_KEY) in the same transaction:
the bot declines them from the content version that has them (content/out_of_scope.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from storage.edit_keys import (  # noqa: F401 - the keys are read from here too
    DEADLINE_PREFIX,
    EXAMPLE_MADE_REAL,
    OUT_OF_SCOPE_KEY,
    UNITS_KEY,
    is_entry_key,
)
from storage.models import utcnow

# What a row did, as the history shows it.
EDIT, NEW, REVERT, PHRASING = "edit", "new", "revert", "phrasing"
UNITS = "units"  # a new units list (merge, rename, retire, add) with the stored ids moved in the same transaction
# What the Office decided about a group of unanswered questions.
AS_PHRASING, AS_NEW_ENTRY, OUT_OF_SCOPE = "phrasing", "new_entry", "out_of_scope"


class ContentEdit(SQLModel, table=True):
    __tablename__ = "content_edits"
    __table_args__ = (UniqueConstraint("entry_id", "base_version", name="uq_content_edits_entry_base"),)

    id: int | None = Field(default=None, primary_key=True)  # the content's version after this edit
    entry_id: str = Field(max_length=64, index=True)
    # The whole entry as saved (content/schema.py Entry); None: back to the repository's version.
    data: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    base_version: int = 0  # the entry's version the officer edited (0: the repository's)
    # sha256 of the repository's version of the entry when this was saved (None: it had
    # none): a later upgrade of the repository that changed the entry is a conflict to list.
    repo_hash: str | None = Field(default=None, max_length=64)
    kind: str = Field(default=EDIT, max_length=16)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    by: str = Field(max_length=160)  # channel:user id of the officer
    by_name: str | None = Field(default=None, max_length=256)
    at: datetime = Field(default_factory=utcnow)


class GapDecision(SQLModel, table=True):
    """A group of unanswered questions the Office dealt with: made a phrasing of an entry,
    a new entry, or "not our subject" (kept as an out-of-scope example)."""

    __tablename__ = "content_gap_decisions"

    id: int | None = Field(default=None, primary_key=True)
    decision: str = Field(max_length=16, index=True)
    texts: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the group's spellings
    entry_id: str | None = Field(default=None, max_length=64)
    by: str = Field(max_length=160)
    at: datetime = Field(default_factory=utcnow)


class Conflict(Exception):
    """The entry was saved by someone else since `base_version` was read."""

    def __init__(self, entry_id: str, base_version: int, current: int):
        super().__init__(f"entry {entry_id}: edited from version {base_version}, now at {current}")
        self.entry_id, self.base_version, self.current = entry_id, base_version, current


def entry_hash(data: dict | None) -> str | None:
    """A stable digest of an entry's data (key order and YAML layout do not count)."""
    if data is None:
        return None
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Overlay:
    """The content's version and, per edited entry, its latest data (None: the repository's),
    in the order the entries were first edited (new entries keep their place)."""

    version: int
    entries: dict[str, dict | None]


class EditStore:
    """The edits, on their own engine; every method is one short transaction."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def version(self) -> int:
        """The content's current version: what each instance polls."""
        with Session(self.engine) as s:
            return s.exec(select(func.max(ContentEdit.id))).one() or 0

    def overlay(self) -> Overlay:
        with Session(self.engine) as s:
            latest = select(func.max(ContentEdit.id)).group_by(ContentEdit.entry_id)
            rows = s.exec(select(ContentEdit).where(col(ContentEdit.id).in_(latest))).all()
            first = dict(s.exec(select(ContentEdit.entry_id, func.min(ContentEdit.id))
                                .group_by(ContentEdit.entry_id)).all())
            version = max((r.id for r in rows), default=0)
        rows = sorted(rows, key=lambda r: first[r.entry_id])
        return Overlay(version, {r.entry_id: r.data for r in rows})

    def entry_version(self, entry_id: str) -> int:
        with Session(self.engine) as s:
            return s.exec(select(func.max(ContentEdit.id)).where(ContentEdit.entry_id == entry_id)).one() or 0

    def history(self, entry_id: str) -> list[ContentEdit]:
        """Every saved version of an entry, newest first."""
        with Session(self.engine) as s:
            return list(s.exec(select(ContentEdit).where(ContentEdit.entry_id == entry_id)
                               .order_by(col(ContentEdit.id).desc())))

    def get(self, version: int) -> ContentEdit | None:
        with Session(self.engine) as s:
            return s.get(ContentEdit, version)

    def save(self, entry_id: str, data: dict | None, *, base_version: int, by: str, repo_hash: str | None,
             kind: str = EDIT, by_name: str | None = None, note: str | None = None) -> ContentEdit:
        """A new version of the entry; raises Conflict when the entry is no longer at
        `base_version` (another officer saved first)."""
        row = ContentEdit(entry_id=entry_id, data=data, base_version=base_version, repo_hash=repo_hash, kind=kind,
                          by=by, by_name=by_name, note=note)
        with Session(self.engine) as s:
            add_edit(s, row)
            try:
                s.commit()
            except IntegrityError:  # saved by another at the same moment, from the same version
                s.rollback()
                raise Conflict(entry_id, base_version, self.entry_version(entry_id)) from None
            s.refresh(row)
            return row

    def edited(self) -> list[ContentEdit]:
        """The latest row of every entry the Office edited, oldest edit first."""
        with Session(self.engine) as s:
            latest = select(func.max(ContentEdit.id)).group_by(ContentEdit.entry_id)
            return list(s.exec(select(ContentEdit).where(col(ContentEdit.id).in_(latest))
                               .order_by(ContentEdit.id)))

    def count(self) -> int:
        with Session(self.engine) as s:
            return s.exec(select(func.count()).select_from(ContentEdit)).one()

    # --- unanswered questions the Office dealt with ---------------------------------
    def decide(self, decision: str, texts: list[str], by: str, entry_id: str | None = None) -> GapDecision:
        for attempt in range(5):
            row = GapDecision(decision=decision, texts=list(texts), entry_id=entry_id, by=by)
            with Session(self.engine) as s:
                s.add(row)
                if decision == OUT_OF_SCOPE:
                    s.flush()
                    # The list's version first, then the list: one committed meanwhile makes this
                    # row's base stale, so the insert fails (unique) and is retried with it.
                    base = s.exec(select(func.max(ContentEdit.id))
                                  .where(ContentEdit.entry_id == OUT_OF_SCOPE_KEY)).one() or 0
                    examples = [t for d in s.exec(select(GapDecision).where(GapDecision.decision == OUT_OF_SCOPE)
                                                  .order_by(GapDecision.id)) for t in d.texts]
                    s.add(ContentEdit(entry_id=OUT_OF_SCOPE_KEY, data={"examples": list(dict.fromkeys(examples))},
                                      base_version=base, kind=OUT_OF_SCOPE, by=by, note=texts[0] if texts else None))
                try:
                    s.commit()
                except IntegrityError:
                    # Another officer marked a group at the same moment: the list is read again with theirs.
                    s.rollback()
                    if attempt == 4:
                        raise
                    continue
                s.refresh(row)
                return row
        raise AssertionError("unreachable")

    def decisions(self, decision: str | None = None) -> list[GapDecision]:
        with Session(self.engine) as s:
            q = select(GapDecision).order_by(GapDecision.id)
            if decision is not None:
                q = q.where(GapDecision.decision == decision)
            return list(s.exec(q))


def add_edit(s: Session, row: ContentEdit) -> None:
    """Add `row` to `s` (not committed: the units list commits it with the stored ids it
    moves); raises Conflict when its entry is no longer at `row.base_version`. A commit that
    fails on the unique (entry_id, base_version) is the same conflict, found at the end."""
    current = s.exec(select(func.max(ContentEdit.id)).where(ContentEdit.entry_id == row.entry_id)).one() or 0
    if current != row.base_version:
        raise Conflict(row.entry_id, row.base_version, current)
    s.add(row)
