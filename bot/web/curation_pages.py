"""Chưa trả lời được and Nội dung (issue 23): the Office turns what the bot could not answer
into content. Each view is one call of handlers/curation_service.py's Curation; the page
only turns its results into rows (bot/web/curation_present.py) and records the action."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from bot.web import curation_present as cp
from bot.web import texts
from bot.web.audit import record
from bot.web.console import OFFICER, PREFIX, console_of
from bot.web.guard import refusal
from bot.web.views import officer_name, page
from handlers.curation_service import Curation
from storage.content_edits import EditStore
from storage.repo import Repository

FORM_FIELDS = ("id", "topic", "title", "short", "answer", "questions", "examples", "keywords", "source", "related",
               "tags")


def curation_of(request: web.Request) -> Curation:
    c = console_of(request)
    return Curation(c.knowledge, EditStore(c.engine), Repository(c.engine), sources_dir=c.sources_dir)


def _see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


async def _form(request: web.Request) -> tuple[dict, list[str]]:
    """The entry's fields and the group's spellings (`cau`, repeated) of a posted form."""
    form = await request.post()
    edit = {k: str(form.get(k, "")) for k in FORM_FIELDS if k in form}
    return edit, [str(v) for v in form.getall("cau", []) if str(v).strip()]


# --- Chưa trả lời được ------------------------------------------------------------------------
async def unanswered(request: web.Request) -> web.Response:
    cur = curation_of(request)
    groups, entries = await asyncio.to_thread(lambda: (cur.unanswered(), cur.entries()))
    await officer_name(request)
    return page(request, "unanswered.html", nav="chua-tra-loi", groups=[cp.group_row(g, entries) for g in groups],
                done=texts.DONE.get(request.query.get("xong", ""), ""))


async def add_phrasing(request: web.Request) -> web.Response:
    form = await request.post()
    spellings = [str(v) for v in form.getall("cau", []) if str(v).strip()]
    entry_id = str(form.get("muc", ""))
    if not spellings or not entry_id:
        return refusal(request, 400, texts.BAD_FORM_TITLE, texts.BAD_FORM_TEXT)
    cur = curation_of(request)
    officer = request[OFFICER]
    result = await asyncio.to_thread(cur.add_phrasing, spellings, entry_id, officer)
    if not result.saved:
        return await _not_saved(request, result, "chua-tra-loi")
    await record(request, "add_phrasing", entry_id, {"texts": spellings, "version": result.version})
    return _see_other(f"{PREFIX}/chua-tra-loi?xong=cach-hoi")


async def not_our_subject(request: web.Request) -> web.Response:
    form = await request.post()
    spellings = [str(v) for v in form.getall("cau", []) if str(v).strip()]
    if not spellings:
        return refusal(request, 400, texts.BAD_FORM_TITLE, texts.BAD_FORM_TEXT)
    cur = curation_of(request)
    await asyncio.to_thread(cur.not_our_subject, spellings, request[OFFICER])
    await record(request, "not_our_subject", None, {"texts": spellings})
    return _see_other(f"{PREFIX}/chua-tra-loi?xong=ngoai-pham-vi")


# --- Nội dung -------------------------------------------------------------------------------
async def entry_list(request: web.Request) -> web.Response:
    cur = curation_of(request)
    query = request.query.get("tim", "")[:200]
    topic = request.query.get("chu-de") or None
    rows, topics = await asyncio.to_thread(lambda: (cur.entries(query, topic), cur.topics()))
    await officer_name(request)
    return page(request, "entries.html", nav="noi-dung", entries=[cp.entry_row(e) for e in rows], query=query,
                topics=cp.topic_choices(topics, topic or ""))


async def entry_page(request: web.Request) -> web.Response:
    cur = curation_of(request)
    entry_id = request.match_info["id"]
    view = await asyncio.to_thread(cur.entry, entry_id)
    if view is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    history = await asyncio.to_thread(lambda: [cp.history_row(h, cur.changes(entry_id, h.version), c_tz(request))
                                               for h in view.history])
    await officer_name(request)
    return page(request, "entry.html", nav="noi-dung", **cp.entry_form(view.entry, view.version, cur.topics()),
                history=history, is_new=False, spellings=[], conflict=None,
                saved=request.query.get("da-luu") == "1", reverted=request.query.get("quay-lai", ""))


def c_tz(request: web.Request):  # noqa: ANN201
    return console_of(request).tz


async def new_entry_page(request: web.Request) -> web.Response:
    cur = curation_of(request)
    spellings = [q for q in request.query.getall("cau", []) if q.strip()][:20]
    topics = await asyncio.to_thread(cur.topics)
    await officer_name(request)
    return page(request, "entry.html", nav="noi-dung", **cp.blank_form(spellings, topics), history=[], is_new=True,
                spellings=spellings, conflict=None, saved=False, reverted="")


async def save_entry(request: web.Request) -> web.Response:
    cur = curation_of(request)
    entry_id = request.match_info["id"]
    edit, _ = await _form(request)
    edit["id"] = entry_id
    form = await request.post()
    try:
        base = int(str(form.get("phien-ban", "")))
    except ValueError:
        return refusal(request, 400, texts.BAD_FORM_TITLE, texts.BAD_FORM_TEXT)
    if await asyncio.to_thread(cur.entry, entry_id) is None:
        return refusal(request, 404, texts.NOT_FOUND_TITLE, texts.NOT_FOUND_TEXT)
    result = await asyncio.to_thread(lambda: cur.save(edit, request[OFFICER], base))
    if result.saved:
        await record(request, "save_entry", entry_id, {"version": result.version, "base_version": base})
        return _see_other(f"{PREFIX}/noi-dung/{quote(entry_id)}?da-luu=1")
    return await _refused_form(request, cur, edit, base, result, is_new=False, spellings=[])


async def create_entry(request: web.Request) -> web.Response:
    cur = curation_of(request)
    edit, spellings = await _form(request)
    if spellings:
        result = await asyncio.to_thread(lambda: cur.new_entry(spellings, edit, request[OFFICER]))
    else:
        taken = await asyncio.to_thread(cur.entry, edit.get("id", "")) if edit.get("id") else None
        result = (await asyncio.to_thread(lambda: cur.save(edit, request[OFFICER], 0))) if taken is None else \
            cp.taken(edit)
    if result.saved:
        await record(request, "new_entry", edit.get("id"), {"version": result.version, "texts": spellings})
        return _see_other(f"{PREFIX}/noi-dung/{quote(edit['id'])}?da-luu=1")
    return await _refused_form(request, cur, edit, 0, result, is_new=True, spellings=spellings)


async def _not_saved(request: web.Request, result, nav: str) -> web.Response:  # noqa: ANN001
    """Why a phrasing or a going back was not saved: its problems, or the other officer's change."""
    await officer_name(request)
    return page(request, "message.html", status=409 if result.conflict else 422, title=texts.NOT_SAVED_TITLE,
                text=cp.problems_text(result), nav=nav)


async def _refused_form(request: web.Request, cur: Curation, edit: dict, base: int, result, *,  # noqa: ANN001
                        is_new: bool, spellings: list[str]) -> web.Response:
    """The form again with what the officer typed, the problems beside their fields, or the
    other officer's change (a conflict: the form is based on their version now)."""
    topics = await asyncio.to_thread(cur.topics)
    await officer_name(request)
    conflict = cp.conflict_view(result.conflict, c_tz(request)) if result.conflict else None
    if conflict:
        base = result.conflict.current_version
    return page(request, "entry.html", status=409 if conflict else 422, nav="noi-dung",
                **cp.typed_form(edit, base, topics, result.problems), history=[], is_new=is_new,
                spellings=spellings, conflict=conflict, saved=False, reverted="")


async def try_entry(request: web.Request) -> web.Response:
    """The "Thử" box (htmx): how the bot would answer the question with the form's edit applied."""
    cur = curation_of(request)
    edit, _ = await _form(request)
    form = await request.post()
    question = str(form.get("cau-thu", "")).strip()[:500]
    if not question:
        return console_of(request).render("_try.html", result=None, asked=False)
    result = await asyncio.to_thread(cur.preview, edit, question)
    return console_of(request).render("_try.html", result=cp.preview_view(result, cur), asked=True)


async def revert_entry(request: web.Request) -> web.Response:
    cur = curation_of(request)
    entry_id = request.match_info["id"]
    raw = request.match_info["version"]
    form = await request.post()
    try:
        version, base = int(raw), int(str(form.get("phien-ban", "")))
    except ValueError:
        return refusal(request, 400, texts.BAD_FORM_TITLE, texts.BAD_FORM_TEXT)
    result = await asyncio.to_thread(lambda: cur.revert(entry_id, version, request[OFFICER], base_version=base))
    if not result.saved:
        return await _not_saved(request, result, "noi-dung")
    await record(request, "revert_entry", entry_id, {"to": version, "version": result.version})
    return _see_other(f"{PREFIX}/noi-dung/{quote(entry_id)}?quay-lai={version}")
