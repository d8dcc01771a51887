"""Build the pieces every command needs from settings, in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.kernel.redact import MaskedStreamHandler, RedactingFilter, secrets_of, shared
from bot.logs import LoggedConversation, formatter
from bot.officer_source import Officers, officers_of
from bot.settings import Settings
from content.service import Knowledge
from handlers.conversation import Conversation
from storage import db
from storage.content_edits import EditStore
from storage.files import FileStore
from storage.outbox import OutboxStore
from storage.repo import Repository


@dataclass
class App:
    settings: Settings
    knowledge: Knowledge
    repo: Repository
    conversation: Conversation
    outbox: OutboxStore
    files: FileStore
    officers: Officers | None = None  # ADMIN_IDS and the officers added in the console


def build_conversation(settings: Settings, knowledge: Knowledge, make_link=None,  # noqa: ANN001
                       officers: Officers | None = None) -> Conversation:
    """`make_link`: how officers get one-time links to stored files (link_maker), where
    the webhook server serves them; without it they are told to use Telegram. `officers`:
    who is one (default: ADMIN_IDS only; build_app passes the database's too)."""
    invite = settings.staff_invite_code.get_secret_value() if settings.staff_invite_code else None
    officers = officers or officers_of(settings)
    return LoggedConversation(knowledge, is_admin=officers.is_officer, officers=officers.all,
                              tz=settings.tz, quiet=settings.quiet, invite_code=invite,
                              max_file_mb=settings.max_file_mb, make_link=make_link)


def link_maker(public_url: str):  # noqa: ANN201
    """One-time links (once, for `ttl`: storage/links.py) to stored files, for officers on
    channels that cannot receive files; served by the webhook server at PUBLIC_URL/d/<token>."""
    from handlers.reports.review import Link
    from storage.links import create_link, link_url
    from storage.models import utcnow

    def make(ctx, file_id: int, file_name: str, ttl: timedelta) -> Link:  # noqa: ANN001
        now = utcnow()
        token = create_link(ctx.store.s, file_id, file_name, f"{ctx.event.channel}:{ctx.event.user_id}", ttl, now)
        return Link(link_url(public_url, token), now + ttl)

    return make


def build_app(settings: Settings, migrate: bool = True, knowledge: Knowledge | None = None) -> App:
    if migrate:
        db.upgrade(settings.db_url)
    engine = db.make_engine(settings.db_url)
    # The repository's content with the Office's edits over it (storage/content_edits.py).
    knowledge = knowledge or Knowledge(settings.content_dir, EditStore(engine))
    officers = officers_of(settings, engine)
    conversation = build_conversation(settings, knowledge, officers=officers)
    # /dangnhap's links lead there: PUBLIC_URL, or this machine for `python -m bot web` without one.
    conversation.console_url = settings.public_url or f"http://localhost:{settings.port}"
    return App(settings=settings, knowledge=knowledge, repo=Repository(engine), conversation=conversation,
               outbox=OutboxStore(engine), files=FileStore(settings.data_dir, engine), officers=officers)


def setup_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    handler = next((h for h in root.handlers if getattr(h, "_bot_handler", False)), None)
    if handler is None:
        handler = MaskedStreamHandler()
        handler._bot_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(formatter(settings.log_format, settings.tz))
    shared.add(*secrets_of(settings))
    flt = RedactingFilter(shared)
    for h in root.handlers:
        for old in [f for f in h.filters if isinstance(f, RedactingFilter)]:
            h.removeFilter(old)
        h.addFilter(flt)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler says at INFO that it added, ran and finished each job: about 4 lines a
    # minute that tell the operator nothing (its warnings, such as a missed run, stay).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


__all__ = ["App", "RedactingFilter", "build_app", "build_conversation", "link_maker", "secrets_of", "setup_logging"]
