"""The one way the bot speaks first (reminders, notices to officers): address a
person by (channel, user id); the rate limits of each messenger apply here."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from bot.channel import Channel
from handlers.events import Reply

# Messages per second: overall per channel, and per chat. Telegram documents
# about 30/s overall and 1/s per chat; Zalo publishes nothing firmer, so the same.
RATES = {"telegram": (30.0, 1.0), "zalo": (30.0, 1.0)}


class RateLimiter:
    def __init__(self, overall: float, per_chat: float, clock=time.monotonic, sleep=asyncio.sleep):  # noqa: ANN001
        self.interval = 1.0 / overall
        self.chat_interval = 1.0 / per_chat
        self._next = 0.0
        self._next_chat: dict[str, float] = defaultdict(float)
        self._lock = asyncio.Lock()
        self.clock = clock
        self.sleep = sleep

    async def acquire(self, chat_id: str) -> None:
        async with self._lock:
            now = self.clock()
            start = max(now, self._next, self._next_chat[chat_id])
            self._next = start + self.interval
            self._next_chat[chat_id] = start + self.chat_interval
        if start > now:
            await self.sleep(start - now)


class Outbound:
    def __init__(self, channels: dict[str, Channel]):
        self.channels = channels
        self.limiters = {name: RateLimiter(*RATES.get(name, (30.0, 1.0))) for name in channels}

    async def send(self, channel: str, user_id: str, replies: list[Reply]) -> None:
        """Raises DeliveryDeferred (with the replies not sent) when the messenger is
        unreachable for now; the caller keeps them and tries again later."""
        if channel not in self.channels:
            raise KeyError(f"channel {channel!r} is not running")
        await self.limiters[channel].acquire(user_id)
        # Private chats: the chat id is the user id on both platforms.
        await self.channels[channel].send(user_id, replies)
