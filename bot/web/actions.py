"""What officers do in the console, beyond reading: decide a report (approve with an award,
ask for more, reject with a reason) and answer an Office question. Each action calls the
feature's service (the function chat calls), queues its notices to the outbox and records
the audit row in the same transaction as the decision, then redirects back to the page with
a message saying what happened, or who acted first."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from bot.web import flash, texts
from bot.web.console import OFFICER, PREFIX, console_of
from bot.web.guard import refusal
from handlers.office import service as office_service
from handlers.reports import service as review_service
from handlers.services import Outcome, actor_from_ref, queue_notices
from storage import console_queries as q
from storage import web_sessions as ws
from storage.models import utcnow
from storage.turns import TurnStore

DECISIONS = ("approve", "more", "reject")


def field(form, name: str) -> str:  # noqa: ANN001 - aiohttp's MultiDictProxy
    value = form.get(name)
    return value if isinstance(value, str) else ""


def back(request: web.Request, to: str, out: Outcome) -> web.Response:
    response = web.Response(status=303, headers={"Location": to})
    flash.leave(request, response, out.text, out.done)
    return response


async def decide_report(request: web.Request) -> web.Response:
    c = console_of(request)
    code = request.match_info["code"]
    form = await request.post()
    decision = field(form, "decision")
    if decision not in DECISIONS:
        return refusal(request, 400, texts.BAD_FORM_TITLE, texts.BAD_FORM_TEXT)
    award = field(form, "award") or None
    note = field(form, "note")
    officer = request[OFFICER]
    kb_form = c.knowledge.kb.report_form
    assert kb_form is not None, "content/report_form.yaml is missing"

    def work(s: Session) -> Outcome | None:
        row = q.report_by_code(s, code)
        if row is None:
            return None
        store = TurnStore(s)
        out = review_service.decide(store, actor_from_ref(store, officer), row.id, decision,  # type: ignore[arg-type]
                                    award=award, note=note, now=utcnow(), form=kb_form, tz=c.tz)
        if out.done:
            queue_notices(store, out.notices)
            ws.record(s, officer, f"report_{decision}", code,
                      {"award": award} if decision == "approve" else {"note": note[:200]})
        return out

    out = await c.db(work, commit=True)
    if out is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    return back(request, f"{PREFIX}/bao-cao/{code}", out)


async def answer_question(request: web.Request) -> web.Response:
    c = console_of(request)
    try:
        qid = int(request.match_info["qid"])
    except ValueError:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    form = await request.post()
    answer = field(form, "answer")
    officer = request[OFFICER]

    def work(s: Session) -> Outcome:
        store = TurnStore(s)
        out = office_service.answer(store, actor_from_ref(store, officer), qid, answer, now=utcnow(), tz=c.tz)
        if out.done:
            queue_notices(store, out.notices)
            ws.record(s, officer, "office_answer", str(qid), {"length": len(answer.strip())})
        return out

    out = await c.db(work, commit=True)
    return back(request, f"{PREFIX}/hoi-van-phong" + ("" if out.done else f"#cau-{qid}"), out)
