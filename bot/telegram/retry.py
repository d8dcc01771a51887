"""Calling the Bot API safely: bounded exponential back-off on network and server
errors, waiting out 429 retry_after, and error texts with secrets masked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.kernel.redact import shared
from bot.kernel.retry import Backoff

log = logging.getLogger(__name__)

T = TypeVar("T")


def api_retry(**changes: float) -> Backoff:
    """How Bot API calls are retried: 5 tries, from 0.5 s doubling to 30 s, with jitter
    so that many chats do not retry in step; a 429 asking for more than 5 minutes gives up."""
    return Backoff(**{"initial": 0.5, "maximum": 30.0, "attempts": 5, "jitter": 0.5, "max_retry_after": 300.0,
                      **changes})


def accepted_unread(exc: BaseException) -> bool:
    """The API answered ok: true, but aiogram could not read the result (an API
    server that differs from Telegram's, or a newer one). The call was carried
    out: repeating it would send the message twice."""
    return isinstance(exc, ClientDecodeError) and isinstance(exc.data, dict) and exc.data.get("ok") is True


def is_transient(exc: BaseException) -> bool:
    """Network trouble, 5xx, or an unreadable answer (a proxy's HTML page): worth another try."""
    if isinstance(exc, TelegramEntityTooLarge) or accepted_unread(exc):
        return False
    return isinstance(exc, TelegramNetworkError | TelegramServerError | ClientDecodeError)


def describe(value: object) -> str:
    """An error for a log line, secrets masked; aiogram's ClientDecodeError embeds a whole
    pydantic report, kept short here."""
    if isinstance(value, ClientDecodeError):
        value = f"ClientDecodeError: {value.message}: {str(value.data)[:300]}"
    return shared(value)


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    what: str,
    policy: Backoff,
    redact: Callable[[object], str] = describe,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Await fn() until it succeeds, retrying what is worth retrying, at most policy.attempts times."""
    tries = policy.attempts or 5  # a Bot API call is always given up at some point
    for attempt in range(1, tries + 1):
        try:
            return await fn()
        except TelegramRetryAfter as exc:
            if attempt >= tries or exc.retry_after > policy.max_retry_after:
                raise
            log.warning("Telegram asks to slow down on %s: waiting %s s (try %d of %d)", what, exc.retry_after,
                        attempt, tries)
            await sleep(float(exc.retry_after))
        except Exception as exc:
            if accepted_unread(exc):
                log.warning("%s: the API accepted the call but its answer could not be read (%s); "
                            "using the raw answer", what, redact(getattr(exc, "message", exc)))
                return exc.data.get("result")  # type: ignore[attr-defined, return-value]
            if not is_transient(exc) or attempt >= tries:
                raise
            delay = policy.delay(attempt)
            log.warning("%s failed (%s); retrying in %.2f s (try %d of %d)", what, redact(exc), delay, attempt,
                        tries)
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
