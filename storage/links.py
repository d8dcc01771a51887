"""One-time download links to stored files, for officers on Zalo (Zalo bots cannot
send files): a random token valid once, for a few minutes. Whoever holds the link
gets the file (there is no officers' console to sign in to yet), so links live as
short as an officer can use them: an export, which holds every report's personal
data, 5 minutes; a report's own files, which an officer opens one after another
while reading the report, 10 minutes. Asking the bot again gives a new link.

The functions take the caller's session and do not commit: a link is created in
the turn that announces it, and consumed in the request that serves the file.
Looking at a link (peek_link, for the page a GET shows) never spends it: messengers
and link scanners fetch every URL in a message for a preview before the officer taps it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, update
from sqlmodel import Session, col, select

from storage.models import DownloadLink, aware, utcnow

EXPORT_TTL = timedelta(minutes=5)
FILE_TTL = timedelta(minutes=10)


def create_link(s: Session, file_id: int, file_name: str, created_for: str, ttl: timedelta,
                now: datetime | None = None) -> str:
    """A new token for `file_id`, served under `file_name` until now + ttl.
    `created_for` is the officer's channel:user id (who asked, for the record)."""
    now = aware(now or utcnow())
    # 32 random bytes: the token is the only thing that guards the file, it must not be guessable.
    token = secrets.token_urlsafe(32)
    s.add(DownloadLink(token=token, file_id=file_id, file_name=file_name[:256], created_for=created_for[:160],
                       expires_at=now + ttl, created_at=now))
    s.flush()
    return token


def _usable(token: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The condition of a link that still works at `now`: unused and unexpired."""
    return (col(DownloadLink.token) == token, col(DownloadLink.used_at).is_(None),
            col(DownloadLink.expires_at) > now)


def peek_link(s: Session, token: str, now: datetime | None = None) -> DownloadLink | None:
    """The link when it is unused and unexpired at `now`, None otherwise; writes nothing,
    so a preview fetch leaves the one use to the officer. A later consume_link still
    decides: the link may be spent or expire between the two."""
    now = aware(now or utcnow())
    return s.exec(select(DownloadLink).where(*_usable(token, now))).first()


def consume_link(s: Session, token: str, now: datetime | None = None) -> DownloadLink | None:
    """The link, marked used, when it is unused and unexpired at `now`; None otherwise.
    One conditional UPDATE decides: of two requests at the same moment exactly one
    changes the row (the other waits for its row lock on PostgreSQL, for the write
    lock on SQLite, and then finds used_at set). The caller commits."""
    # A naive time means UTC here, as everywhere in storage (not the machine's local time).
    now = aware(now or utcnow())
    done = s.execute(update(DownloadLink).where(*_usable(token, now)).values(used_at=now))
    if done.rowcount != 1:
        return None
    return s.get(DownloadLink, token, populate_existing=True)


def link_url(public_url: str, token: str) -> str:
    """The address an officer opens: PUBLIC_URL + /d/<token>."""
    return f"{public_url.rstrip('/')}/d/{token}"
