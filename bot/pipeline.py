"""What every channel does with an incoming event, polling or webhook alike.

    accept   the update goes into the inbox (a redelivery stops here)
    turn     one transaction: state read (with its version), handlers run,
             new state written if nobody changed it meanwhile (else run again),
             inbox row marked done, replies and notices written to the outbox
    deliver  the turn's outbox rows are sent at once; what cannot go now is
             left to the delivery worker

A crash before the commit leaves the update pending: it is run again, from the
same state, by the recovery sweep or the next start. A crash after it leaves
outbox rows, which the worker sends. Either way the user sees each reply once.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.channel import InvalidUpdate
from bot.delivery import Delivery
from bot.files import Fetcher, TurnFiles
from handlers import texts
from handlers.context import TurnContext
from handlers.conversation import Conversation
from handlers.events import Capabilities, IncomingEvent, Reply, Turn, reply_to_dict
from handlers.services import notice_rows, offer_notice_choices
from storage.clean import clean_text, clip_name
from storage.files import FileStore
from storage.models import OutboxMessage, aware, utcnow
from storage.repo import Repository
from storage.turns import OutboxRow, TurnStore

log = logging.getLogger(__name__)

MAX_CONFLICTS = 5  # a turn whose state changed under it is run again this many times


@dataclass(frozen=True)
class CommittedTurn:
    replies: list[Reply]
    outbox_ids: list[int]
    # The replies, inserted already claimed by this process (see TurnStore.add_outbox).
    claimed: list[OutboxMessage] = field(default_factory=list)


class _CutOff(Exception):  # noqa: N818 - a signal, not an error
    """Older updates of this person are still pending (a crash cut their turns off):
    they go first, so that "1" is read against the list it answered."""

    def __init__(self, older: list[tuple[str, dict]]):
        super().__init__(f"{len(older)} older update(s) pending")
        self.older = older


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


class AcceptBatch:
    """Group commit for the inbox: the updates that arrive while one insert is being
    written are inserted together by the next one, in one transaction (a burst of
    webhooks cost one commit each). Each caller still returns only once its own row is
    committed. A lone update goes through `Repository.accept_update` as before; if a
    batch's transaction fails, its updates are accepted one by one, so one update the
    database refuses fails alone."""

    def __init__(self, repo: Repository):
        self.repo = repo
        self._waiting: list[tuple[tuple[str, str, dict | None, str | None], asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def accept(self, channel: str, update_key: str, payload: dict | None, user_key: str | None) -> bool:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append(((channel, update_key, payload, user_key), done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        return await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            if len(batch) > 1:
                try:
                    fresh = await asyncio.to_thread(self.repo.accept_many, [item for item, _ in batch])
                except Exception as exc:  # noqa: BLE001 - retried one by one below
                    log.info("accepting %d updates together failed (%s); one by one", len(batch), type(exc).__name__)
                else:
                    for (_, done), ok in zip(batch, fresh, strict=True):
                        if not done.done():
                            done.set_result(ok)
                    continue
            for item, done in batch:
                try:
                    ok = await asyncio.to_thread(self.repo.accept_update, *item)
                except Exception as exc:  # noqa: BLE001 - the caller decides (the webhook answers 500)
                    if not done.done():
                        done.set_exception(exc)
                else:
                    if not done.done():
                        done.set_result(ok)


class Pipeline:
    """Built with everything a turn needs: the delivery that sends its messages (None:
    they wait in the outbox), and the channels it runs for (what each can show, how each
    fetches files, how each reads a stored update back when catching up)."""

    def __init__(self, conversation: Conversation, repo: Repository, delivery: Delivery | None = None, *,
                 channels: Mapping[str, object] | None = None, files: FileStore | None = None,
                 flood: FloodGuard | None = None, recover_after: timedelta = timedelta(0)):
        self.conversation = conversation
        self.repo = repo
        self.delivery = delivery
        self.flood = flood or FloodGuard()
        # Several instances share one inbox: an update accepted a moment ago may
        # still be answered by another one, so recovery leaves it this long.
        self.recover_after = recover_after
        channels = dict(channels or {})
        self.capabilities: dict[str, Capabilities] = {n: ch.capabilities for n, ch in channels.items()}  # type: ignore[attr-defined]
        self.files = files
        self.fetchers: dict[str, Fetcher] = {n: f for n, ch in channels.items()
                                             if (f := getattr(ch, "fetcher", None)) is not None}
        # Each channel's way to read a stored update back into an event (for catching up).
        self.readers: dict[str, Callable[[dict], IncomingEvent | None]] = {
            n: _reader(ch) for n, ch in channels.items() if hasattr(ch, "parse")}
        self._loop: asyncio.AbstractEventLoop | None = None
        # Inbox rows this process has in hand (accepted or recovered, turn not yet over):
        # the recovery sweep leaves them alone, however long a flood or a slow database
        # keeps them waiting, so nothing this process still holds is run twice.
        self.holding: set[tuple[str, str]] = set()
        self._accepts = AcceptBatch(repo)

    # --- the inbox -----------------------------------------------------------------
    async def accept(self, channel: str, update_key: str, payload: dict | None = None,
                     user_key: str | None = None) -> bool:
        """False when this update was already accepted (a redelivery): skip it.
        `user_key` (the platform's id of who wrote) lets a later message of theirs
        wait for this one if a crash cuts its turn off."""
        # Held from before the insert: a sweep running while it commits must not take it.
        held = (channel, update_key) not in self.holding
        self.holding.add((channel, update_key))
        try:
            fresh = await self._accepts.accept(channel, update_key, payload, user_key)
        except BaseException:
            if held:
                self.holding.discard((channel, update_key))
            raise
        if not fresh:
            if held:
                self.holding.discard((channel, update_key))
            log.info("skipping redelivered %s update %s", channel, update_key)
        return fresh

    def release(self, channel: str, *update_keys: str) -> None:
        """This process is done with these updates (their turn committed, or it failed
        and the sweep may take them after `recover_after`)."""
        for key in update_keys:
            self.holding.discard((channel, key))

    async def recover(self, channel: str, older_than: timedelta | None = None) -> list[tuple[str, dict]]:
        """(update_key, payload) of updates accepted earlier whose turn was never committed.
        At start every one is taken (a turn run twice commits once); the periodic sweep
        leaves recent ones to the instance that may still be answering them."""
        age = self.recover_after if older_than is None else older_than
        held = {key for ch, key in self.holding if ch == channel}
        claimed = await asyncio.to_thread(self.repo.pending_updates, channel, 3, age, held)
        self.holding.update((channel, key) for key, _ in claimed)
        return claimed

    async def finish(self, channel: str, update_key: str) -> None:
        """Mark an accepted update done without a turn (ignored event kinds)."""
        try:
            await asyncio.to_thread(self.repo.finish_update, channel, update_key)
        finally:
            self.release(channel, update_key)

    # --- turns -------------------------------------------------------------------------
    async def process(self, event: IncomingEvent, update_key: str | None = None,
                      reply_to: str | None = None, notify_slow: bool = True,
                      also_done: tuple[str, ...] = ()) -> CommittedTurn | None:
        """Run the turn of one accepted event and send its messages; None when the
        update's turn was committed before (by this or another instance)."""
        self._loop = asyncio.get_running_loop()
        try:
            wait, warn = self.flood.delay(event.channel, event.user_id)
            if warn and notify_slow and self.delivery is not None:
                ids = await asyncio.to_thread(self._enqueue_slow_down, event)
                await self.delivery.send_now(ids)
            if wait:
                await asyncio.sleep(wait)
            while True:
                try:
                    committed = await self._run_turn(event, update_key, reply_to, also_done, True)
                    break
                except _CutOff as cut:
                    await self._catch_up(event, update_key, cut.older)
        finally:
            if update_key is not None:
                self.release(event.channel, update_key, *also_done)
        await self._send(committed)
        return committed

    async def _run_turn(self, event: IncomingEvent, *args: object) -> CommittedTurn | None:
        return await asyncio.to_thread(self.commit_turn, event, *args)  # type: ignore[arg-type]

    async def _send(self, committed: CommittedTurn | None) -> None:
        if committed is not None and self.delivery is not None:
            await self.delivery.send_turn(committed.claimed, committed.outbox_ids)

    async def _catch_up(self, event: IncomingEvent, update_key: str | None, older: list[tuple[str, dict]]) -> None:
        """Run this person's older updates whose turn a crash cut off, before this one."""
        reader = self.readers[event.channel]
        for key, payload in older:
            try:
                earlier = reader(payload)
            except Exception:
                log.exception("unreadable stored %s update %s", event.channel, key)
                earlier = None
            if earlier is None or earlier.user_id != event.user_id:
                await self.finish(event.channel, key)
                continue
            log.info("%s update %s was cut off; answering it before %s", event.channel, key, update_key)
            await self._send(await self._run_turn(earlier, key))

    def commit_turn(self, event: IncomingEvent, update_key: str | None = None,
                    reply_to: str | None = None, also_done: tuple[str, ...] = (),
                    catch_up: bool = False) -> CommittedTurn | None:
        """Run and commit the turn of one event, in one transaction: the person's row, the
        state, the inbox row, the outbox rows (the replies claimed for sending at once).
        `also_done`: other inbox rows this event stands for (the other photos of a Telegram
        album), marked done with it. With `catch_up`, raises _CutOff when older updates
        of this person are still pending."""
        event = clean_event(event)
        key = update_key or f"local-{uuid.uuid4().hex}"
        caps = self.capabilities.get(event.channel, Capabilities())
        lease = self.delivery.lease if self.delivery is not None else None
        for _ in range(MAX_CONFLICTS):
            with self.repo.session() as s:
                store = TurnStore(s)
                if catch_up and update_key is not None and event.channel in self.readers:
                    older = store.older_pending(event.channel, event.user_id, update_key)
                    if older:
                        s.rollback()
                        raise _CutOff(older)
                # Read first, written with the turn's other writes at the end: on SQLite the
                # first write takes the database's one write lock until the commit, and a
                # handler that takes its time (a file to fetch) must not hold it meanwhile.
                known = store.user_id(event.channel, event.user_id)
                user_id = known or store.touch_user(event.channel, event.user_id, event.display_name)
                state, version = store.load_conversation(user_id)
                ctx = TurnContext(event=event, user_id=user_id, state=copy.deepcopy(state), store=store, caps=caps)
                if self.files is not None and self._loop is not None:
                    ctx.files = TurnFiles(self._loop, self.fetchers.get(event.channel), self.files, s, user_id,
                                          event.channel)
                try:
                    turn = self.conversation.handle(ctx)
                except Exception:
                    log.exception("handler failed for a %s event", event.channel)
                    s.rollback()  # nothing the handler wrote is kept; the state stays as it was
                    ctx.after_commit.clear()
                    ctx.store_name = True
                    user_id = store.touch_user(event.channel, event.user_id, event.display_name)
                    turn = Turn([Reply(texts.INTERNAL_ERROR)], [], state)
                turn.state.notice_list = None  # the person wrote: the reminders' list is over
                asked_at = store.finish_update(event.channel, update_key) if update_key is not None else None
                if update_key is not None and asked_at is None:
                    s.rollback()
                    log.info("%s update %s was handled already", event.channel, update_key)
                    return None
                for other in also_done:
                    store.finish_update(event.channel, other)
                if known:  # no name: the stored one is kept (or stays erased)
                    store.touch_user(event.channel, event.user_id, event.display_name if ctx.store_name else None)
                rows = self._rows(event, key, turn, reply_to, asked_at)
                own = offer_notice_choices(store, turn.notices, user_id)
                if own is not None and not turn.state.flow:  # a notice to the writer: their last list
                    turn.state.choices = own
                if not store.save_conversation(user_id, turn.state, version):
                    s.rollback()
                    log.info("state of %s user %s changed during a turn; running it again", event.channel,
                             event.user_id)
                    continue
                # Claimed here unless an older message to this chat still waits (it goes first).
                until = utcnow() + lease if lease and not store.chat_has_unsent(event.channel, event.chat_id) else None
                claimed: dict[int, OutboxMessage] = {}
                ids = store.add_outbox(rows, claimed, until)
                s.commit()
                _after_commit(ctx)
                return CommittedTurn(turn.replies, ids, [claimed[i] for i in ids if i in claimed])
        raise RuntimeError(f"the state of {event.channel} user {event.user_id} kept changing; turn not committed")

    @staticmethod
    def _rows(event: IncomingEvent, key: str, turn: Turn, reply_to: str | None,
              asked_at: datetime | None) -> list[OutboxRow]:
        question = (event.text or next((a.caption for a in event.attachments if a.caption), "") or "")[:200]
        asked = aware(asked_at).isoformat() if asked_at else None
        # The arrival time tells apart two updates that reuse one id (Telegram restarts its
        # ids after a week without updates): the second one's replies must not be deduplicated.
        stamp = f"{key}@{int(aware(asked_at).timestamp() * 1_000_000)}" if asked_at else key
        rows = [OutboxRow(dedup_key=f"{event.channel}:{stamp}:r{i}", channel=event.channel, chat_id=event.chat_id,
                          kind="reply", payload={"reply": reply_to_dict(r), "seq": i, "question": question,
                                                 "reply_to": reply_to if i == 0 else None, "asked_at": asked})
                for i, r in enumerate(turn.replies)]
        return rows + notice_rows(turn.notices)

    def _enqueue_slow_down(self, event: IncomingEvent) -> list[int]:
        with self.repo.session() as s:
            ids = TurnStore(s).add_outbox([OutboxRow(
                dedup_key=f"{event.channel}:slow:{event.chat_id}:{int(time.time() // 10)}", channel=event.channel,
                chat_id=event.chat_id, kind="notice", payload={"reply": reply_to_dict(Reply(texts.SLOW_DOWN))})])
            s.commit()
            return ids


def _reader(channel: object) -> Callable[[dict], IncomingEvent | None]:
    def read(payload: dict) -> IncomingEvent | None:
        try:
            return channel.parse(payload).event  # type: ignore[attr-defined]
        except InvalidUpdate:
            return None

    return read


def _after_commit(ctx: TurnContext) -> None:
    """What the handlers left for after the commit (files to remove from the disk). A
    failure is logged, not raised: the turn is committed and its replies must go."""
    for action in ctx.after_commit:
        try:
            action()
        except Exception:
            log.exception("after-commit action of a %s turn failed", ctx.event.channel)


def clean_event(event: IncomingEvent) -> IncomingEvent:
    """The event with what people typed made storable (no NUL bytes or lone surrogates,
    which PostgreSQL refuses in text) and the name clipped to its column; handlers and
    every table they write then see only clean text."""
    text = clean_text(event.text) if event.text else event.text
    name = clip_name(event.display_name)
    choice = clean_text(event.choice) if event.choice else event.choice
    attachments = tuple(replace(a, caption=clean_text(a.caption) if a.caption else a.caption,
                                file_name=clean_text(a.file_name) if a.file_name else a.file_name)
                        for a in event.attachments)
    if (text, name, choice, attachments) == (event.text, event.display_name, event.choice, event.attachments):
        return event
    return replace(event, text=text, display_name=name, choice=choice, attachments=attachments)
