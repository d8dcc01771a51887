"""The console channel: a chat in the terminal, numbered choices, until EOF."""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from bot.rendering import numbered
from handlers.conversation import Conversation
from handlers.events import IncomingEvent

PROMPT = "Bạn> "


def run_console(conversation: Conversation, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
                user_id: str | None = None) -> int:
    interactive = stdin.isatty()
    user = user_id or _local_user()
    out = stdout

    def show(replies) -> None:  # noqa: ANN001
        for reply in replies:
            out.write(numbered(reply) + "\n\n")
        out.flush()

    if interactive:
        show(conversation.handle(IncomingEvent(channel="console", chat_id=user, user_id=user, text="/start")))
        out.write("(Gõ câu hỏi rồi nhấn Enter; Ctrl+D để thoát.)\n\n")
    n = 0
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = stdin.readline()
        if not line:
            break
        n += 1
        text = line.rstrip("\r\n")
        if not interactive:
            out.write(f"{PROMPT}{text}\n")
        show(conversation.handle(IncomingEvent(channel="console", chat_id=user, user_id=user, text=text,
                                               message_id=str(n))))
    return 0


def _local_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "console"
