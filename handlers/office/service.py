"""Answering a question sent to the Office, as chat ("Trả lời", /cauhoi) and the officers'
console both do: any open question, not only the newest.

`answer` records the answer (a conditional update: of two officers answering at once only
the first counts; the second is told who answered and what) and returns the notice to the
staff member, quoting their question, with exactly the texts chat has always sent; if they
have blocked the bot, the officer is told instead."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers import choices as ch
from handlers import texts
from handlers.events import Notice, Reply
from handlers.flows import Invalid, text_between
from handlers.officers import recorded_in
from handlers.services import Actor, Outcome
from storage.models import OfficeQuestion, aware
from storage.turns import TurnStore

MIN_ANSWER, MAX_ANSWER = 2, 3000


def answer(store: TurnStore, actor: Actor, qid: int, text: str, *, now: datetime, tz: ZoneInfo) -> Outcome:
    try:
        text = text_between(MIN_ANSWER, MAX_ANSWER, texts.OFFICE_ANSWER_WHAT)(None, text or "")  # type: ignore[arg-type]
    except Invalid as e:
        return Outcome(False, str(e))
    if not store.answer_office_question(qid, answer=text, by=actor.by, name=actor.name, at=now):
        row = store.office_question(qid)
        if row is None:
            return Outcome(False, texts.OFFICE_NO_SUCH_QUESTION.format(qid=qid))
        return Outcome(False, already(store, row, tz), already=True)
    row = store.office_question(qid)
    assert row is not None
    to_staff = texts.OFFICE_ANSWER_TO_STAFF.format(question=texts.clip(row.question), answer=text)
    to_staff += "\n\n" + texts.OFFICE_ANSWER_SIGNED.format(who=actor.name)
    blocked = Notice(actor.channel, actor.user_id, Reply(texts.OFFICE_RECIPIENT_BLOCKED.format(
        qid=qid, asker=row.asker_name or texts.SOMEONE)), key=f"office:{qid}:blocked")
    notice = Notice(row.channel, row.chat_id, Reply(to_staff, [ch.menu()]), key=f"office:{qid}:answer",
                    on_blocked=blocked)
    return Outcome(True, texts.OFFICE_ANSWER_SENT.format(qid=qid, asker=row.asker_name or texts.SOMEONE), [notice])


def when(at: datetime | None, tz: ZoneInfo) -> str:
    return aware(at).astimezone(tz).strftime("%H:%M %d/%m/%Y") if at else "?"


def already(store: TurnStore, row: OfficeQuestion, tz: ZoneInfo) -> str:
    """What an officer reads when the question was answered before them."""
    return texts.OFFICE_ALREADY_ANSWERED.format(
        qid=row.id, who=recorded_in(store, row.answerer_name, row.answered_by), when=when(row.answered_at, tz),
        answer=texts.clip(row.answer or "", 600))
