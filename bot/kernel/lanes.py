"""Per-person lanes and supervised background tasks: a person's updates run one at a
time in arrival order, different people never wait for each other, and back-pressure
counts people, not updates."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


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


