"""The routes of a message outside a form: a photo's caption, small talk, a greeting, a number
off the list, "đã nộp", a report told in words, a question; and the conversation's own
commands (menu, /hoi, /toi, /trogiup, /reload, /dangnhap). Part of the conversation
(handlers/conversation.py)."""

from __future__ import annotations

import re

from content.loader import ContentError
from handlers import choices as ch
from handlers import commands, texts
from handlers.context import TurnContext
from handlers.deadlines import choices as dc
from handlers.events import Choice, IncomingEvent, Reply
from handlers.menu import menu_choices
from handlers.message import Message
from handlers.office import choices as oc
from handlers.qa.answers import MAX_QUESTION

FEATURES = {"deadlines": dc.DEADLINES.encode()}  # dialogue.yaml `features` -> the menu item that opens each
# On folded text: "12", "số 12", "chọn 12" (digits alone are never a question the content answers).
NUMBER = re.compile(r"(?:so |chon )?\d{1,6}")

# An officer's "trả lời 3", "trả lời câu hỏi số 3", "tl câu 3" (folded): answer the Office question of that number.
ANSWER_NUMBER = re.compile(r"(?:tra loi|tl)(?: cho)?(?: cau(?: hoi)?)?(?: so)? ?(\d{1,9})")
# "bạn là ai?", "chào bạn, bạn tên gì vậy": the bot introduces itself.
WHO_ARE_YOU = re.compile(r"^(?:(?:xin )?chao(?: ban| bot| em| ad)? )?(?:ban|bot|em|ad|admin) (?:la ai|ten (?:la )?gi|la gi"
                         r"|la bot gi|lam duoc gi|giup duoc gi)(?: vay| the| a| nhi| nhe| day)?$")


class PlainRoutes:
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
        return self.office.start_answer(msg.ctx, oc.OFFICE_REPLY.encode(number.group(1)))

    def on_done(self, msg: Message) -> list[Reply]:
        return self.deadlines.ack(msg.ctx, None)

    def on_question(self, msg: Message) -> list[Reply]:
        # "hồ sơ bằng khen thủ tướng chi tiết": the whole answer at once.
        found = self.answer(msg.text, ctx=msg.ctx, full=self.knowledge.asks_for(msg.text, "details"))
        if found.kind == "fallback" and found.match is not None:
            msg.ctx.state.fallback_question = msg.text[:MAX_QUESTION]
        return found.reply_list

    def on_number_outside(self, msg: Message) -> list[Reply]:
        """A number that is not on the last list: say which numbers are, and show the list again."""
        offered = [Choice(**c) for c in msg.ctx.state.choices]
        number = msg.folded.split()[-1]
        if not offered:
            return [Reply(texts.NUMBER_NO_LIST.format(number=number), menu_choices())]
        valid = "1" if len(offered) == 1 else f"từ 1 đến {len(offered)}"
        return [Reply(texts.NUMBER_OUTSIDE.format(number=number, valid=valid), offered)]

    def on_report_words(self, msg: Message) -> list[Reply]:
        """"Em muốn gửi gương người tốt", or a story told straight away: the report form,
        with the story already in it."""
        form = self.knowledge.kb.report_form
        kind = form.wants_report(msg.text) if form else None
        return self.reports.start(msg.ctx, msg.text if kind == "tells" else None)

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

    def _welcome(self, event: IncomingEvent) -> list[Reply]:
        name = f" {event.display_name}" if event.display_name else ""
        return [Reply(texts.WELCOME.format(name=name, bot=texts.BOT_NAME), menu_choices())]

    def help(self, ctx: TurnContext) -> Reply:
        """The guide; an officer's has their commands too."""
        text = commands.help_text(officer=self.is_admin(ctx.event.channel, ctx.event.user_id))
        return Reply(text, [Choice(oc.ASK_OFFICE.encode(), texts.MENU_ASK_OFFICE), ch.menu()])
