"""The pages: Tổng quan, Báo cáo (list and one report, with its files), Hỏi Văn phòng.
The forms on them (decide a report, answer a question) post to bot/web/actions.py."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

from aiohttp import web
from sqlmodel import Session

from bot.downloads import content_disposition
from bot.web import filters, flash, present, texts
from bot.web.console import CSRF, OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.guard import refusal
from storage import console_queries as q
from storage.models import utcnow
from storage.reports import person_name

LIST_LIMIT = 200  # reports on one page: the newest of those the filters select


def page(request: web.Request, template: str, status: int = 200, **context: object) -> web.Response:
    c = console_of(request)
    message = flash.take(request)  # what the action that led here did, shown once
    response = c.render(template, status=status, officer=request.get(OFFICER_NAME) or request[OFFICER],
                        csrf=request[CSRF], flash=message, **context)
    if message is not None:
        flash.forget(response)
    return response


async def officer_name(request: web.Request) -> None:
    officer = request[OFFICER]
    request[OFFICER_NAME] = await console_of(request).db(lambda s: person_name(s, officer))


async def dashboard(request: web.Request) -> web.Response:
    c = console_of(request)
    now = utcnow()
    kb = c.knowledge.kb

    def read(s: Session) -> dict:
        since = datetime.combine(now.astimezone(c.tz).date() - timedelta(days=29), time(0), c.tz)
        return {
            "waiting": q.count_reports(s, "pending"), "needs_info": q.count_reports(s, "needs_info"),
            "open_questions": q.count_open_questions(s),
            "deadlines": [present.deadline_row(p, kb, c.tz, p.deadline.created_by == q.EXAMPLE_BY)
                          for p in q.coming_deadlines(s, now)],
            "chart": present.chart(q.questions_per_day(s, c.tz, 30, now)),
            "unanswered": [present.asked_row(a, c.tz) for a in q.most_asked_unanswered(s, since)],
            "officer_name": person_name(s, request[OFFICER]),
        }

    data = await c.db(read)
    request[OFFICER_NAME] = data.pop("officer_name")
    return page(request, "dashboard.html", nav="tong-quan", **data)


async def report_list(request: web.Request) -> web.Response:
    c = console_of(request)
    kb = c.knowledge.kb
    f = filters.parse(request.query, kb)
    rows = await c.db(lambda s: filters.select(s, f, c.tz, LIST_LIMIT))
    await officer_name(request)
    query = f.query()
    return page(request, "reports.html", nav="bao-cao",
                reports=[present.report_row(r, kb, c.tz) for r in rows], capped=len(rows) == LIST_LIMIT,
                export_url=f"{PREFIX}/xuat" + (f"?{query}" if query else ""), **filters.choices(f, kb))


async def report_page(request: web.Request) -> web.Response:
    c = console_of(request)
    code = request.match_info["code"]

    def read(s: Session) -> tuple[dict, bool] | None:
        r = q.report_by_code(s, code)
        if r is None:
            return None
        return (present.report_page(r, q.report_files(s, r.id), q.report_events(s, r.id),  # type: ignore[arg-type]
                                    c.knowledge.kb, c.tz, PREFIX), r.status == "pending")

    found = await c.db(read)
    if found is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    report, waiting = found
    await officer_name(request)
    form = c.knowledge.kb.report_form
    awards = [(a.id, a.name) for a in form.awards] if form else []
    return page(request, "report.html", nav="bao-cao", report=report, waiting=waiting, awards=awards)


async def report_file(request: web.Request) -> web.StreamResponse:
    """A report's photo or document, to a signed-in officer only (this route is guarded)."""
    c = console_of(request)
    code = request.match_info["code"]
    try:
        file_id = int(request.match_info["file_id"])
    except ValueError:
        file_id = -1
    row = await c.db(lambda s: q.report_file(s, code, file_id))
    if row is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    data = await asyncio.to_thread(c.files.path_of(row).read_bytes)
    image = row.mime_type in present.IMAGE_TYPES
    headers = {"Content-Type": row.mime_type if image else "application/octet-stream",
               "Cache-Control": "private, max-age=600", "X-Content-Type-Options": "nosniff"}
    if not image:
        headers["Content-Disposition"] = content_disposition(row.original_name or f"tep-{row.id}")
    return web.Response(body=data, headers=headers)


async def office(request: web.Request) -> web.Response:
    c = console_of(request)

    def read(s: Session) -> tuple[list, list]:
        return ([present.question_row(x, c.tz) for x in q.office_questions(s, "open")],
                [present.question_row(x, c.tz) for x in q.office_questions(s, "answered", limit=50)])

    open_, answered = await c.db(read)
    await officer_name(request)
    return page(request, "office.html", nav="hoi-van-phong", open=open_, answered=answered)
