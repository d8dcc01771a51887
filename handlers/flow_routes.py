"""The routes of a message while a form is active: its step's answer (typed, picked or files),
cancel and back, a question or a command in the middle of it (answered, then the step again),
and a form whose author is no longer an officer; and "Xem thêm" and "Gửi" tapped twice, which
the routing table (handlers/conversation.py) reads before any form. Each route is a function
of the conversation and the message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers import choices as ch
from handlers import commands, pages, plain_routes, texts
from handlers.events import Reply
from handlers.menu import menu_choices
from handlers.qa import choices as qc
from handlers.reports import texts as rt

if TYPE_CHECKING:
    from handlers.conversation import Conversation
    from handlers.message import Message


# MORE_WORDS is read by the routing table: "Xem thêm" typed under a long list.
MORE_WORDS = frozenset({"xem them", "them", "tiep", "xem tiep", "trang sau", "trang tiep", "con nua"})


def on_flow_choice(conv: Conversation, msg: Message) -> list[Reply]:
    return conv.flows.on_choice(msg.ctx, msg.choice or "")


def on_flow_refused(_conv: Conversation, msg: Message) -> list[Reply]:
    """An officers' form whose author is no longer an officer (ADMIN_IDS changed since
    it began): it ends here, nothing of it is done."""
    msg.ctx.state.flow = None
    return [Reply(texts.NOT_ADMIN, [ch.menu()])]


def is_cancel(_conv: Conversation, msg: Message) -> bool:
    return msg.command is not None and msg.command.name == "cancel" and not msg.choice


def on_cancel(conv: Conversation, msg: Message) -> list[Reply]:
    if msg.in_flow:
        return conv.flows.cancel(msg.ctx)
    return [Reply(texts.NOTHING_TO_CANCEL, menu_choices())]


def on_back(conv: Conversation, msg: Message) -> list[Reply]:
    return conv.flows.back(msg.ctx)


def on_flow_files(conv: Conversation, msg: Message) -> list[Reply]:
    return conv.flows.on_files(msg.ctx, msg.ctx.event.attachments)


def on_flow_text(conv: Conversation, msg: Message) -> list[Reply]:
    """The answer to the current step; a question typed instead is answered and the
    step shown again, so the form is not lost."""
    flows = conv.flows
    typed = flows.expects_text(msg.ctx.state) or flows.takes_typed(msg.ctx.state)
    if typed and conv.knowledge.typed_as_question(msg.text):
        # "Tiêu chí 2.1 là gì?", "cho em hỏi ..." typed where a name or a story is expected:
        # a question, answered when the bot knows the answer; otherwise the step's answer.
        found = conv.answer(msg.text, ctx=msg.ctx, record=False)
        if found.kind == "answer":
            return [*_aside(conv, msg, found.reply_list), _resume(conv, msg)]
    taken = flows.on_text(msg.ctx, msg.text)
    if taken is not None:
        return taken
    number = msg.text.strip(" .")
    if number.isdigit():  # a number that is not on the step's list
        count = len(flows.prompt(msg.ctx).choices)
        return [flows.prompt(msg.ctx, texts.FLOW_NUMBER_OUTSIDE.format(number=number, count=count))]
    found = conv.answer(msg.text, ctx=msg.ctx)
    if found.kind == "fallback":
        return [flows.prompt(msg.ctx, texts.FLOW_PICK_ONE)]
    return [*_aside(conv, msg, found.reply_list), _resume(conv, msg)]


def on_flow_details(conv: Conversation, msg: Message) -> list[Reply]:
    """"chi tiết" typed in the middle of a form: the whole last answer, then the step."""
    return [*_aside(conv, msg, plain_routes.on_details(conv, msg)), _resume(conv, msg)]


def on_flow_undelivered(conv: Conversation, msg: Message) -> list[Reply]:
    """Something the messenger did not hand over (a PDF sent on Zalo) at a step that takes
    files: what this channel can carry, then the step in short."""
    note = rt.FILE_NOT_READ if msg.ctx.caps.takes_documents else rt.FILE_NOT_DELIVERED
    return [conv.flows.prompt(msg.ctx, note, short=True)]


def on_detour(conv: Conversation, msg: Message) -> list[Reply]:
    """Anything else while a flow is active (a menu button, a command, a photo):
    handled as usual, then the current step is shown again."""
    if _starts_flow(msg):
        return [_resume(conv, msg)]
    event = msg.ctx.event
    if not msg.text and not msg.choice and not msg.caption and not event.attachments and not event.unsupported:
        return [conv.flows.prompt(msg.ctx, texts.FLOW_EMPTY)]  # an empty message: the step again, nothing else
    return [*_aside(conv, msg, plain_routes.route(conv, msg)), _resume(conv, msg)]


def _aside(conv: Conversation, msg: Message, replies: list[Reply]) -> list[Reply]:
    """Replies given in the middle of a form. Without buttons, their choices become
    plain lines: the numbers typed next belong to the form's step, shown after them."""
    if msg.ctx.caps.buttons:
        return replies
    # Only what typing picks stays: an entry's title where typed text is asked as a
    # question; "Xem chi tiết" as the words that open it. The menu or "Hỏi Văn phòng"
    # would start something else in the middle of the form.
    titles = conv.flows.reads_questions(msg.ctx.state)
    out = []
    for r in replies:
        lines = [f"- {c.label}" for c in r.choices if titles and qc.ENTRY.matches(c.id)]
        if any(qc.DETAILS.matches(c.id) for c in r.choices):
            lines.append(texts.ASIDE_DETAILS)
        text = r.text + ("\n\n" + "\n".join(lines) if lines else "")
        out.append(Reply(text, [], r.documents, r.heading))
    return out


def on_stale_flow_choice(_conv: Conversation, _msg: Message) -> list[Reply]:
    return [Reply(texts.FLOW_STALE_NONE, menu_choices())]


def _resume(conv: Conversation, msg: Message) -> Reply:
    flow, _fs = conv.flows.active(msg.ctx.state)  # type: ignore[misc]
    return conv.flows.prompt(msg.ctx, texts.FLOW_RESUME.format(title=flow.title))


def _starts_flow(msg: Message) -> bool:
    return commands.starts_flow(msg.choice) or (msg.command is not None and msg.command.starts_flow)


def on_more_page(conv: Conversation, msg: Message) -> list[Reply]:
    page = pages.next_page(msg.ctx.state)
    if page is not None:
        return [page]
    if msg.in_flow:
        return [conv.flows.prompt(msg.ctx)]
    return [Reply(texts.STALE_CHOICE, menu_choices())]


def on_repeated_send(conv: Conversation, msg: Message) -> list[Reply]:
    return conv.reports.already_sent(conv.reports.repeated_send(msg.ctx) or "")
