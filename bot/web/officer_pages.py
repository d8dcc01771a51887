"""Cán bộ (issue 23): the officers, ADMIN_IDS first (never removed here), those added in the
console after; add one by the `channel:id` /toi shows or by picking someone who has written
to the bot; remove one (every console session of theirs ends now; their officer forms in
chat end at their next message, the router asking bot/officer_source.py)."""

from __future__ import annotations

import re

from aiohttp import web
from sqlmodel import Session

from bot.web import texts
from bot.web.audit import record
from bot.web.console import OFFICER, OFFICER_NAME, PREFIX, console_of
from bot.web.guard import refusal
from bot.web.present import when
from bot.web.views import page
from storage import officers as so
from storage import web_sessions as ws
from storage.reports import person_name

_ID = re.compile(r"(telegram|zalo):[A-Za-z0-9_-]{1,128}")


def _name(s: Session, officer: str) -> str:
    return person_name(s, officer) or ""


async def officers(request: web.Request) -> web.Response:
    c = console_of(request)

    def read(s: Session) -> dict:
        admins = [{"id": f"{ch}:{u}", "name": _name(s, f"{ch}:{u}")} for ch, u in sorted(c.admins)]
        added = [{"id": o.officer, "name": o.name or _name(s, o.officer), "by": _name(s, o.added_by) or o.added_by,
                  "at": when(o.added_at, c.tz)} for o in so.listed(s)
                 if tuple(o.officer.split(":", 1)) not in c.admins]
        taken = {a["id"] for a in admins} | {a["id"] for a in added}
        people = [{"id": f"{u.channel}:{u.external_id}", "label": f"{u.display_name or 'Không tên'} "
                   f"({u.channel}:{u.external_id})"} for u in so.writers(s)
                  if f"{u.channel}:{u.external_id}" not in taken]
        return {"admins": admins, "added": added, "people": people, "officer_name": person_name(s, request[OFFICER])}

    data = await c.db(read)
    request[OFFICER_NAME] = data.pop("officer_name") or request[OFFICER]
    return page(request, "officers.html", nav="can-bo", error=texts.BAD_OFFICER_ID if request.query.get("loi") else "",
                done=texts.DONE.get(request.query.get("xong", ""), ""), **data)


async def add_officer(request: web.Request) -> web.Response:
    c = console_of(request)
    form = await request.post()
    officer = (str(form.get("nguoi", "")) or str(form.get("ma", ""))).strip()
    if not _ID.fullmatch(officer):
        return web.Response(status=303, headers={"Location": f"{PREFIX}/can-bo?loi=ma"})
    channel, _, user = officer.partition(":")
    if (channel, user) in c.admins:
        return web.Response(status=303, headers={"Location": f"{PREFIX}/can-bo?xong=them"})
    by = request[OFFICER]
    added = await c.db(lambda s: so.add(s, officer, by, person_name(s, officer)), commit=True)
    if added:
        await record(request, "add_officer", officer)
    return web.Response(status=303, headers={"Location": f"{PREFIX}/can-bo?xong=them"})


async def remove_officer(request: web.Request) -> web.Response:
    c = console_of(request)
    form = await request.post()
    officer = str(form.get("ma", "")).strip()
    channel, _, user = officer.partition(":")
    if (channel, user) in c.admins:
        return refusal(request, 403, texts.ADMIN_KEPT_TITLE, texts.ADMIN_KEPT_TEXT)

    def remove(s: Session) -> bool:
        gone = so.remove(s, officer)
        if gone:
            ws.end_all(s, officer)  # their browsers are signed out now, on every instance
        return gone

    if not await c.db(remove, commit=True):
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    await record(request, "remove_officer", officer)
    if officer == request[OFFICER]:  # removed themselves: this session has just ended
        return web.Response(status=303, headers={"Location": f"{PREFIX}/dang-nhap"})
    return web.Response(status=303, headers={"Location": f"{PREFIX}/can-bo?xong=bot"})
