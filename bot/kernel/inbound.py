"""One update's way in, for every channel: parse, accept into the inbox, then the turn
in its sender's lane. Polling, the webhook and recovery all go through `take` or
`dispatch`, so a stored update replays exactly as it first ran.

    take      parse -> accept (a redelivery stops here) -> dispatch
    dispatch  acknowledge a button press; close an update with nothing to answer;
              gather an album's parts; else queue the turn in the sender's lane
    turn      "typing...", files that must be fetched now (in the lane: the poll loop
              and other people never wait for a download), pipeline.process
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.channel import Channel, InvalidUpdate, Parsed
from bot.kernel.lanes import Lanes, TaskSet
from bot.kernel.redact import shared
from bot.kernel.retry import Backoff
from bot.kernel.webhook import RefusedSecrets
from bot.pipeline import Pipeline

log = logging.getLogger(__name__)

TYPING_MAX_LANES = 64  # people being answered at once beyond which no "typing..." is shown
ALBUM_WAIT = 1.0  # seconds an album's parts are gathered before they are handled as one event


class Inbound:
    """The kernel's side of one channel: its lanes, its background tasks, its recovery;
    `poll` (bot/kernel/polling.py) and the webhook (bot/kernel/webhook.py) feed `take`."""

    def __init__(self, channel: Channel, pipeline: Pipeline, *, backoff: Backoff | None = None,
                 album_wait: float = ALBUM_WAIT, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self.channel = channel
        self.name = channel.name
        self.pipeline = pipeline
        # Fetch and store back-off of the poll loop (each counts its own failures).
        self.backoff = backoff or Backoff(1.0, 30.0)
        self.album_wait = album_wait
        self.sleep = sleep
        self.tasks = TaskSet(channel.name, shared)
        self.lanes = Lanes(self.tasks)
        self._albums: dict[tuple[str, str], list[Parsed]] = {}
        self.refused = RefusedSecrets(channel.name, channel.secret_header)  # the webhook's log of them
        self.closing = False

    # --- lifecycle -------------------------------------------------------------------
    async def start(self) -> None:
        """Start the channel (check its token), then re-run what a crash left unfinished."""
        await self.channel.start()
        await self.recover_pending(timedelta(0))

    async def recover_pending(self, older_than: timedelta | None = None) -> None:
        """Re-run updates accepted but never finished (at start, every one; then periodically)."""
        pending = await self.pipeline.recover(self.name, older_than)
        if pending:
            log.info("re-processing %d %s update(s) left unfinished", len(pending), self.channel.title)
        for key, payload in pending:
            try:
                parsed = self.channel.parse(payload)
            except Exception as exc:  # noqa: BLE001 - a stored update that cannot be read is closed
                log.warning("dropping stored %s update %s: %s", self.channel.title, key, shared(exc))
                await self.pipeline.finish(self.name, key)
                continue
            self.dispatch(replace(parsed, key=key))

    async def close(self) -> None:
        """Let turns in progress finish for the channel's grace (the rest stay pending in
        the inbox for the next start), then close the channel."""
        self.closing = True
        await self.tasks.close(self.channel.shutdown_grace)
        await self.channel.close()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every update handed to a background task is done (tests, shutdown)."""
        await self.tasks.wait_idle(timeout)

    async def poll(self) -> None:
        from bot.kernel.polling import poll

        await poll(self)

    # --- the way in --------------------------------------------------------------------
    async def take(self, update: dict) -> None:
        """Parse, accept into the inbox and dispatch one update. An update that cannot be
        answered is logged and dropped; raises only when the inbox cannot store it."""
        try:
            parsed = self.channel.parse(update)
        except InvalidUpdate as exc:
            log.warning("ignoring a %s update: %s", self.channel.title, exc)
            return
        if await self.pipeline.accept(self.name, parsed.key, parsed.stored, parsed.sender):
            self.dispatch(parsed)

    def dispatch(self, parsed: Parsed) -> None:
        """Start handling one accepted update in the background."""
        if parsed.ack:
            self.tasks.spawn(self._acknowledge(parsed.ack))
        if parsed.event is None:
            log.info("closing %s update %s: nothing to answer", self.channel.title, parsed.key)
            self.tasks.spawn(self.pipeline.finish(self.name, parsed.key))
        elif parsed.group:
            self._add_to_group(parsed)
        else:
            self.lanes.submit(parsed.event.user_id, lambda: self._turn(parsed))

    async def _acknowledge(self, ack: str) -> None:
        try:
            await self.channel.acknowledge(ack)
        except Exception as exc:  # noqa: BLE001 - an old button press (after a restart) cannot be answered
            log.info("could not acknowledge a %s button press: %s", self.channel.title, shared(exc))

    def _add_to_group(self, parsed: Parsed) -> None:
        """Parts of one album arrive a moment apart: gathered for `album_wait` seconds and
        handled as one event with all their attachments (each part's inbox row is marked
        done with it)."""
        assert parsed.event is not None and parsed.group is not None
        key = (parsed.event.chat_id, parsed.group)
        parts = self._albums.setdefault(key, [])
        parts.append(parsed)
        if len(parts) == 1:
            self.tasks.spawn(self._flush_group(key))

    async def _flush_group(self, key: tuple[str, str]) -> None:
        await asyncio.sleep(self.album_wait)
        parts = sorted(self._albums.pop(key, []), key=lambda p: int(p.event.message_id or 0))  # type: ignore[union-attr]
        if not parts:
            return
        first = parts[0]
        events = [p.event for p in parts if p.event is not None]
        assert first.event is not None
        merged = replace(first.event, text=next((e.text for e in events if e.text), ""),
                         attachments=tuple(a for e in events for a in e.attachments))
        also = tuple(p.key for p in parts[1:])
        self.lanes.submit(merged.user_id, lambda: self._turn(replace(first, event=merged), also))

    async def _turn(self, parsed: Parsed, also_done: tuple[str, ...] = ()) -> None:
        event = parsed.event
        assert event is not None
        # With many people waiting at once, "typing..." calls would take the time their
        # answers need (a 250-message burst spent 9% of its CPU on them): skipped then.
        typing = self.tasks.spawn(self._typing(event.chat_id)) if self.lanes.active <= TYPING_MAX_LANES else None
        try:
            await self.channel.prefetch(event)
            await self.pipeline.process(event, update_key=parsed.key, reply_to=parsed.reply_to, also_done=also_done)
        finally:
            self.channel.forget(event)
            if typing is not None:
                typing.cancel()

    async def _typing(self, chat_id: str) -> None:
        try:
            await self.channel.typing(chat_id)
        except Exception as exc:  # noqa: BLE001 - a missing "typing..." is not worth more than a line
            log.debug("%s typing indicator failed: %s", self.channel.title, shared(exc))
