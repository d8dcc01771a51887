"""Xuất: the reports' files downloaded from the browser, of the reports the Báo cáo filters
select (bot/web/exports.py builds them). Each download is recorded in the audit table:
the files carry staff's names and stories out of the server."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlmodel import Session

from bot.downloads import content_disposition
from bot.web import audit, exports, filters, texts
from bot.web.console import OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.guard import refusal
from bot.web.views import officer_name, page
from storage.reports import person_name


async def export_page(request: web.Request) -> web.Response:
    c = console_of(request)
    kb = c.knowledge.kb
    f = filters.parse(request.query, kb)

    def read(s: Session) -> tuple[dict[str, int], str | None]:
        return exports.counts(s, f, c.tz), person_name(s, request[OFFICER])

    counts, name = await c.db(read)
    request[OFFICER_NAME] = name or ""
    query = f.query()
    files = [{"kind": k, "label": texts.EXPORT_KINDS[k][0], "about": texts.EXPORT_KINDS[k][1], "count": counts[k],
              "url": f"{PREFIX}/xuat/{k}" + (f"?{query}" if query else "")} for k in texts.EXPORT_KINDS]
    return page(request, "export.html", nav="xuat", files=files,
                list_url=f"{PREFIX}/bao-cao" + (f"?{query}" if query else ""), **filters.choices(f, kb))


async def download(request: web.Request) -> web.Response:
    c = console_of(request)
    kind = request.match_info["kind"]
    if kind not in exports.KINDS:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    kb = c.knowledge.kb
    f = filters.parse(request.query, kb)
    today = datetime.now(c.tz).date()
    export = await c.db(lambda s: exports.build(s, kb, kind, f, c.tz, today))
    if export.count == 0:  # a page that says so, with the menu, rather than a file with headings only
        await officer_name(request)
        return page(request, "message.html", status=404, nav="xuat", title=texts.EXPORT_EMPTY_TITLE,
                    text=texts.EXPORT_EMPTY_TEXT)
    await audit.record(request, "export", kind, {"count": export.count, **f.described()})
    return web.Response(body=export.data, headers={
        "Content-Type": export.mime_type, "Content-Disposition": content_disposition(export.file_name),
        "Cache-Control": "no-store"})
