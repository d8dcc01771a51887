"""'Hỏi Văn phòng': a staff member sends a question the bot could not answer to
the Office; officers get a notice with a 'Trả lời' choice, and the answer an
officer types reaches the staff member as a notice quoting the question."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from handlers import choices as ch
from handlers import texts
from handlers.context import TurnContext
from handlers.events import Choice, Notice, Reply
from handlers.flows import (
    CANCEL,
    CONFIRM,
    FINISH,
    Flow,
    FlowData,
    FlowEngine,
    FlowValues,
    Option,
    Step,
    text_between,
)
from handlers.office import choices as oc
from handlers.office import service as office_service
from handlers.officers import actor
from storage.models import OfficeQuestion, utcnow

ASK = "office_ask"
ANSWER = "office_answer"
MAX_QUESTION = 1000
MAX_ANSWER = office_service.MAX_ANSWER
LISTED = 10  # open questions /cauhoi lists with a choice each; "trả lời <số>" reaches the others


@dataclass
class AskValues(FlowValues):
    question: str = ""
    confirm: str | None = None


@dataclass
class AnswerValues(FlowValues):
    qid: int = 0
    asker: str = ""
    question: str = ""  # the staff member's, shown above the answer being written
    answer: str = ""
    confirm: str | None = None


class Office:
    def __init__(self, engine: FlowEngine | None, officers: Callable[[], Iterable[tuple[str, str]]],
                 is_officer: Callable[[str, str], bool], tz: ZoneInfo):
        self.officers = officers
        self.tz = tz
        self.is_officer = is_officer
        self.engine = engine

    # --- flows -----------------------------------------------------------------
    def flows(self) -> list[Flow]:
        ask = Flow(
            name=ASK, title=texts.OFFICE_TITLE, finish=self._send_question, values=AskValues,
            steps=[
                Step("question", prompt=lambda d: texts.OFFICE_ASK_PROMPT,
                     parse=text_between(5, MAX_QUESTION, texts.OFFICE_WHAT)),
                Step("confirm", prompt=lambda d: texts.OFFICE_CONFIRM.format(question=d.values.question),
                     options=lambda d: [Option("send", texts.OFFICE_SEND, CONFIRM),
                                        Option("edit", texts.OFFICE_EDIT, ("sua",))],
                     after=lambda d, v: "question" if v == "edit" else FINISH),
            ])
        answer = Flow(
            name=ANSWER, title=texts.OFFICE_TITLE.replace("gửi câu hỏi tới", "trả lời câu hỏi gửi"),
            finish=self._send_answer, officers_only=True, values=AnswerValues,
            steps=[
                Step("answer", prompt=lambda d: texts.OFFICE_ANSWER_PROMPT.format(
                    qid=d.values.qid, asker=d.values.asker, question=texts.clip(d.values.question, 600)),
                     parse=text_between(2, MAX_ANSWER, texts.OFFICE_ANSWER_WHAT)),
                Step("confirm", prompt=lambda d: texts.OFFICE_ANSWER_CONFIRM.format(
                    asker=d.values.asker, answer=texts.clip(d.values.answer, 1500)),
                     options=lambda d: [Option("send", texts.OFFICE_SEND, CONFIRM),
                                        Option("edit", texts.OFFICE_ANSWER_EDIT, ("sua",))],
                     after=lambda d, v: "answer" if v == "edit" else (FINISH if v == "send" else CANCEL)),
            ])
        return [ask, answer]

    # --- entry points ------------------------------------------------------------
    def start_ask(self, ctx: TurnContext, question: str | None = None) -> list[Reply]:
        assert self.engine is not None
        question = (question or ctx.fallback_question or "").strip()
        if 5 <= len(question) <= MAX_QUESTION:
            return self.engine.start(ctx, ASK, AskValues(question=question), at="confirm")
        return self.engine.start(ctx, ASK)

    def start_answer(self, ctx: TurnContext, choice: str) -> list[Reply]:
        """"Trả lời" under a question's notice or in the /cauhoi list, or "trả lời <số>" typed."""
        assert self.engine is not None
        if not self._is_self_officer(ctx):
            return [Reply(texts.NOT_ADMIN)]
        qid = oc.OFFICE_REPLY.one(choice)
        if qid is None:
            return [Reply(texts.STALE_CHOICE)]
        row = ctx.store.office_question(qid)
        if row is None:
            return [Reply(texts.OFFICE_NO_SUCH_QUESTION.format(qid=qid))]
        if row.status == "answered":
            return [self._already(ctx, row)]
        return self.engine.start(ctx, ANSWER, AnswerValues(qid=qid, asker=row.asker_name or texts.SOMEONE,
                                                           question=row.question))

    def open_questions(self, ctx: TurnContext) -> list[Reply]:
        """/cauhoi: the questions waiting for an answer, oldest first, each with its number
        and a choice, so none is out of reach when newer ones arrive."""
        if not self._is_self_officer(ctx):
            return [Reply(texts.NOT_ADMIN)]
        rows = ctx.store.open_office_questions()
        if not rows:
            return [Reply(texts.OFFICE_OPEN_NONE, [ch.menu()])]
        shown = rows[:LISTED]
        lines = [texts.OFFICE_OPEN_TITLE.format(count=len(rows))]
        lines += [texts.OFFICE_OPEN_LINE.format(qid=r.id, asker=r.asker_name or texts.SOMEONE, channel=r.channel,
                                                when=self._when(r.created_at), question=texts.clip(r.question, 160))
                  for r in shown]
        if len(rows) > LISTED:
            lines.append(texts.OFFICE_OPEN_MORE.format(count=len(rows) - LISTED))
        lines.append(texts.OFFICE_OPEN_HINT)
        choices = [Choice(oc.OFFICE_REPLY.encode(r.id), texts.OFFICE_OPEN_CHOICE.format(
            qid=r.id, asker=texts.clip(r.asker_name or texts.SOMEONE, 40))) for r in shown]
        return [Reply("\n\n".join(lines), [*choices, ch.menu()])]

    # --- finishing -----------------------------------------------------------------
    def _send_question(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        ev = ctx.event
        row = ctx.store.add_office_question(user_id=ctx.user_id, channel=ev.channel, chat_id=ev.chat_id,
                                            asker_name=ev.display_name, question=data.values.question)
        officers = [o for o in self.officers() if o != (ev.channel, ev.user_id)]
        text = texts.OFFICE_NEW.format(qid=row.id, asker=ev.display_name or texts.SOMEONE, channel=ev.channel,
                                       question=row.question)
        waiting = len(ctx.store.open_office_questions())
        if waiting > 1:  # on Zalo "1" picks this one: say how the older ones are reached
            text += "\n\n" + texts.OFFICE_NEW_MORE.format(count=waiting)
        for channel, officer in sorted(officers):
            ctx.notify(Notice(channel, officer, Reply(text, [Choice(oc.OFFICE_REPLY.encode(row.id), texts.OFFICE_REPLY)]),
                              key=f"office:{row.id}:new:{channel}:{officer}"))
        template = texts.OFFICE_SENT if officers or self._is_self_officer(ctx) else texts.OFFICE_SENT_NO_OFFICER
        if self._is_self_officer(ctx):
            # An officer trying it on themselves gets the notice too.
            ctx.notify(Notice(ev.channel, ev.user_id, Reply(text, [Choice(oc.OFFICE_REPLY.encode(row.id), texts.OFFICE_REPLY)]),
                              key=f"office:{row.id}:new:self"))
        return [Reply(template.format(qid=row.id), [ch.menu()])]

    def _is_self_officer(self, ctx: TurnContext) -> bool:
        return self.is_officer(ctx.event.channel, ctx.event.user_id)

    def _send_answer(self, ctx: TurnContext, data: FlowData) -> list[Reply]:
        out = office_service.answer(ctx.store, actor(ctx), int(data.values.qid), data.values.answer, now=utcnow(),
                                    tz=self.tz)
        if not out.done:
            return [Reply(out.text)]
        for notice in out.notices:
            ctx.notify(notice)
        return [self._sent(ctx, out.text)]

    def _sent(self, ctx: TurnContext, done: str) -> Reply:
        """What the officer reads after an answer: with the way to the next ones while any wait."""
        left = len(ctx.store.open_office_questions())
        if not left:
            return Reply(done)
        return Reply(f"{done}\n{texts.OFFICE_OPEN_LEFT.format(count=left)}",
                     [Choice(oc.OPEN_QUESTIONS.encode(), texts.OFFICE_OPEN_SHOW), ch.menu()])

    def _when(self, at) -> str:  # noqa: ANN001
        return office_service.when(at, self.tz)

    def _already(self, ctx: TurnContext, row: OfficeQuestion) -> Reply:
        return Reply(office_service.already(ctx.store, row, self.tz))
