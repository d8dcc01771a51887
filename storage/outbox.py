"""The outbox queries the delivery worker uses: claim with a lease, record the outcome.

A row is claimed by one conditional UPDATE (pending and due, or sending with
an expired lease), so two workers never hold the same row; a worker that dies
after claiming leaves a lease that expires, and the row is sent then. Rows of
one chat go out in id order: a row can be claimed only when no older row of its
chat holds it back (`holds`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, func, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, User, utcnow
from storage.outbox_order import UNSENT, holds
from storage.turns import OutboxRow, TurnStore  # one module writes outbox rows


class OutboxStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @staticmethod
    def _claimable(now: datetime):  # noqa: ANN205
        earlier = aliased(OutboxMessage)
        return and_(
            or_(and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.not_before) <= now),
                and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.lease_until) < now)),
            ~exists().where(earlier.channel == OutboxMessage.channel, earlier.chat_id == OutboxMessage.chat_id,
                            earlier.id < OutboxMessage.id, holds(earlier, now)))

    # Built once: composing the claim condition on every call cost more CPU than the query
    # itself (a worker at 100% CPU sent 71 messages a second against a limit of 100). All three
    # are set in one assignment: built one by one, a thread arriving meanwhile found the first set
    # and took the others as None (seen once: "Executable SQL or text() construct expected, got
    # None" in a reminder dispatcher sending from several threads).
    _STMTS = None

    @classmethod
    def _stmts(cls):  # noqa: ANN206
        if cls._STMTS is None:
            now = bindparam("now")
            claim = (update(OutboxMessage)
                     .where(col(OutboxMessage.id) == bindparam("row_id"), cls._claimable(now))
                     .values(status="sending", lease_until=bindparam("until"))
                     .returning(OutboxMessage)
                     .execution_options(synchronize_session=False))
            nxt = (select(OutboxMessage.id)
                   .where(OutboxMessage.channel == bindparam("channel"),
                          OutboxMessage.chat_id == bindparam("chat"), cls._claimable(now))
                   .order_by(OutboxMessage.id).limit(1))
            unreachable = select(User.id).where(User.channel == bindparam("channel"),
                                                User.external_id == bindparam("chat"),
                                                col(User.unreachable_at).is_not(None))
            cls._STMTS = (claim, nxt, unreachable)
        return cls._STMTS

    def claim(self, row_id: int, lease: timedelta, now: datetime | None = None) -> OutboxMessage | None:
        """Claim one row if it is due at `now` and the oldest unsent of its chat. The lease
        runs on the real clock, whatever `now` a pass pretends (a dispatch killed mid-send
        with --now in the future must not leave its rows claimed until then)."""
        with self._session() as s:
            return self._claim_in(s, row_id, lease, now or utcnow())

    def claim_checked(self, row_id: int, lease: timedelta, now: datetime | None = None
                      ) -> tuple[OutboxMessage | None, bool]:
        """`claim` and, for a notice, whether its recipient is unreachable, in one session."""
        with self._session() as s:
            row = self._claim_in(s, row_id, lease, now or utcnow())
            return row, self._unreachable(s, row)

    def sent_then_next(self, row: OutboxMessage, lease: timedelta, now: datetime | None = None
                       ) -> tuple[OutboxMessage | None, bool]:
        """Mark a row sent, then claim its chat's next due row (with the recipient check),
        in one session: two round trips a message instead of four or five."""
        now = now or utcnow()
        with self._session() as s:
            s.execute(update(OutboxMessage).where(col(OutboxMessage.id) == row.id)
                      .values(status="sent", sent_at=utcnow(), lease_until=None, last_error=None))
            s.commit()
            nxt = s.execute(self._stmts()[1], {"channel": row.channel, "chat": row.chat_id, "now": now}).scalar()
            if nxt is None:
                return None, False
            claimed = self._claim_in(s, nxt, lease, now)
            return claimed, self._unreachable(s, claimed)

    def _claim_in(self, s: Session, row_id: int, lease: timedelta, now: datetime) -> OutboxMessage | None:
        got = s.execute(self._stmts()[0], {"row_id": row_id, "now": now, "until": utcnow() + lease}).scalars().first()
        s.commit()
        return got

    def _unreachable(self, s: Session, row: OutboxMessage | None) -> bool:
        return row is not None and row.kind == "notice" and s.execute(
            self._stmts()[2], {"channel": row.channel, "chat": row.chat_id}).first() is not None

    def due_heads(self, now: datetime | None = None, limit: int = 200, channels: list[str] | None = None
                  ) -> list[int]:
        """Ids of rows that could be claimed now, oldest first (at most one per chat); with
        `channels`, only rows of those (a worker leaves the others to an instance running them)."""
        now = now or utcnow()
        q = select(OutboxMessage.id).where(self._claimable(now))
        if channels is not None:
            q = q.where(col(OutboxMessage.channel).in_(channels))
        with self._session() as s:
            return list(s.exec(q.order_by(OutboxMessage.id).limit(limit)))

    def next_of_chat(self, channel: str, chat_id: str, now: datetime | None = None) -> int | None:
        with self._session() as s:
            return s.execute(self._stmts()[1], {"channel": channel, "chat": chat_id, "now": now or utcnow()}).scalar()

    # --- outcomes ------------------------------------------------------------
    def _set(self, row_id: int, **values) -> None:  # noqa: ANN003
        with self._session() as s:
            s.execute(update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(**values))
            s.commit()

    def mark_sent_many(self, row_ids: list[int]) -> None:
        """Several rows sent, recorded in one transaction (one Core statement: the ORM's
        bulk-update path cost more CPU than the write itself)."""
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            conn.execute(table.update().where(table.c.id.in_(row_ids))
                         .values(status="sent", sent_at=utcnow(), lease_until=None, last_error=None))

    def retry_later(self, row_id: int, not_before: datetime, error: str, attempts: int) -> None:
        self._set(row_id, status="pending", not_before=not_before, lease_until=None, last_error=error[:2000],
                  attempts=attempts)

    def release(self, row_id: int) -> None:
        """Give a claimed row back untouched (this process cannot send it)."""
        self._set(row_id, status="pending", lease_until=None)

    def mark_skipped(self, row_id: int, reason: str) -> None:
        """Not to be sent any more (a reminder whose deadline is over); counted, never sent."""
        self._set(row_id, status="skipped", lease_until=None, last_error=reason)

    def mark_failed(self, row_id: int, error: str, attempts: int) -> None:
        self._set(row_id, status="failed", lease_until=None, last_error=error[:2000], attempts=attempts)

    def mark_blocked(self, row: OutboxMessage, error: str) -> list[int]:
        """The recipient blocked the bot: record it on the person, give up this row and
        every other unsent notice to them, and queue the rows' `on_blocked` notices
        (ids returned, to send at once)."""
        now = utcnow()
        with self._session() as s:
            s.execute(update(User).where(col(User.channel) == row.channel, col(User.external_id) == row.chat_id)
                      .values(unreachable_at=now))
            others = s.exec(select(OutboxMessage).where(
                OutboxMessage.channel == row.channel, OutboxMessage.chat_id == row.chat_id,
                col(OutboxMessage.status).in_(UNSENT), OutboxMessage.kind == "notice",
                OutboxMessage.id != row.id)).all()
            follow: list[OutboxRow] = []
            for r in [row, *others]:
                s.execute(update(OutboxMessage).where(col(OutboxMessage.id) == r.id)
                          .values(status="blocked", lease_until=None, last_error=error[:2000]))
                tell = (r.payload or {}).get("on_blocked")
                if tell:
                    follow.append(OutboxRow(dedup_key=tell["key"], channel=tell["channel"],
                                            chat_id=str(tell["user_id"]), kind="notice",
                                            payload={"reply": tell["reply"]}))
            ids = TurnStore(s).add_outbox(follow) if follow else []
            s.commit()
            return ids

    def recipient_unreachable(self, channel: str, chat_id: str) -> bool:
        with self._session() as s:
            return s.execute(self._stmts()[2], {"channel": channel, "chat": chat_id}).first() is not None

    # --- reading and housekeeping ------------------------------------------------
    def get(self, row_id: int) -> OutboxMessage | None:
        with self._session() as s:
            return s.get(OutboxMessage, row_id)

    def rows(self, statuses: tuple[str, ...] | None = None, limit: int = 50) -> list[OutboxMessage]:
        with self._session() as s:
            q = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
            if statuses:
                q = q.where(col(OutboxMessage.status).in_(statuses))
            return list(s.exec(q))

    def counts(self) -> dict[str, int]:
        with self._session() as s:
            return {status: n for status, n in s.exec(
                select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status))}

    def prune(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget sent rows after a while; failed and blocked ones stay for the officers to see."""
        with self._session() as s:
            done = s.execute(OutboxMessage.__table__.delete().where(  # type: ignore[attr-defined]
                OutboxMessage.__table__.c.status == "sent",  # type: ignore[attr-defined]
                OutboxMessage.__table__.c.created_at < utcnow() - older_than))  # type: ignore[attr-defined]
            s.commit()
            return done.rowcount or 0
