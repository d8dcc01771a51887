"""One incoming event read once: the choice it makes (a button, a listed number, a label or a
main-menu item typed), its text, its command and the words typed for one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from content.normalize import fold
from handlers import commands
from handlers.command import Command
from handlers.context import TurnContext
from handlers.deadlines import choices as dc
from handlers.events import Choice
from handlers.menu import MENU

if TYPE_CHECKING:
    from handlers.conversation import Conversation


@dataclass


class Message:
    """One event read once: the choice it makes, its text, its command."""

    ctx: TurnContext
    text: str = ""
    choice: str | None = None
    caption: str = ""
    command: Command | None = None
    rest: str = ""
    folded: str = ""
    word: str | None = None  # what the words typed instead of a command ask for (commands.yaml)
    in_flow: bool = False

    @classmethod
    def of(cls, conv: Conversation, ctx: TurnContext) -> Message:
        event = ctx.event
        offered = [Choice(**c) for c in ctx.state.choices]
        text = (event.text or "").strip()
        if text.startswith("/") or (conv.flows.expects_text(ctx.state) and text.strip(" .").isdigit()):
            # A command is never a pick ("/duyet" is not the "Duyệt" choice of a notice);
            # at a step that wants typed text, "1" is the answer, not a pick.
            choice = event.choice
        else:
            choice = event.choice or read_choice(text, offered) or (
                None if conv.flows.active(ctx.state) else menu_item(text))
        caption = next((a.caption.strip() for a in event.attachments if a.caption and a.caption.strip()), "")
        command, rest = commands.by_slash(text) if text.startswith("/") and len(text) > 1 else (None, "")
        folded = fold(text)
        word = None if text.startswith("/") else conv.knowledge.typed_command(text)
        if command is None and word in commands.WORD_COMMANDS:
            command = commands.BY_NAME[word]
        return cls(ctx=ctx, text=text, choice=choice, caption=caption, command=command, rest=rest, folded=folded,
                   word=word, in_flow=conv.flows.active(ctx.state) is not None)


def read_choice(text: str, offered: list[Choice]) -> str | None:
    """A listed number ("2", "2.", "số 2") or a choice's own text picks that choice."""
    if not offered or not text:
        return None
    folded = fold(text)
    number = folded.removeprefix("so ").removeprefix("chon ").strip().rstrip(".")
    if number.isdigit() and 1 <= int(number) <= len(offered):
        return offered[int(number) - 1].id
    for c in offered:
        # "Đã nộp" typed is read as the words (Deadlines.ack): with several reminders
        # listed, the label alone does not say which deadline.
        if fold(c.label) == folded and not dc.ACK.matches(c.id):
            return c.id
    return None


def menu_item(text: str) -> str | None:
    """The words of a main-menu item typed instead of tapped ("lịch nhắc hạn",
    "gui guong nguoi tot"), with or without diacritics: that item."""
    folded = fold(text)
    return next((cid for cid, label in MENU if fold(label) == folded), None)
