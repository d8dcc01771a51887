"""The officers' console's sign-in: one-time sign-in links, sessions and the audit of
what officers did in the browser.

Tokens (a sign-in link's, a session cookie's) are 128 bits from `secrets` and only their
SHA-256 is stored: a copy of the database (a backup) lets nobody sign in. A sign-in link
works once, for LOGIN_TTL; a session ends after IDLE_TTL without a request, MAX_TTL after
it began, at sign-out, or when its officer is no longer one (`end_all`).

Every function takes the caller's session and does not commit, like the other query
modules; a redeem is one conditional UPDATE, so of two requests with one link exactly
one gets a session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import JSON, Column, update
from sqlmodel import Field, Session, SQLModel, col, select

from storage.models import aware, utcnow

LOGIN_TTL = timedelta(minutes=10)
IDLE_TTL = timedelta(hours=8)
MAX_TTL = timedelta(days=7)
TOKEN_BYTES = 16  # 128 bits
# A session's last_seen_at is written at most this often: a page with several requests
# (its photos) does not write once per request.
TOUCH_EVERY = timedelta(minutes=1)


class ConsoleLogin(SQLModel, table=True):
    """A one-time sign-in link sent to an officer (/dangnhap, or `python -m bot web login`)."""

    __tablename__ = "console_logins"

    token_hash: str = Field(max_length=64, primary_key=True)
    officer: str = Field(max_length=160)  # channel:user id, as in ADMIN_IDS
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser. `csrf` is the token its forms carry (random, per session)."""

    __tablename__ = "console_sessions"

    token_hash: str = Field(max_length=64, primary_key=True)
    officer: str = Field(max_length=160, index=True)
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None
    user_agent: str | None = Field(default=None, max_length=256)


class ConsoleAudit(SQLModel, table=True):
    """What an officer did in the console, and when: signed in, signed out, decided a
    report, answered a question... `target` names what it was done to (GT-2026-0042)."""

    __tablename__ = "console_audit"

    id: int | None = Field(default=None, primary_key=True)
    officer: str = Field(max_length=160, index=True)
    action: str = Field(max_length=32)
    target: str | None = Field(default=None, max_length=80)
    detail: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = Field(default_factory=utcnow, index=True)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- sign-in links -------------------------------------------------------------------

def issue_login(s: Session, officer: str, now: datetime | None = None) -> str:
    """A new one-time sign-in token for `officer` (channel:user id); only its hash is kept."""
    now = aware(now or utcnow())
    token = new_token()
    s.add(ConsoleLogin(token_hash=digest(token), officer=officer[:160], created_at=now, expires_at=now + LOGIN_TTL))
    s.flush()
    return token


def _usable_login(token: str, now: datetime):  # noqa: ANN202
    return (col(ConsoleLogin.token_hash) == digest(token), col(ConsoleLogin.used_at).is_(None),
            col(ConsoleLogin.expires_at) > now)


def peek_login(s: Session, token: str, now: datetime | None = None) -> ConsoleLogin | None:
    """The link when it still works; writes nothing (a messenger's preview fetch must not spend it)."""
    now = aware(now or utcnow())
    return s.exec(select(ConsoleLogin).where(*_usable_login(token, now))).first()


def redeem_login(s: Session, token: str, now: datetime | None = None) -> str | None:
    """The officer of a link that still works, marking it used; None otherwise."""
    now = aware(now or utcnow())
    done = s.execute(update(ConsoleLogin).where(*_usable_login(token, now)).values(used_at=now))
    if done.rowcount != 1:
        return None
    row = s.get(ConsoleLogin, digest(token), populate_existing=True)
    return row.officer if row else None


# --- sessions ---------------------------------------------------------------------------

def open_session(s: Session, officer: str, now: datetime | None = None,
                 user_agent: str | None = None) -> tuple[str, ConsoleSession]:
    """A new session: the cookie's token (only its hash is kept) and the row."""
    now = aware(now or utcnow())
    token = new_token()
    row = ConsoleSession(token_hash=digest(token), officer=officer[:160], csrf=new_token(), created_at=now,
                         last_seen_at=now, user_agent=(user_agent or "")[:256] or None)
    s.add(row)
    s.flush()
    return token, row


def live_session(s: Session, token: str, now: datetime | None = None) -> ConsoleSession | None:
    """The session of a cookie when it has not ended, been idle IDLE_TTL or lasted MAX_TTL;
    its last_seen_at moves to `now` (at most once a minute). A lapsed one is ended here."""
    now = aware(now or utcnow())
    row = s.get(ConsoleSession, digest(token))
    if row is None or row.ended_at is not None:
        return None
    if now - aware(row.last_seen_at) >= IDLE_TTL or now - aware(row.created_at) >= MAX_TTL:
        row.ended_at = now
        s.add(row)
        s.flush()
        return None
    if now - aware(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
        s.add(row)
        s.flush()
    return row


def end_session(s: Session, token: str, now: datetime | None = None) -> None:
    now = aware(now or utcnow())
    s.execute(update(ConsoleSession).where(col(ConsoleSession.token_hash) == digest(token),
                                           col(ConsoleSession.ended_at).is_(None)).values(ended_at=now))


def end_all(s: Session, officer: str, now: datetime | None = None) -> int:
    """End every open session of `officer` (no longer an officer); how many there were."""
    now = aware(now or utcnow())
    done = s.execute(update(ConsoleSession).where(col(ConsoleSession.officer) == officer,
                                                  col(ConsoleSession.ended_at).is_(None)).values(ended_at=now))
    return done.rowcount or 0


# --- audit ---------------------------------------------------------------------------------

def record(s: Session, officer: str, action: str, target: str | None = None, detail: dict | None = None,
           now: datetime | None = None) -> ConsoleAudit:
    row = ConsoleAudit(officer=officer[:160], action=action[:32], target=(target or None) and target[:80],
                       detail=detail, at=aware(now or utcnow()))
    s.add(row)
    s.flush()
    return row


def audit_log(s: Session, limit: int = 50) -> list[ConsoleAudit]:
    return list(s.exec(select(ConsoleAudit).order_by(col(ConsoleAudit.id).desc()).limit(limit)))
