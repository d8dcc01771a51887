"""The conversation: one incoming event in, one `Turn` out. No messenger here.

State that must survive between messages (the choices last offered, so a
numbered answer on Zalo or in the console can be read back; a form in
progress) lives in the turn's state, which the pipeline stores with the turn.
How a message is routed is the table `ROUTES` at the bottom of this module.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from content.loader import ContentError
from content.naming import named
from content.normalize import fold
from content.service import Knowledge
from handlers import choices as ch
from handlers import commands, pages, texts
from handlers.commands import Command
from handlers.context import TurnContext
from handlers.events import Choice, IncomingEvent, Reply, Turn
from handlers.flows import FlowEngine
from handlers.menu import MENU, menu_choices
from handlers.qa.answers import MAX_QUESTION, AnswerResult, Answers
from handlers.reports import texts as rt

if TYPE_CHECKING:  # the features are imported when first used (Conversation._built)
    from handlers.deadlines.flow import Deadlines
    from handlers.office.flow import Office
    from handlers.profile.erasure import Erasure
    from handlers.profile.flow import Profiles
    from handlers.reports.flow import Reports
    from handlers.reports.review import LinkMaker, Review

log = logging.getLogger(__name__)

FEATURES = {"deadlines": ch.DEADLINES.encode()}  # dialogue.yaml `features` -> the menu item that opens each
# On folded text: "12", "số 12", "chọn 12" (digits alone are never a question the content answers).
NUMBER = re.compile(r"(?:so |chon )?\d{1,6}")

# An officer's "trả lời 3", "trả lời câu hỏi số 3", "tl câu 3" (folded): answer the Office question of that number.
ANSWER_NUMBER = re.compile(r"(?:tra loi|tl)(?: cho)?(?: cau(?: hoi)?)?(?: so)? ?(\d{1,9})")
# "Xem thêm" typed under a long list.
MORE_WORDS = frozenset({"xem them", "them", "tiep", "xem tiep", "trang sau", "trang tiep", "con nua"})
# "bạn là ai?", "chào bạn, bạn tên gì vậy": the bot introduces itself.
WHO_ARE_YOU = re.compile(r"^(?:(?:xin )?chao(?: ban| bot| em| ad)? )?(?:ban|bot|em|ad|admin) (?:la ai|ten (?:la )?gi|la gi"
                         r"|la bot gi|lam duoc gi|giup duoc gi)(?: vay| the| a| nhi| nhe| day)?$")


@dataclass
class _Features:
    office: Office
    deadlines: Deadlines
    profiles: Profiles
    erasure: Erasure
    reports: Reports
    review: Review
    flows: FlowEngine

    @classmethod
    def build(cls, knowledge: Knowledge, is_admin: Callable[[str, str], bool],
              officers: Callable[[], Iterable[tuple[str, str]]], tz: ZoneInfo, quiet: tuple[time, time],
              invite_code: str | None, max_file_mb: int, make_link: LinkMaker | None) -> _Features:
        from handlers.deadlines.flow import Deadlines
        from handlers.office.flow import Office
        from handlers.profile.erasure import Erasure
        from handlers.profile.flow import Profiles
        from handlers.reports.flow import Reports
        from handlers.reports.review import Review

        office = Office(None, officers, is_admin, tz=tz)
        deadlines = Deadlines(knowledge, is_admin, tz, quiet)
        profiles = Profiles(knowledge, invite_code, tz)
        erasure = Erasure(officers)
        reports = Reports(knowledge, profiles, officers, tz, max_file_mb)
        review = Review(reports, is_admin, officers, make_link)
        flows = FlowEngine(office.flows() + deadlines.flows() + profiles.flows() + erasure.flows() + reports.flows()
                           + review.flows(), is_officer=is_admin,
                           names=lambda text, options: named(knowledge.matcher.analyzer, text, options))
        office.engine = deadlines.engine = profiles.engine = erasure.engine = reports.engine = review.engine = flows
        return cls(office, deadlines, profiles, erasure, reports, review, flows)


class Conversation:
    console_url: str | None = None  # where the officers' console is reached (bot/app.py sets it)

    def __init__(self, knowledge: Knowledge, is_admin: Callable[[str, str], bool] | None = None,
                 officers: Callable[[], Iterable[tuple[str, str]]] | None = None, tz: ZoneInfo | None = None,
                 quiet: tuple[time, time] = (time(21), time(7)), invite_code: str | None = None,
                 max_file_mb: int = 10, make_link: LinkMaker | None = None):
        self.knowledge = knowledge
        self.is_admin = is_admin or (lambda _c, _u: False)
        self._features_args = (officers or (lambda: ()), tz, quiet, invite_code,
                               max_file_mb, make_link)
        self._features: _Features | None = None
        self._features_lock = threading.Lock()
        self.qa = Answers(knowledge)

    # The features (and the storage they read) are built on first use: answering questions
    # alone (`python -m bot ask`) never loads them, and starts in half the time.
    def _built(self) -> _Features:
        if self._features is None:
            with self._features_lock:  # turns may run in threads: one set of features, built once
                if self._features is None:
                    if self._features_args[1] is None:  # answering alone needs none; the features do
                        raise TypeError("the features need the bot's time zone: Conversation(..., tz=settings.tz)")
                    self._features = _Features.build(self.knowledge, self.is_admin, *self._features_args)
        return self._features

    office = property(lambda self: self._built().office)
    deadlines = property(lambda self: self._built().deadlines)
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
        if sent is not None and ctx.state.report_sent is sent and then is not Conversation.on_repeated_send:
            ctx.state.report_sent = None  # only the tap right after sending is read as the same tap
        if then is not Conversation.on_more_page:
            at = next((i for i in range(len(replies) - 1, -1, -1) if replies[i].choices), None)
            if at is not None and not ctx.caps.buttons:  # numbered lines: a long list a page at a time
                replies[at] = pages.paged(replies[at], ctx.state)
            else:
                ctx.state.pages = None
        last = next((r for r in reversed(replies) if r.choices), None)
        ctx.state.choices = [{"id": c.id, "label": c.label} for c in last.choices] if last else []
        return Turn(replies=replies, notices=list(ctx.notices), state=ctx.state)

    # --- routes ----------------------------------------------------------------
    def on_flow_choice(self, msg: Message) -> list[Reply]:
        return self.flows.on_choice(msg.ctx, msg.choice or "")

    def on_flow_refused(self, msg: Message) -> list[Reply]:
        """An officers' form whose author is no longer an officer (ADMIN_IDS changed since
        it began): it ends here, nothing of it is done."""
        msg.ctx.state.flow = None
        return [Reply(texts.NOT_ADMIN, [ch.menu()])]

    def on_cancel(self, msg: Message) -> list[Reply]:
        if msg.in_flow:
            return self.flows.cancel(msg.ctx)
        return [Reply(texts.NOTHING_TO_CANCEL, menu_choices())]

    def on_back(self, msg: Message) -> list[Reply]:
        return self.flows.back(msg.ctx)

    def on_flow_files(self, msg: Message) -> list[Reply]:
        return self.flows.on_files(msg.ctx, msg.ctx.event.attachments)

    def on_flow_text(self, msg: Message) -> list[Reply]:
        """The answer to the current step; a question typed instead is answered and the
        step shown again, so the form is not lost."""
        typed = self.flows.expects_text(msg.ctx.state) or self.flows.takes_typed(msg.ctx.state)
        if typed and self.knowledge.typed_as_question(msg.text):
            # "Tiêu chí 2.1 là gì?", "cho em hỏi ..." typed where a name or a story is expected:
            # a question, answered when the bot knows the answer; otherwise the step's answer.
            found = self.answer(msg.text, ctx=msg.ctx, record=False)
            if found.kind == "answer":
                return [*self._aside(msg, found.reply_list), self._resume(msg)]
        taken = self.flows.on_text(msg.ctx, msg.text)
        if taken is not None:
            return taken
        number = msg.text.strip(" .")
        if number.isdigit():  # a number that is not on the step's list
            count = len(self.flows.prompt(msg.ctx).choices)
            return [self.flows.prompt(msg.ctx, texts.FLOW_NUMBER_OUTSIDE.format(number=number, count=count))]
        found = self.answer(msg.text, ctx=msg.ctx)
        if found.kind == "fallback":
            return [self.flows.prompt(msg.ctx, texts.FLOW_PICK_ONE)]
        return [*self._aside(msg, found.reply_list), self._resume(msg)]

    def on_flow_details(self, msg: Message) -> list[Reply]:
        """"chi tiết" typed in the middle of a form: the whole last answer, then the step."""
        return [*self._aside(msg, self.on_details(msg)), self._resume(msg)]

    def on_flow_undelivered(self, msg: Message) -> list[Reply]:
        """Something the messenger did not hand over (a PDF sent on Zalo) at a step that takes
        files: what this channel can carry, then the step in short."""
        note = rt.FILE_NOT_READ if msg.ctx.caps.takes_documents else rt.FILE_NOT_DELIVERED
        return [self.flows.prompt(msg.ctx, note, short=True)]

    def on_detour(self, msg: Message) -> list[Reply]:
        """Anything else while a flow is active (a menu button, a command, a photo):
        handled as usual, then the current step is shown again."""
        if self._starts_flow(msg):
            return [self._resume(msg)]
        event = msg.ctx.event
        if not msg.text and not msg.choice and not msg.caption and not event.attachments and not event.unsupported:
            return [self.flows.prompt(msg.ctx, texts.FLOW_EMPTY)]  # an empty message: the step again, nothing else
        return [*self._aside(msg, self.route_plain(msg)), self._resume(msg)]

    def _aside(self, msg: Message, replies: list[Reply]) -> list[Reply]:
        """Replies given in the middle of a form. Without buttons, their choices become
        plain lines: the numbers typed next belong to the form's step, shown after them."""
        if msg.ctx.caps.buttons:
            return replies
        # Only what typing picks stays: an entry's title where typed text is asked as a
        # question; "Xem chi tiết" as the words that open it. The menu or "Hỏi Văn phòng"
        # would start something else in the middle of the form.
        titles = self.flows.reads_questions(msg.ctx.state)
        out = []
        for r in replies:
            lines = [f"- {c.label}" for c in r.choices if titles and ch.ENTRY.matches(c.id)]
            if any(ch.DETAILS.matches(c.id) for c in r.choices):
                lines.append(texts.ASIDE_DETAILS)
            text = r.text + ("\n\n" + "\n".join(lines) if lines else "")
            out.append(Reply(text, [], r.documents, r.heading))
        return out

    def on_stale_flow_choice(self, _msg: Message) -> list[Reply]:
        return [Reply(texts.FLOW_STALE_NONE, menu_choices())]

    def route_plain(self, msg: Message) -> list[Reply]:
        """The routes that do not depend on a flow."""
        return next(then(self, msg) for _name, when, then in PLAIN_ROUTES if when(self, msg))

    def _resume(self, msg: Message) -> Reply:
        flow, _fs = self.flows.active(msg.ctx.state)  # type: ignore[misc]
        return self.flows.prompt(msg.ctx, texts.FLOW_RESUME.format(title=flow.title))

    @staticmethod
    def _starts_flow(msg: Message) -> bool:
        choice = msg.choice or ""
        return (ch.kind_of(choice, *ch.STARTS_FLOW) is not None
                or (msg.command is not None and msg.command.starts_flow))

    def on_choice_route(self, msg: Message) -> list[Reply]:
        return self._on_choice(msg.choice or "", msg.ctx)

    def on_caption(self, msg: Message) -> list[Reply]:
        # A photo with a question written under it gets the answer; a caption
        # that only describes the photo ("Ảnh trao thưởng") is not a question.
        found = self.answer(msg.caption, record=False)
        if found.kind == "answer":
            return [Reply(texts.PHOTO_CAPTION_READ), *found.reply_list]
        return self.on_no_text(msg, caption_tried=True)

    def on_no_text(self, msg: Message, caption_tried: bool = False) -> list[Reply]:
        event = msg.ctx.event
        if event.unsupported:
            return [Reply(texts.UNSUPPORTED.get(event.unsupported, texts.UNSUPPORTED["unsupported"]))]
        if event.attachments:
            return [Reply(texts.UNSUPPORTED["photo"])]
        return [Reply(texts.EMPTY_MESSAGE, menu_choices())]

    def on_command_route(self, msg: Message) -> list[Reply]:
        assert msg.command is not None
        return self._run(msg.command, msg.ctx, msg.rest)

    def _run(self, command: Command, ctx: TurnContext, rest: str = "") -> list[Reply]:
        """A command, once whoever sent it may use it: officers' commands are refused to staff
        here, for all of them (their services check again)."""
        if command.officer and not self.is_admin(ctx.event.channel, ctx.event.user_id):
            return [Reply(command.refusal, [ch.menu()])] if command.refusal else self._refused()
        return command.run(self, ctx, rest)

    @staticmethod
    def _refused() -> list[Reply]:
        return [Reply(texts.NOT_ADMIN, [ch.menu()])]

    def on_greeting(self, msg: Message) -> list[Reply]:
        return self._welcome(msg.ctx.event)

    def on_small_talk(self, msg: Message) -> list[Reply]:
        # Thanks, "ok", goodbye, laughter...: a short reply, and no question is logged.
        kind = self.knowledge.small_talk.kind_of(msg.text) or "thanks"
        return [Reply(texts.SMALL_TALK.get(kind, texts.THANKS))]

    def on_feature_words(self, msg: Message) -> list[Reply]:
        # "bật nhắc hạn giúp em": the feature, as if its menu item had been chosen.
        return self._on_choice(FEATURES[self.knowledge.feature(msg.text) or ""], msg.ctx)

    def on_details(self, msg: Message) -> list[Reply]:
        """"chi tiết", "nói rõ hơn": the whole of the last answer (kept in the state, so after a restart too)."""
        return self.qa.details(msg.ctx.state.last_entries, msg.ctx)

    def on_answer_number(self, msg: Message) -> list[Reply]:
        number = ANSWER_NUMBER.fullmatch(msg.folded)
        assert number is not None
        return self.office.start_answer(msg.ctx, ch.OFFICE_REPLY.encode(number.group(1)))

    def on_done(self, msg: Message) -> list[Reply]:
        return self.deadlines.ack(msg.ctx, None)

    def on_question(self, msg: Message) -> list[Reply]:
        # "hồ sơ bằng khen thủ tướng chi tiết": the whole answer at once.
        found = self.answer(msg.text, ctx=msg.ctx, full=self.knowledge.asks_for(msg.text, "details"))
        if found.kind == "fallback" and found.match is not None:
            msg.ctx.state.fallback_question = msg.text[:MAX_QUESTION]
        return found.reply_list

    # --- choices -------------------------------------------------------------
    @staticmethod
    def _read_choice(text: str, offered: list[Choice]) -> str | None:
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
            if fold(c.label) == folded and not ch.ACK.matches(c.id):
                return c.id
        return None

    @staticmethod
    def _menu_item(text: str) -> str | None:
        """The words of a main-menu item typed instead of tapped ("lịch nhắc hạn",
        "gui guong nguoi tot"), with or without diacritics: that item."""
        folded = fold(text)
        return next((cid for cid, label in MENU if fold(label) == folded), None)

    def on_number_outside(self, msg: Message) -> list[Reply]:
        """A number that is not on the last list: say which numbers are, and show the list again."""
        offered = [Choice(**c) for c in msg.ctx.state.choices]
        number = msg.folded.split()[-1]
        if not offered:
            return [Reply(texts.NUMBER_NO_LIST.format(number=number), menu_choices())]
        valid = "1" if len(offered) == 1 else f"từ 1 đến {len(offered)}"
        return [Reply(texts.NUMBER_OUTSIDE.format(number=number, valid=valid), offered)]

    def choose(self, choice: str, ctx: TurnContext) -> list[Reply]:
        """What a choice opens, as if its button had been pressed."""
        return self._on_choice(choice, ctx)

    def _on_choice(self, choice: str, ctx: TurnContext) -> list[Reply]:
        if ch.MENU.matches(choice):
            return [Reply(texts.MAIN_MENU, menu_choices())]
        if choice in commands.BY_MENU:
            return self._run(commands.BY_MENU[choice], ctx)
        if ch.kind_of(choice, *ch.OFFICERS_ONLY) and not self.is_admin(ctx.event.channel, ctx.event.user_id):
            return self._refused()
        # The feature that owns the kind of choice reads it (handlers/<feature>/commands.py).
        route = next((r for r in commands.CHOICES if r.codec.matches(choice)), None)
        if route is not None:
            return route.run(self, ctx, choice)
        return [Reply(texts.STALE_CHOICE, menu_choices())]

    # --- commands (handlers/commands.py) ---------------------------------------
    def welcome(self, ctx: TurnContext) -> list[Reply]:
        return self._welcome(ctx.event)

    def ask(self, ctx: TurnContext, rest: str) -> list[Reply]:
        if rest.strip():
            return self.on_question(Message(ctx=ctx, text=rest.strip()))
        return [Reply(texts.ASK_PROMPT)]

    def nothing_to_cancel(self) -> list[Reply]:
        return [Reply(texts.NOTHING_TO_CANCEL, menu_choices())]

    def whoami(self, ctx: TurnContext) -> list[Reply]:
        event = ctx.event
        who = f"{event.channel}:{event.user_id}"
        officer = self.is_admin(event.channel, event.user_id)
        return [Reply((texts.WHO_AM_I_OFFICER if officer else texts.WHO_AM_I).format(id=who))]

    def console_login(self, ctx: TurnContext) -> list[Reply]:
        """/dangnhap: a one-time link to the officers' console (handlers/console_login.py)."""
        from handlers.console_login import login_reply

        return [login_reply(ctx, self.console_url, self._features_args[1])]

    def reload(self) -> list[Reply]:
        try:
            kb = self.knowledge.reload()
        except ContentError as exc:
            return [Reply(texts.RELOAD_FAILED.format(problems="\n".join(exc.problems[:10])))]
        return [Reply(texts.RELOADED.format(entries=len(kb.entries), topics=len(kb.topics)))]

    def on_more_page(self, msg: Message) -> list[Reply]:
        page = pages.next_page(msg.ctx.state)
        if page is not None:
            return [page]
        if msg.in_flow:
            return [self.flows.prompt(msg.ctx)]
        return [Reply(texts.STALE_CHOICE, menu_choices())]

    def on_repeated_send(self, msg: Message) -> list[Reply]:
        return self.reports.already_sent(self.reports.repeated_send(msg.ctx) or "")

    def on_report_words(self, msg: Message) -> list[Reply]:
        """"Em muốn gửi gương người tốt", or a story told straight away: the report form,
        with the story already in it."""
        form = self.knowledge.kb.report_form
        kind = form.wants_report(msg.text) if form else None
        return self.reports.start(msg.ctx, msg.text if kind == "tells" else None)

    def _welcome(self, event: IncomingEvent) -> list[Reply]:
        name = f" {event.display_name}" if event.display_name else ""
        return [Reply(texts.WELCOME.format(name=name, bot=texts.BOT_NAME), menu_choices())]

    def help(self, ctx: TurnContext) -> Reply:
        """The guide; an officer's has their commands too."""
        text = commands.help_text(officer=self.is_admin(ctx.event.channel, ctx.event.user_id))
        return Reply(text, [Choice(ch.ASK_OFFICE.encode(), texts.MENU_ASK_OFFICE), ch.menu()])

    def answer(self, question: str, **kwargs) -> AnswerResult:  # noqa: ANN003 - Answers.answer's keywords
        """The reply to a question (handlers/qa/answers.py); one method, so a subclass sees every
        question answered (bot/logs.py)."""
        return self.qa.answer(question, **kwargs)

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
            choice = event.choice or conv._read_choice(text, offered) or (
                None if conv.flows.active(ctx.state) else conv._menu_item(text))
        caption = next((a.caption.strip() for a in event.attachments if a.caption and a.caption.strip()), "")
        command, rest = commands.by_slash(text) if text.startswith("/") and len(text) > 1 else (None, "")
        folded = fold(text)
        word = None if text.startswith("/") else conv.knowledge.typed_command(text)
        if command is None and word in commands.WORD_COMMANDS:
            command = commands.BY_NAME[word]
        return cls(ctx=ctx, text=text, choice=choice, caption=caption, command=command, rest=rest, folded=folded,
                   word=word, in_flow=conv.flows.active(ctx.state) is not None)


def _is_cancel(_c: Conversation, m: Message) -> bool:
    return m.command is not None and m.command.name == "cancel" and not m.choice


# The routing table: the first row whose test holds handles the message.
# While a flow is active it takes the message first; a number or a label is read
# against the last list offered (`Message.choice`), whichever list that was.
ROUTES: list[tuple[str, Callable[[Conversation, Message], bool], Callable[[Conversation, Message], list[Reply]]]] = [
    ("an officers' form, its author no longer an officer", lambda c, m: m.in_flow and not c.flows.allowed(m.ctx),
     Conversation.on_flow_refused),
    ("'Xem thêm': the next page of a long list", lambda c, m: ch.MORE_PAGE.matches(m.choice) or (
        not m.choice and m.ctx.state.pages is not None and m.folded.strip(" .") in MORE_WORDS), Conversation.on_more_page),
    ("'Gửi báo cáo' again just after the report went", lambda c, m: m.ctx.state.report_sent is not None
     and c.reports.repeated_send(m.ctx) is not None, Conversation.on_repeated_send),
    ("a step's own option (button or number)", lambda c, m: m.in_flow and ch.FLOW_OPTION.matches(m.choice),
     Conversation.on_flow_choice),
    ("files sent at a step that collects them", lambda c, m: m.in_flow and bool(m.ctx.event.attachments)
     and c.flows.accepts_files(m.ctx.state), Conversation.on_flow_files),
    ("/huy, hủy: cancel the flow (or say there is none)", _is_cancel, Conversation.on_cancel),
    ("quay lại: the previous step", lambda c, m: m.in_flow and not m.choice and m.word == "back",
     Conversation.on_back),
    ("a file the messenger withheld, at a step that takes files", lambda c, m: m.in_flow
     and m.ctx.event.unsupported == "unsupported" and c.flows.accepts_files(m.ctx.state),
     Conversation.on_flow_undelivered),
    ("'chi tiết' typed during a form", lambda c, m: m.in_flow and not m.choice and m.word == "details",
     Conversation.on_flow_details),
    ("typed answer to the current step", lambda c, m: m.in_flow and bool(m.text) and not m.choice
     and m.command is None, Conversation.on_flow_text),
    ("anything else during a flow", lambda c, m: m.in_flow, Conversation.on_detour),
    ("an option of a flow that is over", lambda c, m: ch.FLOW_OPTION.matches(m.choice),
     Conversation.on_stale_flow_choice),
    ("everything else", lambda c, m: True, Conversation.route_plain),
]
PLAIN_ROUTES: list[tuple[str, Callable[[Conversation, Message], bool],
                         Callable[[Conversation, Message], list[Reply]]]] = [
    ("a menu button, or a number from the last list", lambda c, m: bool(m.choice), Conversation.on_choice_route),
    ("a photo with a question under it", lambda c, m: not m.text and bool(m.caption)
     and not m.ctx.event.unsupported, Conversation.on_caption),
    ("nothing to read (sticker, voice, empty)", lambda c, m: not m.text, Conversation.on_no_text),
    ("a command (/menu, /hoi ..., menu, hủy)", lambda c, m: m.command is not None, Conversation.on_command_route),
    ("'chi tiết', 'nói rõ hơn': the whole last answer", lambda c, m: m.word == "details", Conversation.on_details),
    ("an officer's 'trả lời 3': the Office question of that number", lambda c, m: bool(ANSWER_NUMBER.fullmatch(
        m.folded)) and c.is_admin(m.ctx.event.channel, m.ctx.event.user_id), Conversation.on_answer_number),
    ("a number that is not on the last list", lambda c, m: bool(NUMBER.fullmatch(m.folded)),
     Conversation.on_number_outside),
    ("a greeting, or 'bạn là ai'", lambda c, m: bool(WHO_ARE_YOU.match(m.folded))
     or c.knowledge.small_talk.kind_of(m.text) == "greeting",
     Conversation.on_greeting),
    ("small talk: thanks, ok, yes/no, goodbye, sorry, laughter, emoji (content/smalltalk.yaml)",
     lambda c, m: c.knowledge.small_talk.kind_of(m.text) is not None,
     Conversation.on_small_talk),
    ("'đã nộp' after a reminder", lambda c, m: c.deadlines.said_done(m.folded), Conversation.on_done),
    ("asks to report a good example, or tells one", lambda c, m: bool(c.knowledge.kb.report_form
     and c.knowledge.kb.report_form.wants_report(m.text)), Conversation.on_report_words),
    ("asks for a feature in words ('bật nhắc hạn')", lambda c, m: c.knowledge.feature(m.text) in FEATURES,
     Conversation.on_feature_words),
    ("a question", lambda c, m: True, Conversation.on_question),
]
