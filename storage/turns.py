"""Everything one turn reads and writes, inside the turn's single transaction.

The pipeline opens a session, the handlers read and write through a
`TurnStore` bound to it, and the pipeline commits the new state, the inbox row
and the outbox rows together. Nothing here commits: a conflict or a crash
before the commit leaves no trace, so the turn can simply run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import bindparam, exists, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, col, select

from storage import users, web_sessions
from storage.announcements import AnnouncementStore
from storage.clean import clean_text, clip_name, stored_id
from storage.erase import ErasureStore
from storage.models import (
    ConversationState,
    OfficeQuestion,
    OutboxMessage,
    ProcessedUpdate,
    QuestionLog,
    User,
    utcnow,
)
from storage.outbox_order import holds
from storage.profiles import ProfileStore
from storage.reminders import DeadlineStore
from storage.reports import ReportStore
from storage.state import ChatState

# OutboxMessage.model_construct (below) skips validation, and also the step that sets the
# mappers up: a process whose first turn claims rows before any query (`python -m bot run
# --resume`, answering "2") failed with "'NoneType' object has no attribute
# 'supports_population'". Set them up once, here.
configure_mappers()


# State key: the notices (outbox row ids) whose choices make up the person's last list, each
# with its first number; any message from the person starts a new list and drops it.


@dataclass(frozen=True)
class OutboxRow:
    dedup_key: str
    channel: str
    chat_id: str
    kind: str
    payload: dict
    not_before: datetime | None = None  # later than now: deferred (quiet hours)
    status: str = "pending"  # "skipped": recorded so it is counted once, never sent


# The tables, for the statements every turn runs: written against the tables, not the
# ORM classes, they skip the ORM's statement processing (which cost more CPU than the
# queries themselves, a third of a turn's time under load).
STATES = ConversationState.__table__  # type: ignore[attr-defined]
INBOX = ProcessedUpdate.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


class TurnStore:
    def __init__(self, session: Session):
        self.s = session  # the pipeline's; the features use the stores below

    # --- the features' queries, on this turn's session -------------------------------
    @cached_property
    def profiles(self) -> ProfileStore:
        return ProfileStore(self.s)

    @cached_property
    def deadlines(self) -> DeadlineStore:
        return DeadlineStore(self.s)

    @cached_property
    def announcements(self) -> AnnouncementStore:
        return AnnouncementStore(self.s)

    @cached_property
    def reports(self) -> ReportStore:
        return ReportStore(self.s)

    @cached_property
    def erasure(self) -> ErasureStore:
        return ErasureStore(self.s)

    def user_row(self, user_id: int) -> User | None:
        return self.s.get(User, user_id)

    def issue_console_login(self, officer: str, now: datetime) -> str:
        """A one-time sign-in link's token for the officers' console, in the turn's transaction."""
        return web_sessions.issue_login(self.s, officer, now)

    # --- state -------------------------------------------------------------
    def load_state(self, user_id: int) -> tuple[dict, int | None]:
        """The state and its version (None: no row yet)."""
        row = self.s.execute(_built(self.s, "load_state", _load_state), {"user_id": user_id}).first()
        return (dict(row[0]), row[1]) if row else ({}, None)

    def save_state(self, user_id: int, data: dict, version: int | None) -> bool:
        """Write the state if nobody wrote it since `version` was read; False on a conflict."""
        if version is None:
            return self.s.execute(_built(self.s, "insert_state", _insert_state),
                                  {"user_id": user_id, "data": data, "now": utcnow()}).first() is not None
        done = self.s.execute(_built(self.s, "update_state", _update_state),
                              {"uid": user_id, "new_data": data, "old": version, "now": utcnow()})
        return done.rowcount == 1

    def load_conversation(self, user_id: int) -> tuple[ChatState, int | None]:
        """The state, typed (storage/state.py), and its version."""
        data, version = self.load_state(user_id)
        return ChatState.load(data), version

    def save_conversation(self, user_id: int, state: ChatState, version: int | None) -> bool:
        return self.save_state(user_id, state.dump(), version)

    # --- inbox -------------------------------------------------------------
    _OLDER = None  # built once: composing statements costs more CPU than running them

    def older_pending(self, channel: str, user_key: str, update_key: str) -> list[tuple[str, dict]]:
        """This person's updates accepted before `update_key` whose turn is not committed
        (a crash cut them off), oldest first; one query, in the turn's transaction."""
        if TurnStore._OLDER is None:
            this = (select(INBOX.c.id).where(INBOX.c.channel == bindparam("channel"),
                                             INBOX.c.update_key == bindparam("key")).scalar_subquery())
            TurnStore._OLDER = (select(INBOX.c.update_key, INBOX.c.payload)
                                .where(INBOX.c.channel == bindparam("channel"), INBOX.c.user_key == bindparam("user"),
                                       INBOX.c.status == "pending", INBOX.c.id < this)
                                .order_by(INBOX.c.id))
        rows = self.s.execute(TurnStore._OLDER, {"channel": channel, "user": str(user_key)[:128],
                                                 "key": str(update_key)[:128]}).all()
        return [(key, dict(payload)) for key, payload in rows if payload is not None]

    def finish_update(self, channel: str, update_key: str) -> datetime | None:
        """Mark the update done and return when it arrived; None when it is not pending
        any more (another instance committed its turn first, or it was given up)."""
        row = self.s.execute(_built(self.s, "finish_update", _finish_update),
                             {"ch": channel, "key": update_key[:128]}).first()
        return row[0] if row is not None else None

    # --- outbox ------------------------------------------------------------
    def add_outbox(self, rows: list[OutboxRow], claimed: dict[int, OutboxMessage] | None = None,
                   claim_until: datetime | None = None) -> list[int]:
        """Insert the rows, skipping any whose dedup_key exists; the ids of those inserted, in order.
        With `claim_until`, replies go in already claimed (status sending, leased until then)
        and are put in `claimed` by id: the turn sends them at once, without claiming them
        in transactions of their own, and the worker leaves them alone meanwhile."""
        ids = []
        now = utcnow()
        for r in rows:
            chat = stored_id(r.chat_id)
            payload = r.payload if chat == r.chat_id else {**r.payload, "to": r.chat_id}
            claim = claim_until is not None and r.kind == "reply" and r.status == "pending"
            values = {"dedup_key": r.dedup_key[:200], "channel": r.channel, "chat_id": chat, "kind": r.kind,
                      "payload": payload, "status": "sending" if claim else r.status,
                      "lease_until": claim_until if claim else None, "not_before": r.not_before or now,
                      "attempts": 0, "created_at": now}
            new = self.s.execute(_built(self.s, "add_outbox", _add_outbox), values).first()
            if new is not None:
                ids.append(new[0])
                if claim and claimed is not None:
                    # Not validated: the values are the ones just written (validation cost
                    # five times the construction).
                    claimed[new[0]] = OutboxMessage.model_construct(id=new[0], **values)
        return ids

    def chat_has_unsent(self, channel: str, chat_id: str, now: datetime | None = None) -> bool:
        """Whether an older message to this chat holds the new ones back (they go after it);
        one deferred to later (a reminder waiting for the morning) does not."""
        return self.s.execute(_built(self.s, "chat_has_unsent", _chat_has_unsent),
                              {"channel": channel, "chat": stored_id(chat_id), "now": now or utcnow()}).scalar_one()

    def offer_choices(self, user_id: int, choices: list[dict]) -> None:
        """A notice with choices (an officer's "Trả lời") is the last list its recipient
        saw: on Zalo their "1" picks from it, unless they are in the middle of a form.
        A conflict (they are writing right now) leaves their state alone."""
        state, version = self.load_conversation(user_id)
        if state.flow:
            return
        state.choices = choices
        state.notice_list = None
        self.save_conversation(user_id, state, version)

    def add_notice_choices(self, user_id: int, key: str, choices: list[dict]) -> int | None:
        """The choices of a notice being sent (a reminder), made the last list its recipient
        saw. Sent right after other such notices, with nothing from the person in between,
        they join that list, numbered after it, so each notice keeps its own numbers ("1"
        still answers the first reminder); otherwise they start a new list. Returns the
        first number, or None when they are not offered (the person is in the middle of a
        form, or writing right now). Sending the same notice again (a retry) keeps its numbers."""
        state, version = self.load_conversation(user_id)
        if state.flow:
            return None
        listed = state.notice_list
        if listed is None:
            listed, state.choices = {}, []
        if key in listed:
            return int(listed[key])
        first = len(state.choices) + 1
        state.choices = [*state.choices, *choices]
        state.notice_list = {**listed, key: first}
        return first if self.save_conversation(user_id, state, version) else None

    # --- users (storage/users.py makes them) ---------------------------------
    def user_id(self, channel: str, external_id: str) -> int | None:
        return users.user_id(self.s, channel, external_id)

    def touch_user(self, channel: str, external_id: str, display_name: str | None = None) -> int:
        return users.touch_user(self.s, channel, external_id, display_name)

    def user(self, channel: str, external_id: str, display_name: str | None = None) -> User:
        return users.user(self.s, channel, external_id, display_name)

    # --- question log ------------------------------------------------------
    def log_question(self, *, user_id: int | None, channel: str, text: str, normalized: str, outcome: str,
                     entry_id: str | None, score: float) -> None:
        # A Core insert built once: the ORM's flush of one row, and composing the statement
        # on every call, each cost more CPU than the insert itself.
        self.s.execute(_built(self.s, "log_question", _log_question), {
            "user_id": user_id, "channel": channel, "text": clean_text(text)[:4000],
            "normalized": clean_text(normalized)[:4000], "outcome": outcome, "entry_id": entry_id,
            "score": round(score, 4), "created_at": utcnow()})

    # --- questions to the Office --------------------------------------------
    def add_office_question(self, *, user_id: int, channel: str, chat_id: str, asker_name: str | None,
                            question: str) -> OfficeQuestion:
        row = OfficeQuestion(user_id=user_id, channel=channel, chat_id=stored_id(chat_id),
                             asker_name=clip_name(asker_name), question=clean_text(question))
        self.s.add(row)
        self.s.flush()
        return row

    def office_question(self, qid: int) -> OfficeQuestion | None:
        return self.s.get(OfficeQuestion, qid, populate_existing=True)

    def open_office_questions(self) -> list[OfficeQuestion]:
        """The questions no officer has answered yet, oldest first."""
        return list(self.s.exec(select(OfficeQuestion).where(OfficeQuestion.status == "open")
                                .order_by(col(OfficeQuestion.id))))

    def display_name(self, channel: str, external_id: str) -> str | None:
        """The name a person was last seen with on their messenger."""
        return self.s.exec(select(User.display_name).where(User.channel == channel,
                                                            User.external_id == stored_id(external_id))).first()

    def answer_office_question(self, qid: int, *, answer: str, by: str, name: str | None,
                               at: datetime | None = None) -> bool:
        """Record the answer unless the question was answered already (by another officer
        a moment ago); the conditional update makes two officers' answers exclusive."""
        done = self.s.execute(
            update(OfficeQuestion)
            .where(col(OfficeQuestion.id) == qid, col(OfficeQuestion.status) == "open")
            .values(status="answered", answer=answer, answered_by=by, answerer_name=name,
                    answered_at=at or utcnow()))
        return done.rowcount == 1


# --- statements built once per dialect -------------------------------------------------
# Building a statement (coercing every column and value) cost more CPU than running it:
# the ones every turn runs are built once, with bound parameters.
_BUILT: dict[tuple[str, str], object] = {}


def _built(s: Session, name: str, build):  # noqa: ANN001, ANN202
    dialect = s.get_bind().dialect.name
    stmt = _BUILT.get((dialect, name))
    if stmt is None:
        stmt = _BUILT[(dialect, name)] = build(postgresql if dialect == "postgresql" else sqlite)
    return stmt


def _add_outbox(dialect):  # noqa: ANN001, ANN202
    columns = ("dedup_key", "channel", "chat_id", "kind", "payload", "status", "lease_until", "not_before",
               "attempts", "created_at")
    return (dialect.insert(OUTBOX).values({c: bindparam(c) for c in columns})
            .on_conflict_do_nothing(index_elements=["dedup_key"]).returning(OUTBOX.c.id))


def _load_state(dialect):  # noqa: ANN001, ANN202, ARG001
    return select(STATES.c.data, STATES.c.version).where(STATES.c.user_id == bindparam("user_id"))


def _insert_state(dialect):  # noqa: ANN001, ANN202
    return (dialect.insert(STATES).values(user_id=bindparam("user_id"), data=bindparam("data"), version=1,
                                          updated_at=bindparam("now"))
            .on_conflict_do_nothing(index_elements=["user_id"]).returning(STATES.c.user_id))


def _update_state(dialect):  # noqa: ANN001, ANN202, ARG001
    return (STATES.update()
            .where(STATES.c.user_id == bindparam("uid"), STATES.c.version == bindparam("old"))
            .values(data=bindparam("new_data"), version=bindparam("old") + 1, updated_at=bindparam("now")))


def _finish_update(dialect):  # noqa: ANN001, ANN202, ARG001
    return (INBOX.update()
            .where(INBOX.c.channel == bindparam("ch"), INBOX.c.update_key == bindparam("key"),
                   INBOX.c.status == "pending")
            .values(status="done", payload=None)
            .returning(INBOX.c.created_at))


def _chat_has_unsent(dialect):  # noqa: ANN001, ANN202, ARG001
    return select(exists().where(OUTBOX.c.channel == bindparam("channel"), OUTBOX.c.chat_id == bindparam("chat"),
                                 holds(OUTBOX.c, bindparam("now"))))


def _log_question(dialect):  # noqa: ANN001, ANN202, ARG001
    table = QuestionLog.__table__  # type: ignore[attr-defined]
    return insert(table).values({c: bindparam(c) for c in (
        "user_id", "channel", "text", "normalized", "outcome", "entry_id", "score", "created_at")})
