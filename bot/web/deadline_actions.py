"""Lịch nhắc hạn's actions: a new deadline, a new due date, cancelling one, and an
announcement, counted before it is sent (the form carries the count the officer saw; the
announcements' service sends nothing if the audience changed meanwhile). Each calls the
service chat calls (handlers/deadlines/service.py, handlers/announcements/service.py),
records the audit row (and queues an announcement's notices) in the same transaction, and
redirects back with a message."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import Session

from bot.web.actions import back, field
from bot.web.console import OFFICER, PREFIX, console_of
from handlers import texts
from handlers.announcements import service as announcements
from handlers.deadlines import service
from handlers.flows import Invalid
from handlers.services import Outcome, actor_from_ref, queue_notices
from storage import web_sessions as ws
from storage.models import utcnow
from storage.turns import TurnStore

LIST = f"{PREFIX}/lich-nhac-han"


def _id(request: web.Request) -> int | None:
    raw = request.match_info["id"]
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


async def _run(request: web.Request, action: str, act) -> Outcome:  # noqa: ANN001 - (store, actor) -> Outcome
    officer = request[OFFICER]

    def work(s: Session) -> Outcome:
        store = TurnStore(s)
        out = act(store, actor_from_ref(store, officer))
        if out.done:
            queue_notices(store, out.notices)
            ws.record(s, officer, action, str(out.ref) if out.ref is not None else None,
                      {"recipients": len(out.notices)} if out.notices else None)
        return out

    return await console_of(request).db(work, commit=True)


async def new_deadline(request: web.Request) -> web.Response:
    c = console_of(request)
    form = await request.post()
    now = utcnow()
    try:
        due = service.parse_due_text(field(form, "due"), now, c.tz)
        offsets = service.parse_offsets(field(form, "offsets") or "mặc định")
    except Invalid as e:
        return back(request, LIST + "#han-moi", Outcome(False, str(e)))
    out = await _run(request, "deadline_add", lambda store, who: service.add(
        store, who, title=field(form, "title"), due=due, audience=field(form, "audience"), offsets=offsets,
        note=field(form, "note"), now=now, kb=c.knowledge.kb, tz=c.tz))
    return back(request, f"{LIST}/{out.ref}" if out.done else LIST + "#han-moi", out)


async def move_deadline(request: web.Request) -> web.Response:
    c = console_of(request)
    deadline_id = _id(request)
    if deadline_id is None:
        return back(request, LIST, Outcome(False, texts.REMINDER_STALE))
    form = await request.post()
    now = utcnow()
    try:
        due = service.parse_due_text(field(form, "due"), now, c.tz)
    except Invalid as e:
        return back(request, f"{LIST}/{deadline_id}", Outcome(False, str(e)))
    out = await _run(request, "deadline_move", lambda store, who: service.move(store, who, deadline_id, due, now=now,
                                                                                tz=c.tz))
    return back(request, f"{LIST}/{deadline_id}", out)


async def cancel_deadline(request: web.Request) -> web.Response:
    deadline_id = _id(request)
    if deadline_id is None:
        return back(request, LIST, Outcome(False, texts.REMINDER_STALE))
    out = await _run(request, "deadline_cancel", lambda store, who: service.cancel(store, who, deadline_id))
    return back(request, f"{LIST}/{deadline_id}", out)


async def announce(request: web.Request) -> web.Response:
    c = console_of(request)
    form = await request.post()
    audience = field(form, "audience")
    raw = field(form, "count")
    if not service.audience_ok(c.knowledge.kb, audience) or not raw.isdigit():
        return back(request, LIST, Outcome(False, texts.STALE_CHOICE))
    out = await _run(request, "announce", lambda store, who: announcements.announce(
        store, who, audience, field(form, "text"), expected=int(raw)))
    return back(request, LIST + ("" if out.done else "#thong-bao"), out)
