"""The conversation's own commands, those of no feature (declared in handlers/commands.py):
the menu, /hoi, /huy with no form to cancel, /toi, /trogiup, /reload and /dangnhap. Built by
the conversation, which the registry reaches them through (`conversation.basics`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from content.loader import ContentError
from handlers import choices as ch
from handlers import commands, plain_routes, texts
from handlers.context import TurnContext
from handlers.events import Choice, Reply
from handlers.menu import menu_choices
from handlers.message import Message
from handlers.office import choices as oc

if TYPE_CHECKING:
    from handlers.conversation import Conversation


class BasicCommands:
    def __init__(self, conv: Conversation):
        self.conv = conv

    def welcome(self, ctx: TurnContext) -> list[Reply]:
        return plain_routes.welcome(ctx.event)

    def ask(self, ctx: TurnContext, question: str | None) -> list[Reply]:
        """/hoi with a question: its answer; alone, what to type."""
        if question:
            return plain_routes.on_question(self.conv, Message(ctx=ctx, text=question))
        return [Reply(texts.ASK_PROMPT)]

    def nothing_to_cancel(self, _ctx: TurnContext) -> list[Reply]:
        return [Reply(texts.NOTHING_TO_CANCEL, menu_choices())]

    def whoami(self, ctx: TurnContext) -> list[Reply]:
        event = ctx.event
        who = f"{event.channel}:{event.user_id}"
        officer = self.conv.is_admin(event.channel, event.user_id)
        return [Reply((texts.WHO_AM_I_OFFICER if officer else texts.WHO_AM_I).format(id=who))]

    def help(self, ctx: TurnContext) -> list[Reply]:
        """The guide; an officer's has their commands too."""
        text = commands.help_text(officer=self.conv.is_admin(ctx.event.channel, ctx.event.user_id))
        return [Reply(text, [Choice(oc.ASK_OFFICE.encode(), texts.MENU_ASK_OFFICE), ch.menu()])]

    def reload(self, _ctx: TurnContext) -> list[Reply]:
        try:
            kb = self.conv.knowledge.reload()
        except ContentError as exc:
            return [Reply(texts.RELOAD_FAILED.format(problems="\n".join(exc.problems[:10])))]
        return [Reply(texts.RELOADED.format(entries=len(kb.entries), topics=len(kb.topics)))]

    def console_login(self, ctx: TurnContext) -> list[Reply]:
        """/dangnhap: a one-time link to the officers' console (handlers/console_login.py)."""
        from handlers.console_login import login_reply

        return [login_reply(ctx, self.conv.console_url, self.conv.tz)]
