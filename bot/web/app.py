"""Builds the console's aiohttp application (routes: see bot/web/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.web import (
    actions,
    curation_pages,
    deadline_actions,
    example_deadline_pages,
    export_pages,
    login,
    officer_pages,
    reminder_pages,
    unit_list_pages,
    unit_pages,
    views,
)
from bot.web.console import KEY, PREFIX, STATIC, Console, make_templates
from bot.web.guard import protect, public
from content.service import Knowledge
from storage.files import FileStore


@public
async def to_console(_request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": f"{PREFIX}/"})


def make_console(engine: Engine, files: FileStore, knowledge: Knowledge, is_officer: Callable[[str, str], bool],
                 tz: ZoneInfo, public_url: str | None = None,
                 admins: AbstractSet[tuple[str, str]] = frozenset(), sources_dir: Path | None = None) -> web.Application:
    """`is_officer`: bot/officer_source.py's (ADMIN_IDS or the officers table); `admins`: ADMIN_IDS,
    shown first on the Cán bộ page and never removed there; `sources_dir`: CONTENT_SOURCES_DIR (the
    plans every content save is checked against, as `content verify` does)."""
    console = web.Application(middlewares=[protect])
    console[KEY] = Console(engine=engine, files=files, knowledge=knowledge, is_officer=is_officer, tz=tz,
                           admins=admins, sources_dir=sources_dir,
                           secure_cookie=bool(public_url and public_url.startswith("https://")),
                           templates=make_templates())
    r = console.router
    r.add_get("/", views.dashboard)
    r.add_get("/bao-cao", views.report_list)
    r.add_get("/bao-cao/{code}", views.report_page)
    r.add_get("/bao-cao/{code}/tep/{file_id}", views.report_file)
    r.add_post("/bao-cao/{code}/quyet-dinh", actions.decide_report)
    r.add_get("/hoi-van-phong", views.office)
    r.add_post("/hoi-van-phong/{qid}/tra-loi", actions.answer_question)
    r.add_get("/xuat", export_pages.export_page)
    r.add_get("/xuat/{kind}", export_pages.download)
    r.add_get("/lich-nhac-han", reminder_pages.deadlines)
    r.add_get("/lich-nhac-han/{id}", reminder_pages.deadline)
    r.add_post("/lich-nhac-han/{id}/lam-that", example_deadline_pages.make_real)
    r.add_get("/chua-tra-loi", curation_pages.unanswered)
    r.add_post("/chua-tra-loi/cach-hoi", curation_pages.add_phrasing)
    r.add_post("/chua-tra-loi/ngoai-pham-vi", curation_pages.not_our_subject)
    r.add_get("/noi-dung", curation_pages.entry_list)
    r.add_get("/noi-dung/moi", curation_pages.new_entry_page)
    r.add_post("/noi-dung/moi", curation_pages.create_entry)
    r.add_post("/noi-dung/thu", curation_pages.try_entry)
    r.add_get("/noi-dung/{id}", curation_pages.entry_page)
    r.add_post("/noi-dung/{id}", curation_pages.save_entry)
    r.add_post("/noi-dung/{id}/quay-lai/{version}", curation_pages.revert_entry)
    r.add_get("/don-vi", unit_pages.units)
    r.add_post("/don-vi/xem-truoc", unit_pages.preview_units)
    r.add_post("/don-vi/ap-dung", unit_pages.apply_units)
    r.add_get("/don-vi/danh-sach", unit_list_pages.unit_list)
    r.add_post("/don-vi/danh-sach/xem-truoc", unit_list_pages.preview_unit_list)
    r.add_post("/don-vi/danh-sach/ap-dung", unit_list_pages.apply_unit_list)
    r.add_get("/can-bo", officer_pages.officers)
    r.add_post("/can-bo/them", officer_pages.add_officer)
    r.add_post("/can-bo/bo", officer_pages.remove_officer)
    r.add_post("/lich-nhac-han/moi", deadline_actions.new_deadline)
    r.add_post("/lich-nhac-han/thong-bao", deadline_actions.announce)
    r.add_post("/lich-nhac-han/{id}/doi-han", deadline_actions.move_deadline)
    r.add_post("/lich-nhac-han/{id}/huy", deadline_actions.cancel_deadline)
    r.add_get("/dang-nhap", login.instructions)
    r.add_get("/dang-nhap/{token}", login.offer, allow_head=False)
    r.add_post("/dang-nhap/{token}", login.redeem)
    r.add_post("/dang-xuat", login.sign_out)
    r.add_static("/static", STATIC, append_version=False)
    return console


def add_console(web_app: web.Application, console: web.Application) -> None:
    """Serve `console` under /van-phong/ of `web_app` (the webhook server or `python -m bot web`'s)."""
    web_app.router.add_get(PREFIX, to_console)
    web_app.add_subapp(f"{PREFIX}/", console)


def console_for(app) -> web.Application:  # noqa: ANN001 - bot.app.App, imported late by callers
    from bot.officer_source import officers_of

    s = app.settings
    officers = app.officers or officers_of(s, app.repo.engine)
    return make_console(app.repo.engine, app.files, app.knowledge, officers.is_officer, s.tz, s.public_url,
                        admins=officers.admins, sources_dir=s.content_sources_dir)


__all__ = ["PREFIX", "add_console", "console_for", "make_console"]
