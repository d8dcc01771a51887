"""The console channel: a chat in the terminal, numbered choices, until EOF.

It goes through the same pipeline as the messengers (each line is a turn,
committed with its state and outbox rows), so trying the bot here exercises
what Telegram and Zalo users get.

Each session starts a fresh conversation (the state a previous session left,
such as the last numbered list, is cleared), so a piped "2" never picks from
an old run's menu; `resume=True` (`--resume`) continues where the last one stopped."""

from __future__ import annotations

import asyncio
import getpass
import sys
import uuid
from typing import TextIO

from sqlalchemy import update
from sqlmodel import col

from bot.app import App
from bot.channel import Parsed
from bot.delivery import Delivery
from bot.pipeline import FloodGuard, Pipeline
from bot.rendering import numbered
from handlers.events import Capabilities, IncomingEvent, Reply
from storage.models import ProcessedUpdate
from storage.turns import TurnStore
from storage.users import touch_user

PROMPT = "Bạn> "
CHANNEL = "console"


class ConsoleChannel:
    name = CHANNEL
    capabilities = Capabilities(buttons=False, documents=False, text_limit=100_000)

    def __init__(self, out: TextIO, me: str):
        self.out = out
        self.me = me

    def parse(self, payload: dict) -> Parsed:
        """A stored line back as an event (catching up on a line a killed session left)."""
        event = IncomingEvent(channel=CHANNEL, chat_id=self.me, user_id=self.me, text=str(payload.get("text") or ""))
        return Parsed("", payload, event, self.me)

    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        if chat_id != self.me:  # a notice to another console user (an officer trying the bot)
            self.out.write(f"[gửi tới {chat_id}]\n")
        self.out.write(numbered(reply) + "\n\n")
        for doc in reply.documents:
            self.out.write(f"(tệp {doc.file_name}, {len(doc.data)} byte: bảng điều khiển không gửi được tệp)\n\n")
        self.out.flush()


class NoInput(Exception):
    """Standard input, not a terminal, ended before its first line: nobody is there to
    chat with (`run` under systemd or Docker with no token set)."""


def run_console(app: App, stdin: TextIO | None = None, stdout: TextIO | None = None, user_id: str | None = None,
                resume: bool = False, require_input: bool = False) -> int:
    # The streams of the moment of the call, not of the import (a test runs the CLI in process).
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    user = user_id or _local_user()
    if not resume:
        _forget(app, user)
    lines = asyncio.run(_chat(app, stdin, stdout, user))
    if require_input and not lines and not stdin.isatty():
        raise NoInput
    return 0


def _forget(app: App, user: str) -> None:
    """Clear this console user's conversation state, and close the updates a killed
    session left pending: the catch-up would otherwise answer them first, in a
    conversation the person has left."""
    with app.repo.session() as s:
        me = touch_user(s, CHANNEL, user)
        s.execute(update(ProcessedUpdate)
                  .where(col(ProcessedUpdate.channel) == CHANNEL, col(ProcessedUpdate.user_key) == user,
                         col(ProcessedUpdate.status) == "pending")
                  .values(status="done", payload=None))
        store = TurnStore(s)
        _state, version = store.load_state(me)
        # Versioned like a turn: a concurrent session's write is not overwritten blindly.
        if version is not None and not store.save_state(me, {}, version):
            s.rollback()
            return
        s.commit()


async def _chat(app: App, stdin: TextIO, out: TextIO, user: str) -> int:
    """Chat until standard input ends; returns how many lines were read."""
    channel = ConsoleChannel(out, user)
    delivery = Delivery(app.outbox, {CHANNEL: channel}, files=app.files)  # type: ignore[dict-item]
    # One person at a keyboard (or a piped file): no flood guard.
    pipeline = Pipeline(app.conversation, app.repo, delivery, channels={CHANNEL: channel},
                        flood=FloodGuard(limit=1_000_000))
    session = uuid.uuid4().hex[:8]  # keys of this session's turns; a second session never collides
    interactive = stdin.isatty()

    async def say(text: str, n: int) -> None:
        event = IncomingEvent(channel=CHANNEL, chat_id=user, user_id=user, text=text, message_id=str(n))
        key = f"{session}:{n}"
        await pipeline.accept(CHANNEL, key, {"text": text}, user)
        await pipeline.process(event, update_key=key, notify_slow=False)
        await deliver_waiting()

    async def deliver_waiting() -> None:
        """No delivery worker runs here: what waits for this person (a reminder queued by
        `reminders dispatch`, a reply queued behind it) is sent now, in order."""
        await delivery.send_chat(CHANNEL, user)

    await deliver_waiting()

    if interactive:
        await say("/start", 0)
        out.write("(Gõ câu hỏi rồi nhấn Enter; Ctrl+D để thoát.)\n\n")
    n = 0
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        n += 1
        text = line.rstrip("\r\n")
        if not interactive:
            out.write(f"{PROMPT}{text}\n")
        await say(text, n)
    return n


def _local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "console"
