"""The routes of a message outside a form: a choice, a command, a photo's caption, small talk,
a greeting, a number off the list, "đã nộp", a report told in words, a question. Each route is
a function of the conversation and the message; `PLAIN_ROUTES` at the bottom says which
handles what, and `route` is the last row of the conversation's table (handlers/conversation.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from handlers import texts
from handlers.deadlines import choices as dc
from handlers.events import Choice, IncomingEvent, Reply
from handlers.menu import menu_choices
from handlers.office import choices as oc
from handlers.qa.answers import MAX_QUESTION

if TYPE_CHECKING:
    from handlers.conversation import Conversation
    from handlers.message import Message

FEATURES = {"deadlines": dc.DEADLINES.encode()}  # dialogue.yaml `features` -> the menu item that opens each
# On folded text: "12", "số 12", "chọn 12" (digits alone are never a question the content answers).
NUMBER = re.compile(r"(?:so |chon )?\d{1,6}")

# An officer's "trả lời 3", "trả lời câu hỏi số 3", "tl câu 3" (folded): answer the Office question of that number.
ANSWER_NUMBER = re.compile(r"(?:tra loi|tl)(?: cho)?(?: cau(?: hoi)?)?(?: so)? ?(\d{1,9})")
# "bạn là ai?", "chào bạn, bạn tên gì vậy": the bot introduces itself.
WHO_ARE_YOU = re.compile(r"^(?:(?:xin )?chao(?: ban| bot| em| ad)? )?(?:ban|bot|em|ad|admin) (?:la ai|ten (?:la )?gi|la gi"
                         r"|la bot gi|lam duoc gi|giup duoc gi)(?: vay| the| a| nhi| nhe| day)?$")


def on_choice(conv: Conversation, msg: Message) -> list[Reply]:
    return conv.choose(msg.choice or "", msg.ctx)


def on_command(conv: Conversation, msg: Message) -> list[Reply]:
    assert msg.command is not None
    return conv.run(msg.command, msg.ctx, msg.rest)


def on_caption(conv: Conversation, msg: Message) -> list[Reply]:
    # A photo with a question written under it gets the answer; a caption
    # that only describes the photo ("Ảnh trao thưởng") is not a question.
    found = conv.answer(msg.caption, record=False)
    if found.kind == "answer":
        return [Reply(texts.PHOTO_CAPTION_READ), *found.reply_list]
    return on_no_text(conv, msg)


def on_no_text(_conv: Conversation, msg: Message) -> list[Reply]:
    event = msg.ctx.event
    if event.unsupported:
        return [Reply(texts.UNSUPPORTED.get(event.unsupported, texts.UNSUPPORTED["unsupported"]))]
    if event.attachments:
        return [Reply(texts.UNSUPPORTED["photo"])]
    return [Reply(texts.EMPTY_MESSAGE, menu_choices())]


def welcome(event: IncomingEvent) -> list[Reply]:
    """The greeting and the main menu (a greeting typed, /start, /menu)."""
    name = f" {event.display_name}" if event.display_name else ""
    return [Reply(texts.WELCOME.format(name=name, bot=texts.BOT_NAME), menu_choices())]


def on_greeting(_conv: Conversation, msg: Message) -> list[Reply]:
    return welcome(msg.ctx.event)


def on_small_talk(conv: Conversation, msg: Message) -> list[Reply]:
    # Thanks, "ok", goodbye, laughter...: a short reply, and no question is logged.
    kind = conv.knowledge.small_talk.kind_of(msg.text) or "thanks"
    return [Reply(texts.SMALL_TALK.get(kind, texts.THANKS))]


def on_feature_words(conv: Conversation, msg: Message) -> list[Reply]:
    # "bật nhắc hạn giúp em": the feature, as if its menu item had been chosen.
    return conv.choose(FEATURES[conv.knowledge.feature(msg.text) or ""], msg.ctx)


def on_details(conv: Conversation, msg: Message) -> list[Reply]:
    """"chi tiết", "nói rõ hơn": the whole of the last answer (kept in the state, so after a restart too)."""
    return conv.qa.details(msg.ctx.state.last_entries, msg.ctx)


def on_answer_number(conv: Conversation, msg: Message) -> list[Reply]:
    number = ANSWER_NUMBER.fullmatch(msg.folded)
    assert number is not None
    return conv.office.start_answer(msg.ctx, oc.OFFICE_REPLY.encode(number.group(1)))


def on_done(conv: Conversation, msg: Message) -> list[Reply]:
    return conv.deadlines.ack(msg.ctx, None)


def on_question(conv: Conversation, msg: Message) -> list[Reply]:
    # "hồ sơ bằng khen thủ tướng chi tiết": the whole answer at once.
    found = conv.answer(msg.text, ctx=msg.ctx, full=conv.knowledge.asks_for(msg.text, "details"))
    if found.kind == "fallback" and found.match is not None:
        msg.ctx.state.fallback_question = msg.text[:MAX_QUESTION]
    return found.reply_list


def on_number_outside(_conv: Conversation, msg: Message) -> list[Reply]:
    """A number that is not on the last list: say which numbers are, and show the list again."""
    offered = [Choice(**c) for c in msg.ctx.state.choices]
    number = msg.folded.split()[-1]
    if not offered:
        return [Reply(texts.NUMBER_NO_LIST.format(number=number), menu_choices())]
    valid = "1" if len(offered) == 1 else f"từ 1 đến {len(offered)}"
    return [Reply(texts.NUMBER_OUTSIDE.format(number=number, valid=valid), offered)]


def on_report_words(conv: Conversation, msg: Message) -> list[Reply]:
    """"Em muốn gửi gương người tốt", or a story told straight away: the report form,
    with the story already in it."""
    form = conv.knowledge.kb.report_form
    kind = form.wants_report(msg.text) if form else None
    return conv.reports.start(msg.ctx, msg.text if kind == "tells" else None)


def route(conv: Conversation, msg: Message) -> list[Reply]:
    """The first of `PLAIN_ROUTES` whose test holds handles the message."""
    return next(then(conv, msg) for _name, when, then in PLAIN_ROUTES if when(conv, msg))


PLAIN_ROUTES: list[tuple[str, Callable[[Conversation, Message], bool],
                         Callable[[Conversation, Message], list[Reply]]]] = [
    ("a menu button, or a number from the last list", lambda c, m: bool(m.choice), on_choice),
    ("a photo with a question under it", lambda c, m: not m.text and bool(m.caption)
     and not m.ctx.event.unsupported, on_caption),
    ("nothing to read (sticker, voice, empty)", lambda c, m: not m.text, on_no_text),
    ("a command (/menu, /hoi ..., menu, hủy)", lambda c, m: m.command is not None, on_command),
    ("'chi tiết', 'nói rõ hơn': the whole last answer", lambda c, m: m.word == "details", on_details),
    ("an officer's 'trả lời 3': the Office question of that number", lambda c, m: bool(ANSWER_NUMBER.fullmatch(
        m.folded)) and c.is_admin(m.ctx.event.channel, m.ctx.event.user_id), on_answer_number),
    ("a number that is not on the last list", lambda c, m: bool(NUMBER.fullmatch(m.folded)), on_number_outside),
    ("a greeting, or 'bạn là ai'", lambda c, m: bool(WHO_ARE_YOU.match(m.folded))
     or c.knowledge.small_talk.kind_of(m.text) == "greeting", on_greeting),
    ("small talk: thanks, ok, yes/no, goodbye, sorry, laughter, emoji (content/smalltalk.yaml)",
     lambda c, m: c.knowledge.small_talk.kind_of(m.text) is not None, on_small_talk),
    ("'đã nộp' after a reminder", lambda c, m: c.deadlines.said_done(m.folded), on_done),
    ("asks to report a good example, or tells one", lambda c, m: bool(c.knowledge.kb.report_form
     and c.knowledge.kb.report_form.wants_report(m.text)), on_report_words),
    ("asks for a feature in words ('bật nhắc hạn')", lambda c, m: c.knowledge.feature(m.text) in FEATURES,
     on_feature_words),
    ("a question", lambda c, m: True, on_question),
]
