"""The conversation: one incoming event in, one `Turn` out. No messenger here.

State that must survive between messages (the choices last offered, so a
numbered answer on Zalo or in the console can be read back; a form in
progress) lives in the turn's state, which the pipeline stores with the turn.
How a message is routed is the table `ROUTES` at the bottom of this module; its
routes are functions of the conversation and the message (handlers/flow_routes.py
while a form is active, handlers/plain_routes.py otherwise).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from content.service import Knowledge
from handlers import choices as ch
from handlers import commands, pages, plain_routes, texts
from handlers.basic_commands import BasicCommands
from handlers.commands import Command
from handlers.context import TurnContext
from handlers.events import Reply, Turn
from handlers.flow_routes import (
    MORE_WORDS,
    is_cancel,
    on_back,
    on_cancel,
    on_detour,
    on_flow_choice,
    on_flow_details,
    on_flow_files,
    on_flow_refused,
    on_flow_text,
    on_flow_undelivered,
    on_more_page,
    on_repeated_send,
    on_stale_flow_choice,
)
from handlers.menu import MENU as MENU  # tests read conversation.MENU
from handlers.menu import menu_choices
from handlers.message import Message
from handlers.qa.answers import AnswerResult, Answers

if TYPE_CHECKING:  # the features are imported when first used (Conversation._built)
    from handlers.features import Features
    from handlers.reports.review import LinkMaker

log = logging.getLogger(__name__)


class Conversation:
    console_url: str | None = None  # where the officers' console is reached (bot/app.py sets it)

    def __init__(self, knowledge: Knowledge, is_admin: Callable[[str, str], bool] | None = None,
                 officers: Callable[[], Iterable[tuple[str, str]]] | None = None, tz: ZoneInfo | None = None,
                 quiet: tuple[time, time] = (time(21), time(7)), invite_code: str | None = None,
                 max_file_mb: int = 10, make_link: LinkMaker | None = None):
        self.knowledge = knowledge
        self.is_admin = is_admin or (lambda _c, _u: False)
        self.tz = tz
        self._features_args = (officers or (lambda: ()), tz, quiet, invite_code,
                               max_file_mb, make_link)
        self._features: Features | None = None
        self._features_lock = threading.Lock()
        self.qa = Answers(knowledge)
        self.basics = BasicCommands(self)  # the commands of no feature (/start, /hoi, /trogiup...)

    # The features (and the storage they read) are built on first use: answering questions
    # alone (`python -m bot ask`) never loads them, and starts in half the time.
    def _built(self) -> Features:
        if self._features is None:
            with self._features_lock:  # turns may run in threads: one set of features, built once
                if self._features is None:
                    if self.tz is None:  # answering alone needs none; the features do
                        raise TypeError("the features need the bot's time zone: Conversation(..., tz=settings.tz)")
                    from handlers.features import Features  # the features load on first use

                    self._features = Features.build(self.knowledge, self.is_admin, *self._features_args)
        return self._features

    office = property(lambda self: self._built().office)
    deadlines = property(lambda self: self._built().deadlines)
    announcements = property(lambda self: self._built().announcements)
    profiles = property(lambda self: self._built().profiles)
    erasure = property(lambda self: self._built().erasure)
    reports = property(lambda self: self._built().reports)
    review = property(lambda self: self._built().review)
    flows = property(lambda self: self._built().flows)

    # --- entry point -------------------------------------------------------
    def handle(self, ctx: TurnContext) -> Turn:
        """Route one event; the new state says what was offered last, so "2" in the next
        message means the second line of the last list the user saw."""
        with self.knowledge.pinned():  # the whole turn reads one version of the content, whatever reloads
            return self._handle(ctx)

    def _handle(self, ctx: TurnContext) -> Turn:
        ctx.fallback_question, ctx.state.fallback_question = ctx.state.fallback_question, None
        msg = Message.of(self, ctx)
        sent = ctx.state.report_sent
        then = next(then for _name, when, then in ROUTES if when(self, msg))
        replies = then(self, msg)
        if sent is not None and ctx.state.report_sent is sent and then is not on_repeated_send:
            ctx.state.report_sent = None  # only the tap right after sending is read as the same tap
        if then is not on_more_page:
            at = next((i for i in range(len(replies) - 1, -1, -1) if replies[i].choices), None)
            if at is not None and not ctx.caps.buttons:  # numbered lines: a long list a page at a time
                replies[at] = pages.paged(replies[at], ctx.state)
            else:
                ctx.state.pages = None
        last = next((r for r in reversed(replies) if r.choices), None)
        ctx.state.choices = [{"id": c.id, "label": c.label} for c in last.choices] if last else []
        return Turn(replies=replies, notices=list(ctx.notices), state=ctx.state)

    def run(self, command: Command, ctx: TurnContext, rest: str = "") -> list[Reply]:
        """A command, once whoever sent it may use it: officers' commands are refused to staff
        here, for all of them (their services check again)."""
        if command.officer and not self.is_admin(ctx.event.channel, ctx.event.user_id):
            return [Reply(command.refusal, [ch.menu()])] if command.refusal else self._refused()
        return command.run(self, ctx, rest)

    def choose(self, choice: str, ctx: TurnContext) -> list[Reply]:
        """What a choice opens, as if its button had been pressed."""
        if ch.MENU.matches(choice):
            return [Reply(texts.MAIN_MENU, menu_choices())]
        if choice in commands.BY_MENU:
            return self.run(commands.BY_MENU[choice], ctx)
        # The feature that owns the kind of choice reads it (handlers/<feature>/commands.py);
        # officers' kinds are refused to staff here, for all of them (the features check again).
        route = commands.choice_route(choice)
        if route is not None and route.officer and not self.is_admin(ctx.event.channel, ctx.event.user_id):
            return self._refused()
        if route is not None:
            return route.run(self, ctx, choice)
        return [Reply(texts.STALE_CHOICE, menu_choices())]

    @staticmethod
    def _refused() -> list[Reply]:
        return [Reply(texts.NOT_ADMIN, [ch.menu()])]

    def answer(self, question: str, **kwargs) -> AnswerResult:  # noqa: ANN003 - Answers.answer's keywords
        """The reply to a question (handlers/qa/answers.py); one method, so a subclass sees every
        question answered (bot/logs.py)."""
        return self.qa.answer(question, **kwargs)


# The routing table: the first row whose test holds handles the message.
# While a flow is active it takes the message first; a number or a label is read
# against the last list offered (`Message.choice`), whichever list that was.
ROUTES: list[tuple[str, Callable[[Conversation, Message], bool], Callable[[Conversation, Message], list[Reply]]]] = [
    ("an officers' form, its author no longer an officer", lambda c, m: m.in_flow and not c.flows.allowed(m.ctx),
     on_flow_refused),
    ("'Xem thêm': the next page of a long list", lambda c, m: ch.MORE_PAGE.matches(m.choice) or (
        not m.choice and m.ctx.state.pages is not None and m.folded.strip(" .") in MORE_WORDS), on_more_page),
    ("'Gửi báo cáo' again just after the report went", lambda c, m: m.ctx.state.report_sent is not None
     and c.reports.repeated_send(m.ctx) is not None, on_repeated_send),
    ("a step's own option (button or number)", lambda c, m: m.in_flow and ch.FLOW_OPTION.matches(m.choice),
     on_flow_choice),
    ("files sent at a step that collects them", lambda c, m: m.in_flow and bool(m.ctx.event.attachments)
     and c.flows.accepts_files(m.ctx.state), on_flow_files),
    ("/huy, hủy: cancel the flow (or say there is none)", is_cancel, on_cancel),
    ("quay lại: the previous step", lambda c, m: m.in_flow and not m.choice and m.word == "back", on_back),
    ("a file the messenger withheld, at a step that takes files", lambda c, m: m.in_flow
     and m.ctx.event.unsupported == "unsupported" and c.flows.accepts_files(m.ctx.state), on_flow_undelivered),
    ("'chi tiết' typed during a form", lambda c, m: m.in_flow and not m.choice and m.word == "details",
     on_flow_details),
    ("typed answer to the current step", lambda c, m: m.in_flow and bool(m.text) and not m.choice
     and m.command is None, on_flow_text),
    ("anything else during a flow", lambda c, m: m.in_flow, on_detour),
    ("an option of a flow that is over", lambda c, m: ch.FLOW_OPTION.matches(m.choice), on_stale_flow_choice),
    ("everything else", lambda c, m: True, plain_routes.route),
]
