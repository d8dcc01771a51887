"""The one redactor: bot tokens, webhook secrets and the DATABASE_URL password are
replaced by *** in every log record (whatever library wrote it), logging's own report of
a record it could not write, every error message a channel raises and every line the
CLI prints.

`shared` is the process's redactor: settings register their secrets when logging is set
up, and each messenger client registers its token when it is made, so a record written
before (or without) the logging setup is masked too (httpx logs request URLs, and Bot
API URLs carry the token)."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from urllib.parse import quote

from sqlalchemy.engine import make_url

MASK = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str | None] = ()):
        self._secrets: list[str] = []
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        """Mask these too (and their URL-encoded forms, as they appear in request URLs)."""
        for secret in secrets:
            if not secret:
                continue
            for form in (secret, quote(secret, safe=""), quote(secret, safe="/:")):
                if form not in self._secrets:
                    self._secrets.append(form)
        self._secrets.sort(key=len, reverse=True)  # a secret inside a longer one is masked after it

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __call__(self, value: object) -> str:
        """A value for a log line or an error message: an exception as `Type: message`."""
        if isinstance(value, BaseException):
            value = f"{type(value).__name__}: {value}"
        return self.text(str(value))

    def __bool__(self) -> bool:
        return bool(self._secrets)


shared = Redactor()


def secrets_of(settings: object) -> list[str]:
    """The secrets in the settings: bot tokens, webhook secrets, the database password."""
    out: list[str] = []
    for name in ("telegram_bot_token", "zalo_bot_token", "telegram_webhook_secret", "zalo_webhook_secret"):
        value = getattr(settings, name, None)
        if value is not None:
            out.append(value.get_secret_value())
    url = getattr(settings, "database_url", None)
    if url:
        try:
            password = make_url(url).password
        except Exception:  # noqa: BLE001 - an unreadable URL has no password to find
            password = None
        if password:
            out.append(str(password))
    return out


class RedactingFilter(logging.Filter):
    """Masks secrets in a log record: its message, its traceback and its stack."""

    def __init__(self, secrets: Redactor | Iterable[str] = shared):
        super().__init__()
        self.redact = secrets if isinstance(secrets, Redactor) else Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redact:
            return True
        try:
            message = record.getMessage()
            broken = False
        except Exception:  # noqa: BLE001 - a malformed call must not crash its caller, nor be
            # reported by logging.Handler.handleError, which prints the raw arguments to stderr.
            message, broken = f"{record.msg} {record.args!r}", True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self.redact.text(message)
        if redacted != message or broken:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self.redact.text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact.text(record.stack_info)
        return True


class MaskedStreamHandler(logging.StreamHandler):
    """The bot's log handler. When writing a record fails (a closed or broken stream),
    logging reports it on stderr with the failure's traceback, and that traceback is
    chained to the exception being handled when the record was made, whose message may
    hold a token: the same report, masked."""

    def __init__(self, stream: object = None, redact: Redactor = shared):
        super().__init__(stream)  # type: ignore[arg-type]
        self.redact = redact

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not (logging.raiseExceptions and sys.stderr):
            return
        try:
            report = "".join(traceback.format_exception(*sys.exc_info()))
            sys.stderr.write(self.redact.text(f"--- Logging error ---\n{report}"
                                              f"A record of {record.name} could not be written.\n"))
        except Exception:  # noqa: BLE001, S110 - stderr itself is gone: nothing is left to tell
            pass


def guard_loggers(*names: str) -> None:
    """Mask `shared`'s secrets in these libraries' loggers, logging set up or not."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) and f.redact is shared for f in logger.filters):
            logger.addFilter(RedactingFilter(shared))
