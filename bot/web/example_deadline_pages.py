"""Lịch nhắc hạn: an example deadline of deadlines.yaml (shown "ví dụ, chưa gửi", never sent)
made real after its date is set (issue 23, item 6). The change is a version over
deadlines.yaml (handlers/example_deadlines.py), so every instance and `content export` agree."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.web import texts
from bot.web.audit import record
from bot.web.console import OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.guard import refusal
from bot.web.reminder_pages import render_deadline
from bot.web.views import officer_name
from handlers.example_deadlines import ExampleDeadlines
from storage import console_queries as cq


async def make_real(request: web.Request) -> web.Response:
    c = console_of(request)
    raw = request.match_info["id"]
    row = await c.db(lambda s: cq.deadline_by_id(s, int(raw))) if raw.isdigit() and len(raw) < 10 else None
    if row is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    form = await request.post()
    await officer_name(request)
    service = ExampleDeadlines(c.knowledge, c.engine, c.tz)
    result = await asyncio.to_thread(service.make_real, row, str(form.get("ngay", "")), str(form.get("gio", "")),
                                     request[OFFICER], request.get(OFFICER_NAME))
    if result.problems:
        return await render_deadline(request, problems=result.problems, status=422)
    await record(request, "deadline_made_real", str(row.id), {"key": row.key, "version": result.version,
                                                              "date": str(form.get("ngay", "")),
                                                              "time": str(form.get("gio", ""))})
    return web.Response(status=303, headers={"Location": f"{PREFIX}/lich-nhac-han/{row.id}?that=1"})
