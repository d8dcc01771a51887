"""Plumbing every channel shares: per-user lanes (ordering without shared
slots), supervised background tasks, exponential back-off, webhook secret
checks and mention stripping."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)


class PerUser:
    """One lock per user, created on demand and dropped when nobody holds or waits
    for it. asyncio.Lock wakes waiters first-come first-served, which keeps each
    user's messages in arrival order; different users never wait for each other."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class TaskSet:
    """Background tasks that are logged when they fail and awaited on close."""

    def __init__(self, name: str, describe: Callable[[BaseException], str] = str):
        self.name = name
        self.describe = describe
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("%s task failed: %s", self.name, self.describe(exc), exc_info=exc)

    def __len__(self) -> int:
        return len(self._tasks)

    async def wait_room(self, limit: int) -> None:
        """Back-pressure: wait while `limit` tasks or more are running."""
        while len(self._tasks) >= limit:
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._tasks)} {self.name} task(s) still running")
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def close(self, grace: float) -> None:
        """Let work in progress finish for `grace` seconds, then cancel the rest
        (an update cut off stays pending in the inbox for the next start)."""
        if not self._tasks:
            return
        _done, still = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still, timeout=1.0)


class Lanes:
    """One queue per user and at most one task draining it: a user's updates run in
    arrival order, and however many a user sends (or the flood guard holds back),
    they occupy one lane. Back-pressure counts lanes, not updates, so one flooding
    user can never fill the in-flight slots other users need."""

    def __init__(self, tasks: TaskSet):
        self.tasks = tasks
        self._queues: dict[str, deque[Callable[[], Awaitable[Any]]]] = {}

    def submit(self, key: str, work: Callable[[], Awaitable[Any]]) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(work)
            return
        self._queues[key] = deque([work])
        self.tasks.spawn(self._drain(key))

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                try:
                    await queue[0]()
                except Exception as exc:  # one failed update must not stop the rest of the lane
                    log.error("%s task failed: %s", self.tasks.name, self.tasks.describe(exc), exc_info=exc)
                finally:
                    queue.popleft()
        finally:
            self._queues.pop(key, None)

    @property
    def active(self) -> int:
        """Users whose updates are being handled (or waiting for their flood limit)."""
        return len(self._queues)

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._queues.values())

    async def wait_room(self, limit: int) -> None:
        """Back-pressure: wait while `limit` users or more have updates in hand."""
        while len(self._queues) >= limit:
            await asyncio.wait(set(self.tasks._tasks), return_when=asyncio.FIRST_COMPLETED)


class Backoff:
    """Exponential delay for retries: initial, doubling, capped; reset after a success."""

    def __init__(self, initial: float = 1.0, maximum: float = 30.0):
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class OncePer:
    """At most one log line per key every `seconds` (a flood of bad requests must not
    flood the log): `due(key)` is None while the key is quiet, else how many were held
    back since its last line."""

    def __init__(self, seconds: float = 60.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self.seconds = seconds
        self.clock = clock
        self.max_keys = max_keys
        self._seen: dict[str, tuple[float, int]] = {}

    def due(self, key: str) -> int | None:
        now = self.clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self.seconds:
            self._seen[key] = (last[0], last[1] + 1)
            return None
        if len(self._seen) >= self.max_keys:  # many sources: forget the quiet ones
            self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self.seconds}
        self._seen[key] = (now, 0)
        return last[1] if last is not None else 0


def one_line(exc: BaseException) -> str:
    """An exception as one short line for the log (a driver's message spans several)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret (token, webhook secret) replaced by ***: the one
    masking every log line, error message and CLI output goes through."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def secret_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a webhook's secret header."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


class RefusedSecrets:
    """Webhook requests refused for a missing or wrong secret: one warning per source
    address a minute, with how many came from there since, never what was sent (it may
    be a real secret pasted in the wrong place)."""

    def __init__(self, channel: str, header: str, once: OncePer | None = None):
        self.channel = channel
        self.header = header
        self.once = once or OncePer(60.0)

    def note(self, remote: str | None, given: str | None) -> None:
        held = self.once.due(remote or "?")
        if held is not None:
            log.warning("%s webhook: refused a request from %s with %s %s header%s", self.channel, remote or "?",
                        "no" if given is None else "a wrong", self.header,
                        f" ({held} more from there since the last such line)" if held else "")


def strip_mention(text: str, names: tuple[str, ...], prefix: str = "@") -> tuple[bool, str]:
    """Whether `text` mentions one of `names` (as `@name`), and the text without it."""
    found = False
    for name in sorted((n for n in names if n), key=len, reverse=True):
        pattern = re.compile(rf"(?<![\w@]){re.escape(prefix)}{re.escape(name)}(?!\w)", re.IGNORECASE)
        if pattern.search(text):
            found = True
            text = pattern.sub("", text)
    if found:
        text = re.sub(r"[ \t]{2,}", " ", text).lstrip(" \t,:;").strip()
    return found, text
