"""What every channel does with an incoming event, polling or webhook alike:
skip redeliveries, slow down floods, run the handlers off the event loop,
turn a crash into an apology, and hand the replies to the channel's sender."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from bot.channel import DeliveryDeferred
from handlers import texts
from handlers.conversation import Conversation
from handlers.events import IncomingEvent, Reply, reply_from_dict, reply_to_dict
from storage.repo import Repository

log = logging.getLogger(__name__)

Sender = Callable[[list[Reply]], Awaitable[None]]
ChatSender = Callable[[str, list[Reply]], Awaitable[None]]
REDELIVERY_ATTEMPTS = 10  # sweeps (one a minute) before kept replies are given up


def late_notice(question: str) -> str:
    if len(question) > 120:
        question = question[:117].rstrip() + "..."
    return texts.LATE_ANSWER.format(question=question) if question else texts.LATE_ANSWER_NO_QUESTION


def late(replies: list[Reply], question: str) -> list[Reply]:
    """Replies sent after a delay: said to be late, and without their numbered
    choices, which would no longer match what "1" or "2" now means for the user
    (who may have asked something else meanwhile)."""
    return [Reply(late_notice(question))] + [replace(r, choices=[]) for r in replies]


class FloodGuard:
    """Allows `limit` messages per user in `window` seconds; beyond that the user
    is told once to slow down and further messages wait their turn, while other
    users are served as usual."""

    def __init__(self, limit: int = 20, window: float = 10.0):
        self.limit = limit
        self.window = window
        self._seen: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._warned: dict[tuple[str, str], float] = {}

    def delay(self, channel: str, user_id: str, now: float | None = None) -> tuple[float, bool]:
        """Seconds this message should wait, and whether to warn the user now."""
        now = time.monotonic() if now is None else now
        key = (channel, user_id)
        q = self._seen[key]
        while q and now - q[0] > self.window:
            q.popleft()
        q.append(now)
        if len(q) <= self.limit:
            return 0.0, False
        wait = self.window - (now - q[-self.limit - 1]) if len(q) > self.limit else 0.0
        warn = now - self._warned.get(key, -1e9) > self.window
        if warn:
            self._warned[key] = now
        return max(wait, 0.0), warn


class Pipeline:
    """Channels call `accept` as soon as an update arrives (cheap: one insert;
    a webhook can acknowledge right after it), then `process`. An update that
    was accepted but not finished is found again by `recover` on the next start."""

    def __init__(self, conversation: Conversation, repo: Repository, flood: FloodGuard | None = None,
                 recover_after: timedelta = timedelta(0)):
        self.conversation = conversation
        self.repo = repo
        self.flood = flood or FloodGuard()
        # Several instances share one inbox: an update accepted a moment ago may
        # still be answered by another one, so recovery leaves it this long.
        self.recover_after = recover_after

    async def accept(self, channel: str, update_key: str, payload: dict | None = None) -> bool:
        """False when this update was already accepted (a redelivery): skip it."""
        fresh = await asyncio.to_thread(self.repo.accept_update, channel, update_key, payload)
        if not fresh:
            log.info("skipping redelivered %s update %s", channel, update_key)
        return fresh

    async def recover(self, channel: str) -> list[tuple[str, dict]]:
        """(update_key, payload) of updates accepted earlier but never finished."""
        return await asyncio.to_thread(self.repo.pending_updates, channel, 3, self.recover_after)

    async def process(self, event: IncomingEvent, send: Sender, update_key: str | None = None) -> None:
        """Handle one accepted event and deliver the replies; marks the update done,
        or, when delivery failed for now, keeps the replies for `redeliver`."""
        wait, warn = self.flood.delay(event.channel, event.user_id)
        if warn:
            await self._safe_send(send, [Reply(texts.SLOW_DOWN)])
        if wait:
            await asyncio.sleep(wait)
        try:
            replies = await asyncio.to_thread(self.conversation.handle, event)
        except Exception:
            log.exception("handler failed for a %s event", event.channel)
            replies = [Reply(texts.INTERNAL_ERROR)]
        remaining = await self._safe_send(send, replies)
        if update_key is None:
            return
        if remaining:
            # The handler has run (its effects are stored): only the replies are kept, so
            # sending them later does not handle the message twice.
            await asyncio.to_thread(self.repo.defer_delivery, event.channel, update_key, event.chat_id,
                                    [reply_to_dict(r) for r in remaining], event.text)
            log.warning("%s update %s: %d repl(ies) kept to send again later", event.channel, update_key,
                        len(remaining))
        else:
            await asyncio.to_thread(self.repo.finish_update, event.channel, update_key)

    async def redeliver(self, channel: str, send_to: ChatSender) -> int:
        """Send replies kept by `process` after a failed delivery; returns how many
        updates were completed."""
        kept = await asyncio.to_thread(self.repo.undelivered, channel, REDELIVERY_ATTEMPTS, self.recover_after)
        done = 0
        for key, payload in kept:
            try:
                chat_id = str(payload["chat_id"])
                kept_replies = [reply_from_dict(r) for r in payload["replies"]]
                question = str(payload.get("question") or "").strip()
            except (KeyError, TypeError, ValueError) as exc:
                log.error("unreadable kept replies for %s update %s: %r", channel, key, exc)
                await self.finish(channel, key)
                continue
            try:
                await send_to(chat_id, late(kept_replies, question))
            except DeliveryDeferred as exc:
                log.warning("%s update %s: still cannot deliver (%s)", channel, key, exc)
                still = [r for r in exc.remaining if r.text != late_notice(question)]
                await asyncio.to_thread(self.repo.defer_delivery, channel, key, chat_id,
                                        [reply_to_dict(r) for r in still], question)
                continue
            except Exception:
                log.exception("%s update %s: kept replies could not be delivered; giving up", channel, key)
            await self.finish(channel, key)
            done += 1
        if done:
            log.info("delivered kept replies of %d %s update(s)", done, channel)
        return done

    async def finish(self, channel: str, update_key: str) -> None:
        """Mark an accepted update done without processing (ignored event kinds)."""
        await asyncio.to_thread(self.repo.finish_update, channel, update_key)

    @staticmethod
    async def _safe_send(send: Sender, replies: list[Reply]) -> list[Reply]:
        """Replies left undelivered by a passing failure (empty when all went out, or
        when the failure was not one that waiting would cure)."""
        try:
            await send(replies)
        except DeliveryDeferred as exc:
            log.warning("could not deliver replies for now: %s", exc)
            return exc.remaining
        except Exception:
            log.exception("could not deliver replies")
        return []
