"""Calling the Bot API safely: bounded exponential back-off on network and server
errors, waiting out 429 retry_after, and error texts with secrets masked."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from aiogram.exceptions import (
    ClientDecodeError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.plumbing import mask

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    base_delay: float = 0.5  # seconds before the second try; doubles each time
    max_delay: float = 30.0
    max_retry_after: float = 300.0  # a longer 429 wait than this gives up instead


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


class Redactor:
    def __init__(self, secrets: Iterable[str | None]):
        self.secrets = [s for s in secrets if s]

    def __call__(self, value: object) -> str:
        if isinstance(value, ClientDecodeError):  # its text embeds a whole pydantic report: keep it short
            text = f"ClientDecodeError: {value.message}: {str(value.data)[:300]}"
        elif isinstance(value, BaseException):
            text = f"{type(value).__name__}: {value}"
        else:
            text = str(value)
        return mask(text, self.secrets)


async def call_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    what: str,
    policy: RetryPolicy,
    redact: Callable[[object], str] = str,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Await fn() until it succeeds, retrying what is worth retrying, at most policy.attempts times."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return await fn()
        except TelegramRetryAfter as exc:
            if attempt >= policy.attempts or exc.retry_after > policy.max_retry_after:
                raise
            log.warning("Telegram asks to slow down on %s: waiting %s s (try %d of %d)", what, exc.retry_after,
                        attempt, policy.attempts)
            await sleep(float(exc.retry_after))
        except Exception as exc:
            if accepted_unread(exc):
                log.warning("%s: the API accepted the call but its answer could not be read (%s); "
                            "using the raw answer", what, redact(getattr(exc, "message", exc)))
                return exc.data.get("result")  # type: ignore[attr-defined, return-value]
            if not is_transient(exc) or attempt >= policy.attempts:
                raise
            delay = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
            delay *= 0.75 + random.random() / 2  # jitter, so many chats do not retry in step
            log.warning("%s failed (%s); retrying in %.2f s (try %d of %d)", what, redact(exc), delay, attempt,
                        policy.attempts)
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
