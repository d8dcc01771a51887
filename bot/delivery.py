"""The one way messages leave the bot: outbox rows, sent by channel, within
each messenger's rate limits, with every failure classified and recorded.

Replies to the person who just wrote are sent at once by `send_now` right after
their turn commits; `run` picks up whatever that could not send, notices whose
time has come, and rows left claimed by a process that died (their lease
expires). A row is marked sent right after the messenger accepted it; a crash
between those two steps is the only way a message can go out twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.channel import Channel, PermanentFailure, RecipientBlocked, RetryAfter, Transient
from bot.kernel.retry import Backoff
from bot.plumbing import one_line
from handlers import texts
from handlers.deadlines.reminders import reminder_at_send
from handlers.events import Reply, reply_from_dict
from storage.files import FileStore
from storage.models import OutboxMessage, aware, utcnow
from storage.outbox import OutboxStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # transient failures before a message is recorded as failed
LATE_AFTER = timedelta(seconds=30)  # a reply sent later than this says it is late
# A message the messenger could not take for now: 2 s, doubling to 5 minutes, at most 8 tries.
ROW_RETRY = Backoff(2.0, 300.0, attempts=MAX_ATTEMPTS, jitter=0.5)
# A message sent that the database cannot record yet: tried again from 0.5 s up to 30 s apart.
RECORD_RETRY = Backoff(0.5, 30.0)
PAUSE_HOLD = 5.0  # seconds a claimed message may wait for a messenger's pause before it is given back


@dataclass(frozen=True)
class Limits:
    """Messages a second: `overall` for the channel, `per_chat` for one chat with a
    small burst, so an answer in three parts is not spread over three seconds."""

    overall: float = 25.0
    per_chat: float = 1.0
    chat_burst: int = 3


DEFAULT_LIMITS = {"telegram": Limits(25.0, 1.0, 3), "zalo": Limits(20.0, 1.0, 3), "console": Limits(1000.0, 1000.0, 100)}


class RateLimiter:
    """Token buckets: one for the channel, one per chat; `pause` holds everything
    back (a 429 from Telegram is about the whole bot, not one chat).

    The messenger counts requests as they reach it, and the time from deciding a send
    to its request arriving varies: a busy process is late with some and not others
    (two instances on a loaded 2-core machine put 32 requests into one second at a
    limit of 30). So `overall` sends are spread over WINDOW, a little more than the
    second the messenger counts."""

    WINDOW = 1.1

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._next = 0.0
        self._chat_tokens: dict[str, tuple[float, float]] = {}
        self._paused_until = 0.0
        self._sent: deque[float] = deque()  # when the sends of the last second went
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)

    def paused_for(self) -> float:
        """Seconds until a pause asked by the messenger ends (0 when none)."""
        return max(0.0, self._paused_until - self.clock())

    async def acquire(self, chat_id: str) -> None:
        while True:
            start, now = await self._slot(chat_id)
            if start > now:
                await asyncio.sleep(start - now)
            if self.clock() < self._paused_until:  # a 429 came while this one waited: wait that out too
                continue
            if await self._window_has_room():
                return

    async def _window_has_room(self) -> bool:
        """Slots are planned ahead; a process that stalled (a busy machine) wakes several
        senders late and at once. The sends of the last second, as they really went,
        decide: at most `overall` of them in WINDOW, else wait for the oldest to age out."""
        async with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - self.WINDOW:
                self._sent.popleft()
            if len(self._sent) < max(1, int(self.limits.overall)):
                self._sent.append(now)
                return True
            wait = self._sent[0] + self.WINDOW - now
        await asyncio.sleep(max(wait, 0.001))
        return False

    async def _slot(self, chat_id: str) -> tuple[float, float]:
        async with self._lock:
            now = self.clock()
            start = max(now, self._next, self._paused_until)
            tokens, stamp = self._chat_tokens.get(chat_id, (float(self.limits.chat_burst), now))
            tokens = min(float(self.limits.chat_burst), tokens + (start - stamp) * self.limits.per_chat)
            if tokens < 1.0:
                start += (1.0 - tokens) / self.limits.per_chat
                tokens = 1.0
            self._chat_tokens[chat_id] = (tokens - 1.0, start)
            self._next = start + self.WINDOW / self.limits.overall
            if len(self._chat_tokens) > 10_000:  # forget chats that are full again
                self._chat_tokens = {k: v for k, v in self._chat_tokens.items() if v[1] > now - 10}
        return start, now


def late_notice(question: str) -> str:
    if len(question) > 120:
        question = question[:117].rstrip() + "..."
    return texts.LATE_ANSWER.format(question=question) if question else texts.LATE_ANSWER_NO_QUESTION


def reply_of(row: OutboxMessage, now: datetime) -> Reply:
    """The reply a row holds; a reply sent late says so (on its first part) and comes
    without its choices, which would no longer match what "1" means for the user."""
    reply = reply_from_dict(row.payload["reply"])
    asked = row.payload.get("asked_at")
    # Late is counted from when the person wrote, not from when the turn was committed
    # (a turn recovered after a crash is committed long after the question).
    since = datetime.fromisoformat(asked) if isinstance(asked, str) else aware(row.created_at)
    if row.kind == "reply" and now - aware(since) > LATE_AFTER:
        text = reply.text
        if int(row.payload.get("seq", 0)) == 0:
            text = f"{late_notice(str(row.payload.get('question') or '').strip())}\n\n{reply.full_text}"
            return replace(reply, text=text, heading=None, choices=[])
        return replace(reply, choices=[])
    return reply


def with_stored_documents(reply: Reply, files: FileStore | None) -> Reply:
    """The reply with the bytes of documents held by reference. A file gone from the
    store (or no store here) is named in the text instead: the rest still goes."""
    docs, missing = [], []
    for d in reply.documents:
        if d.stored_file_id is None:
            docs.append(d)
            continue
        try:
            if files is None:
                raise FileNotFoundError("no file store")
            docs.append(replace(d, data=files.open(d.stored_file_id), stored_file_id=None))
        except (KeyError, OSError) as exc:
            log.error("stored file %s cannot be sent: %s", d.stored_file_id, exc)
            missing.append(d.file_name)
    text = reply.text + ("\n\n" + texts.FILE_MISSING.format(names=", ".join(missing)) if missing else "")
    return replace(reply, text=text, documents=docs)


class SentBatch:
    """Group commit for "sent": the replies sent while one write is in progress are
    recorded together by the next one (one transaction for a burst instead of one per
    reply; each caller still returns only once its row is recorded)."""

    def __init__(self, store: OutboxStore):
        self.store = store
        self._waiting: list[tuple[int, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def record(self, row_id: int) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((row_id, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self.store.mark_sent_many, [row_id for row_id, _ in batch])
            except Exception as exc:  # noqa: BLE001 - each caller decides (Delivery retries)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


class Delivery:
    def __init__(self, store: OutboxStore, channels: dict[str, Channel], *,
                 limits: dict[str, Limits] | None = None, lease: timedelta = timedelta(seconds=60),
                 concurrency: int = 32, files: FileStore | None = None, backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.files = files  # reads documents the outbox holds by reference
        self.channels = channels
        limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.limiters = {name: RateLimiter(limits.get(name, Limits())) for name in channels}
        self.lease = lease
        self.concurrency = concurrency
        self.wake = asyncio.Event()
        self.counts = {"sent": 0, "retry": 0, "blocked": 0, "failed": 0}
        self._next: dict[int, tuple[OutboxMessage | None, bool]] = {}
        self.unrecorded: set[int] = set()  # sent, the database not yet told (see _record_sent)
        self._sent_batch = SentBatch(store)
        # Passes that fail (the database is away) back off as the channels do; see run().
        self.backoff = backoff or Backoff(1.0, 30.0)
        self.clock = clock
        self.down_since: float | None = None
        self.failed_passes = 0

    # --- the two ways in ---------------------------------------------------------
    async def send_turn(self, claimed: list[OutboxMessage], ids: list[int]) -> None:
        """Send a committed turn's messages: its replies, claimed in the turn's own
        transaction, in order; then the rest (notices) as `send_now` does. A reply that
        cannot go now gives the ones after it back to the worker, which sends them in order."""
        held = False
        for row in claimed:
            if held:
                await asyncio.to_thread(self.store.retry_later, row.id, utcnow(), "after an earlier message",
                                        row.attempts)
            elif not await self._send(row):
                held = True
                self.wake.set()
        done = {row.id for row in claimed}
        rest = [i for i in ids if i not in done]
        if rest:
            await self.send_now(rest)

    async def send_now(self, ids: list[int]) -> None:
        """Send a turn's rows in order. A row that cannot go now holds back the rows
        after it to the same chat (the worker sends them later, in order); rows to
        other chats (notices) still go."""
        held: set[tuple[str, str]] = set()
        for row_id in ids:
            row = await asyncio.to_thread(self.store.get, row_id)
            if row is None or row.channel not in self.channels or (row.channel, row.chat_id) in held:
                continue  # a channel not running here: left to an instance that runs it
            claimed = await asyncio.to_thread(self.store.claim, row_id, self.lease)
            if claimed is None or not await self._send(claimed):
                # Sent already, or an older message to this chat goes first, or it failed.
                held.add((row.channel, row.chat_id))
                self.wake.set()

    async def run_once(self, now: datetime | None = None, limit: int = 500) -> int:
        """Send what is due now, each chat's rows in order, chats side by side;
        returns how many were sent."""
        heads = [h for h in await asyncio.to_thread(self.store.due_heads, now, limit, list(self.channels))
                 if h not in self.unrecorded]
        if not heads:
            return 0
        gate = asyncio.Semaphore(self.concurrency)
        sent = 0

        async def drain(first: int) -> None:
            nonlocal sent
            async with gate:
                row, unreachable = await asyncio.to_thread(self.store.claim_checked, first, self.lease, now)
                while row is not None:
                    if not await self._send(row, now, unreachable=unreachable, then_next=True):
                        return
                    sent += 1
                    row, unreachable = self._next.pop(row.id, (None, False))

        await asyncio.gather(*(drain(i) for i in heads))
        return sent

    async def send_chat(self, channel: str, chat_id: str, now: datetime | None = None) -> int:
        """Send what is due for one chat, in order (for a process without a worker: the
        console); returns how many were sent."""
        sent = 0
        while (first := await asyncio.to_thread(self.store.next_of_chat, channel, chat_id, now)) is not None:
            row, unreachable = await asyncio.to_thread(self.store.claim_checked, first, self.lease, now)
            if row is None or not await self._send(row, now, unreachable=unreachable):
                break
            sent += 1
        return sent

    async def run(self, stop: asyncio.Event, every: float = 1.0) -> None:
        """The worker loop: a pass every `every` seconds, or at once when woken. A pass
        that fails (the database is away) is retried with back-off, and the outage is
        two log lines, when it starts and when it ends (a line with two tracebacks every
        second made 270 KB of log in 30 s)."""
        while not stop.is_set():
            wait = every
            try:
                sent = await self.run_once()
            except Exception as exc:  # noqa: BLE001 - any failure: back off, the rows stay in the outbox
                wait = self._pass_failed(exc)
                sent = 0
            else:
                self._pass_worked()
            if sent:
                continue
            self.wake.clear()
            # A wake means a turn was just committed and sent: the database is back.
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
            await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    def _pass_failed(self, exc: Exception) -> float:
        """Seconds to wait before the next pass; logs the first failure of an outage."""
        from sqlalchemy.exc import SQLAlchemyError

        self.failed_passes += 1
        delay = self.backoff.next()
        if self.down_since is None:
            self.down_since = self.clock()
            # A database error says all there is to say in one line; anything else is a
            # bug, whose traceback is worth having once.
            log.error("delivery paused, the outbox cannot be read (%s); retrying with back-off up to %g s, "
                      "nothing is lost", one_line(exc), self.backoff.maximum,
                      exc_info=None if isinstance(exc, SQLAlchemyError | OSError) else exc)
        return delay

    def _pass_worked(self) -> None:
        self.backoff.reset()
        if self.down_since is not None:
            log.warning("delivery resumed after %.1f s down (%d failed passes)", self.clock() - self.down_since,
                        self.failed_passes)
            self.down_since = None
            self.failed_passes = 0

    # --- one message -------------------------------------------------------------
    async def _send(self, row: OutboxMessage, now: datetime | None = None, *, unreachable: bool | None = None,
                    then_next: bool = False) -> bool:
        """Send one claimed row and record the outcome; True when it went out. With
        `then_next`, recording it sent also claims its chat's next row (kept in `_next`)."""
        channel = self.channels.get(row.channel)
        if channel is None:
            # Not running here (console, or a channel without its token): give the row back as
            # it was, due and untried, for an instance that runs it (a delay or an error here
            # would hold that chat's later replies back there).
            await asyncio.to_thread(self.store.release, row.id)
            return False
        if unreachable is None:
            unreachable = row.kind == "notice" and await asyncio.to_thread(self.store.recipient_unreachable,
                                                                           row.channel, row.chat_id)
        if unreachable:
            follow = await asyncio.to_thread(self.store.mark_blocked, row, "recipient unreachable")
            self.counts["blocked"] += 1
            if follow:
                self.wake.set()
            return False
        limiter = self.limiters[row.channel]
        if limiter.paused_for() > PAUSE_HOLD:
            # The messenger asked the whole bot to wait: give the row back rather than
            # sit on its lease, which could expire while waiting.
            await asyncio.to_thread(self.store.retry_later, row.id,
                                    utcnow() + timedelta(seconds=limiter.paused_for()), "waiting for the messenger",
                                    row.attempts)
            return False
        try:
            reply = await self._reply(row, now or utcnow())
            if reply is None:  # a reminder whose deadline passed or was cancelled meanwhile
                await asyncio.to_thread(self.store.mark_skipped, row.id, "the deadline is over")
                return False
            if any(d.stored_file_id is not None for d in reply.documents):
                reply = await asyncio.to_thread(with_stored_documents, reply, self.files)
            await limiter.acquire(row.chat_id)
            # `to`: the real chat id when it is too long for the column (storage.clean.stored_id).
            await channel.deliver(row.payload.get("to", row.chat_id), reply, reply_to=row.payload.get("reply_to"))
        except RetryAfter as exc:
            # Not counted as an attempt: the messenger said when it will take the message.
            self.limiters[row.channel].pause(exc.seconds)
            log.warning("%s asks to wait %.0f s (message %s)", row.channel, exc.seconds, row.id)
            await asyncio.to_thread(self.store.retry_later, row.id, utcnow() + timedelta(seconds=exc.seconds),
                                    str(exc), row.attempts)
            self.counts["retry"] += 1
            return False
        except RecipientBlocked as exc:
            log.warning("%s chat %s is unreachable: %s", row.channel, row.chat_id, exc)
            follow = await asyncio.to_thread(self.store.mark_blocked, row, str(exc))
            self.counts["blocked"] += 1
            if follow:
                self.wake.set()
            return False
        except PermanentFailure as exc:
            log.error("%s refused message %s for chat %s: %s", row.channel, row.id, row.chat_id, exc)
            await asyncio.to_thread(self.store.mark_failed, row.id, str(exc), row.attempts + 1)
            self.counts["failed"] += 1
            return False
        except (Transient, Exception) as exc:  # noqa: BLE001 - an unknown failure is treated as passing
            attempts = row.attempts + 1
            if not isinstance(exc, Transient):
                log.exception("unexpected failure sending message %s", row.id)
            if ROW_RETRY.gives_up(attempts):
                log.error("giving up message %s for %s chat %s after %d attempts: %s", row.id, row.channel,
                          row.chat_id, attempts, exc)
                await asyncio.to_thread(self.store.mark_failed, row.id, str(exc), attempts)
                self.counts["failed"] += 1
            else:
                delay = ROW_RETRY.delay(attempts)
                log.warning("could not send message %s to %s chat %s (%s); trying again in %.0f s", row.id,
                            row.channel, row.chat_id, exc, delay)
                await asyncio.to_thread(self.store.retry_later, row.id, utcnow() + timedelta(seconds=delay),
                                        str(exc), attempts)
                self.counts["retry"] += 1
            return False
        await self._record_sent(row, now, then_next)
        self.counts["sent"] += 1
        return True

    async def _reply(self, row: OutboxMessage, now: datetime) -> Reply | None:
        """What a row sends: a reminder is made now (its days left, its choices offered),
        anything else is what the row holds."""
        if row.kind == "notice" and "reminder" in row.payload:
            return await asyncio.to_thread(self._reminder_now, row, now)
        return reply_of(row, now)

    def _reminder_now(self, row: OutboxMessage, now: datetime) -> Reply | None:
        with Session(self.store.engine) as s:
            reply = reminder_at_send(s, row, now)
            s.commit()  # its choices are the person's last list before they can read it
        return reply

    async def _record_sent(self, row: OutboxMessage, now: datetime | None, then_next: bool) -> None:
        """The messenger took the message: record it, however long the database is away.
        Meanwhile the row is held here (`unrecorded`), so this worker does not send it again
        when its lease runs out (20 answers were sent twice after a database outage)."""
        self.unrecorded.add(row.id)
        backoff = RECORD_RETRY.fresh()
        try:
            while True:
                try:
                    if then_next:
                        self._next[row.id] = await asyncio.to_thread(self.store.sent_then_next, row, self.lease, now)
                    else:
                        await self._sent_batch.record(row.id)
                    return
                except Exception as exc:  # noqa: BLE001 - the database is away: wait for it, one line each
                    delay = backoff.next()
                    log.warning("message %s was sent but cannot be recorded yet (%s); retrying in %.1f s", row.id,
                                type(exc).__name__, delay)
                    await asyncio.sleep(delay)
        finally:
            self.unrecorded.discard(row.id)
