"""Build the pieces every command needs from settings, in one place."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.logs import LoggedConversation, formatter
from bot.plumbing import mask
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


def build_conversation(settings: Settings, knowledge: Knowledge) -> Conversation:
    invite = settings.staff_invite_code.get_secret_value() if settings.staff_invite_code else None
    return LoggedConversation(knowledge, is_admin=settings.is_admin, officers=lambda: sorted(settings.admin_ids),
                              tz=settings.tz, quiet=settings.quiet, invite_code=invite,
                              max_file_mb=settings.max_file_mb)


def link_maker(public_url: str):  # noqa: ANN201
    """One-time links (once, for `ttl`: storage/links.py) to stored files, for officers on
    channels that cannot receive files; served by the webhook server at PUBLIC_URL/d/<token>."""
    from handlers.review import Link
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
    conversation = build_conversation(settings, knowledge)
    # /dangnhap's links lead there: PUBLIC_URL, or this machine for `python -m bot web` without one.
    conversation.console_url = settings.public_url or f"http://localhost:{settings.port}"
    return App(settings=settings, knowledge=knowledge, repo=Repository(engine), conversation=conversation,
               outbox=OutboxStore(engine), files=FileStore(settings.data_dir, engine))


class RedactingFilter(logging.Filter):
    """Masks secrets in every log record, whatever library wrote it."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
            broken = False
        except Exception:  # noqa: BLE001 - a malformed call must not crash its caller, nor be
            # reported by logging.Handler.handleError, which prints the raw arguments to stderr.
            message, broken = f"{record.msg} {record.args!r}", True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self._mask(message)
        if redacted != message or broken:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        return True

    def _mask(self, text: str) -> str:
        return mask(text, self.secrets)


def secrets_of(settings: Settings) -> list[str]:
    out = []
    for value in (settings.telegram_bot_token, settings.zalo_bot_token, settings.telegram_webhook_secret,
                  settings.zalo_webhook_secret):
        if value is not None:
            out.append(value.get_secret_value())
    return out


def setup_logging(settings: Settings) -> None:
    root = logging.getLogger()
    root.setLevel(settings.log_level)
    handler = next((h for h in root.handlers if getattr(h, "_bot_handler", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._bot_handler = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(formatter(settings.log_format, settings.tz))
    flt = RedactingFilter(secrets_of(settings))
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
