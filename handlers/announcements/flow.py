"""/thongbao in chat: an officer picks the audience (everyone with reminders on, or one unit),
types the text, sees how many people it will reach and sends it (service.announce)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from content.deadlines import AUDIENCE_ALL, UNIT_PREFIX
from content.service import Knowledge
from handlers import texts
from handlers.announcements import service
from handlers.announcements import texts as at
from handlers.context import TurnContext
from handlers.deadlines.service import reach
from handlers.events import Reply
from handlers.flows import FINISH, SEND, Flow, FlowData, FlowEngine, FlowValues, Option, Step, text_between
from handlers.officers import actor

ANNOUNCE = "announce"  # the flow's name, kept in the state of a form in progress


@dataclass
class AnnounceValues(FlowValues):
    audience: str = ""  # all, or a unit's id
    text: str = ""
    confirm: str | None = None


class Announcements:
    def __init__(self, knowledge: Knowledge, is_officer: Callable[[str, str], bool]):
        self.knowledge = knowledge
        self.is_officer = is_officer
        self.engine: FlowEngine | None = None

    def flows(self) -> list[Flow]:
        units = lambda: [Option(u.id, u.name) for u in self.knowledge.kb.units]  # noqa: E731 - read when asked
        return [Flow(ANNOUNCE, at.TITLE, finish=self._send, officers_only=True, values=AnnounceValues, steps=[
            Step("audience", prompt=lambda d: at.ASK_AUDIENCE, options=lambda d: [Option(AUDIENCE_ALL, at.ALL), *units()]),
            Step("text", prompt=lambda d: at.ASK_TEXT, parse=text_between(*service.TEXT, at.WHAT)),
            Step("confirm", prompt=lambda d: at.CONFIRM.format(count=reach(d.ctx.store, self._audience(d)),
                                                               text=d.values.text),
                 options=lambda d: [Option("send", at.SEND, SEND)], after=lambda d, v: FINISH),
        ])]

    def start(self, ctx: TurnContext) -> list[Reply]:
        """/thongbao: officers only (the router refused staff already; a form checks again)."""
        if not self.is_officer(ctx.event.channel, ctx.event.user_id):
            return [Reply(texts.NOT_ADMIN)]
        assert self.engine is not None
        return self.engine.start(ctx, ANNOUNCE)

    @staticmethod
    def _audience(d: FlowData) -> str:
        audience = d.values.audience
        return audience if audience == AUDIENCE_ALL else f"{UNIT_PREFIX}{audience}"

    def _send(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        out = service.announce(ctx.store, actor(ctx), self._audience(data), data.values.text)
        for notice in out.notices:
            ctx.notify(notice)
        return [Reply(out.text)]
