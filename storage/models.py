"""Tables. Changing one needs a migration in storage/migrations/versions."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_users_channel_external"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    display_name: str | None = Field(default=None, max_length=256)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class ConversationState(SQLModel, table=True):
    """Where a user is in the conversation: the choices last offered, a form in progress."""

    __tablename__ = "conversation_states"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class QuestionLog(SQLModel, table=True):
    __tablename__ = "question_log"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    channel: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    normalized: str = Field(sa_column=Column(Text, nullable=False))
    outcome: str = Field(max_length=16, index=True)  # answer | clarify | fallback
    entry_id: str | None = Field(default=None, max_length=64)
    score: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, index=True)


class ProcessedUpdate(SQLModel, table=True):
    """The inbox: every platform update accepted, keyed by its platform id so a
    redelivery is recognised. `payload` keeps the raw update until it is done,
    so one accepted but not finished (the process died) is run again on start."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_key", name="uq_processed_channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_key: str = Field(max_length=128)
    # pending (payload: the update) | undelivered (payload: chat_id and the replies
    # still to send) | done | failed (given up after repeated attempts)
    status: str = Field(default="done", max_length=16, index=True)
    payload: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, index=True)
