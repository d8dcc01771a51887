"""Queries the rest of the app uses; callers never build SQL themselves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import OfficeQuestion, ProcessedUpdate, QuestionLog, utcnow

log = logging.getLogger(__name__)

# How long a platform may deliver an update again: Telegram keeps undelivered updates
# for 24 hours, and Zalo documents no window (its message ids are not reused in
# practice). A key seen longer ago than this and finished is a new update reusing the
# id (Telegram restarts update_id at random after a week without updates), not a
# redelivery; finished inbox rows are pruned after it too.
REDELIVERY_WINDOW = timedelta(hours=24)
_ACCEPT: dict[str, object] = {}  # the inbox insert, built once per dialect (Repository.accept_update)


@dataclass(frozen=True)
class UnansweredRow:
    text: str
    count: int
    last_asked: datetime
    best_entry: str | None
    best_score: float


class Repository:
    def __init__(self, engine: Engine):
        self.engine = engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    # --- question log ----------------------------------------------------
    def question_log(self) -> list[QuestionLog]:
        with self.session() as s:
            return list(s.exec(select(QuestionLog).order_by(QuestionLog.id)))

    def unanswered(self, limit: int = 20, since: datetime | None = None) -> list[UnansweredRow]:
        """Questions the bot could not answer confidently, most frequent first,
        grouped by their normalised form so spelling variants count together."""
        with self.session() as s:
            q = (
                select(
                    QuestionLog.normalized,
                    func.count(QuestionLog.id),
                    func.max(QuestionLog.created_at),
                    func.max(QuestionLog.text),
                    func.max(QuestionLog.entry_id),
                    func.max(QuestionLog.score),
                )
                .where(QuestionLog.outcome.in_(("fallback", "clarify")))
                .group_by(QuestionLog.normalized)
                .order_by(func.count(QuestionLog.id).desc(), func.max(QuestionLog.created_at).desc())
                .limit(limit)
            )
            if since is not None:
                q = q.where(QuestionLog.created_at >= since)
            return [UnansweredRow(text=r[3], count=r[1], last_asked=r[2], best_entry=r[4], best_score=r[5])
                    for r in s.exec(q)]

    def questions(self, since: datetime | None = None,
                  outcomes: tuple[str, ...] | None = None) -> list[QuestionLog]:
        """Logged questions, oldest first: those since `since`, of the given outcomes."""
        with self.session() as s:
            q = select(QuestionLog).order_by(QuestionLog.id)
            if since is not None:
                q = q.where(QuestionLog.created_at >= since)
            if outcomes is not None:
                q = q.where(col(QuestionLog.outcome).in_(outcomes))
            return list(s.exec(q))

    def prune_questions(self, older_than: timedelta) -> int:
        """Delete logged questions older than `older_than` (QUESTION_LOG_DAYS); returns how many."""
        with self.session() as s:
            table = QuestionLog.__table__  # type: ignore[attr-defined]
            gone = s.execute(table.delete().where(table.c.created_at < utcnow() - older_than))
            s.commit()
            return gone.rowcount or 0

    def office_questions(self, status: str | None = None, limit: int = 20,
                         since: datetime | None = None) -> list[OfficeQuestion]:
        """Questions sent to the Office, newest first."""
        with self.session() as s:
            q = select(OfficeQuestion).order_by(col(OfficeQuestion.id).desc()).limit(limit)
            if status:
                q = q.where(OfficeQuestion.status == status)
            if since is not None:
                q = q.where(OfficeQuestion.created_at >= since)
            return list(s.exec(q))

    # --- inbox -----------------------------------------------------------
    def accept_update(self, channel: str, update_key: str, payload: dict | None = None,
                      user_key: str | None = None, window: timedelta = REDELIVERY_WINDOW) -> bool:
        """Record an update as pending; False when it was seen before (a redelivery).
        A key finished longer than `window` ago is taken as a new update reusing the id."""
        row = _pending(channel, update_key, payload, user_key)
        with self.engine.begin() as conn:
            if conn.execute(_accept_insert(self.engine.dialect.name), row).first() is not None:
                return True
        return self._reuse(row, window)

    def accept_many(self, updates: list[tuple[str, str, dict | None, str | None]],
                    window: timedelta = REDELIVERY_WINDOW) -> list[bool]:
        """`accept_update` for several updates (channel, update_key, payload, user_key) in
        one transaction: a burst of webhooks costs one commit, not one each. Raises if the
        transaction fails (the caller accepts them one by one then)."""
        insert = _accept_insert(self.engine.dialect.name)
        rows = [_pending(*u) for u in updates]
        with self.engine.begin() as conn:
            out = [conn.execute(insert, row).first() is not None for row in rows]
        # Seen before: a redelivery, or a new update reusing an old id.
        return [fresh or self._reuse(row, window) for fresh, row in zip(out, rows, strict=True)]

    def _reuse(self, row: dict, window: timedelta) -> bool:
        channel, key, payload, user = row["channel"], row["update_key"], row["payload"], row["user_key"]
        with self.session() as s:
            reused = s.execute(
                update(ProcessedUpdate)
                .where(ProcessedUpdate.channel == channel, ProcessedUpdate.update_key == key,
                       col(ProcessedUpdate.status).in_(("done", "failed")),
                       ProcessedUpdate.created_at < utcnow() - window)
                .values(status="pending", payload=payload, user_key=user, attempts=0, created_at=utcnow())
            ).rowcount
            s.commit()
            if reused:
                log.info("%s update id %s was seen more than %s ago: a new update reusing it", channel, key, window)
            return bool(reused)

    def finish_update(self, channel: str, update_key: str) -> None:
        with self.session() as s:
            row = s.exec(select(ProcessedUpdate).where(ProcessedUpdate.channel == channel,
                                                       ProcessedUpdate.update_key == str(update_key)[:128])).first()
            if row is not None:
                row.status, row.payload = "done", None
                s.add(row)
                s.commit()

    def older_pending(self, channel: str, user_key: str, update_key: str) -> list[tuple[str, dict]]:
        """This person's updates accepted before `update_key` whose turn is not committed
        (a crash cut them off), oldest first."""
        with self.session() as s:
            this = s.exec(select(ProcessedUpdate.id).where(ProcessedUpdate.channel == channel,
                                                           ProcessedUpdate.update_key == str(update_key)[:128])).first()
            if this is None:
                return []
            rows = s.exec(select(ProcessedUpdate).where(
                ProcessedUpdate.channel == channel, ProcessedUpdate.user_key == str(user_key)[:128],
                ProcessedUpdate.status == "pending", col(ProcessedUpdate.id) < this).order_by(ProcessedUpdate.id)).all()
            return [(r.update_key, dict(r.payload)) for r in rows if r.payload is not None]

    def pending_updates(self, channel: str, max_attempts: int = 3, older_than: timedelta = timedelta(seconds=0),
                        held: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, dict]]:
        """Updates accepted but never finished, oldest first, each claimed for
        this caller. Only updates pending for `older_than` are taken, so that
        with several instances one starting up does not redo what another is
        still answering; the claim is a conditional update, so two instances
        starting together do not both take the same update. Every claim counts
        an attempt, and an update that failed `max_attempts` times is given up. `held`:
        keys the caller is still working on, neither claimed nor counted."""
        return self._claim(channel, "pending", max_attempts, older_than, held)

    def _claim(self, channel: str, status: str, max_attempts: int, older_than: timedelta,
               held: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, dict]]:
        cutoff = utcnow() - older_than
        out = []
        with self.session() as s:
            rows = s.exec(select(ProcessedUpdate).where(ProcessedUpdate.channel == channel,
                                                        ProcessedUpdate.status == status,
                                                        ProcessedUpdate.created_at <= cutoff)
                          .order_by(ProcessedUpdate.id)).all()
            for row in rows:
                if row.update_key in held:
                    continue
                give_up = row.attempts + 1 > max_attempts or row.payload is None
                claimed = s.execute(
                    update(ProcessedUpdate)
                    .where(ProcessedUpdate.id == row.id, ProcessedUpdate.attempts == row.attempts,
                           ProcessedUpdate.status == status)
                    .values(attempts=row.attempts + 1, status="failed" if give_up else status)
                ).rowcount
                if claimed and not give_up:
                    out.append((row.update_key, dict(row.payload)))
                elif claimed:
                    log.warning("giving up %s update %s after %d attempts (%s)", channel, row.update_key,
                                row.attempts, status)
            s.commit()
        return out

    def update_status(self, channel: str, update_key: str) -> str | None:
        with self.session() as s:
            row = s.exec(select(ProcessedUpdate).where(ProcessedUpdate.channel == channel,
                                                       ProcessedUpdate.update_key == str(update_key)[:128])).first()
            return row.status if row else None

    def prune_updates(self, older_than: timedelta = REDELIVERY_WINDOW) -> int:
        """Forget finished inbox rows after a while (a redelivery comes within minutes)."""
        with self.session() as s:
            table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
            done = s.execute(table.delete().where(table.c.created_at < utcnow() - older_than,
                                                  table.c.status.in_(("done", "failed"))))
            s.commit()
            return done.rowcount or 0


def _accept_insert(dialect_name: str):  # noqa: ANN202
    """The inbox insert, one Core statement built once per dialect: the ORM's unit of
    work, and composing the statement each time, cost more CPU than the insert itself."""
    insert = _ACCEPT.get(dialect_name)
    if insert is None:
        table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
        dialect = postgresql if dialect_name == "postgresql" else sqlite
        insert = _ACCEPT[dialect_name] = (
            dialect.insert(table).values({c: bindparam(c) for c in (
                "channel", "update_key", "status", "payload", "user_key", "attempts", "created_at")})
            .on_conflict_do_nothing(index_elements=["channel", "update_key"]).returning(table.c.id))
    return insert


def _pending(channel: str, update_key: str, payload: dict | None, user_key: str | None) -> dict:
    """An inbox row as accepted: pending, its id and sender clipped to their columns."""
    return {"channel": channel, "update_key": str(update_key)[:128], "status": "pending", "payload": payload,
            "user_key": str(user_key)[:128] if user_key else None, "attempts": 0, "created_at": utcnow()}
