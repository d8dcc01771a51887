"""Builds the console's aiohttp application (routes: see bot/web/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.web import actions, deadline_actions, export_pages, login, reminder_pages, views
from bot.web.console import KEY, PREFIX, STATIC, Console, make_templates
from bot.web.guard import protect, public
from content.service import Knowledge
from storage.files import FileStore


@public
async def to_console(_request: web.Request) -> web.Response:
    return web.Response(status=302, headers={"Location": f"{PREFIX}/"})


def make_console(engine: Engine, files: FileStore, knowledge: Knowledge, is_officer: Callable[[str, str], bool],
                 tz: ZoneInfo, public_url: str | None = None) -> web.Application:
    console = web.Application(middlewares=[protect])
    console[KEY] = Console(engine=engine, files=files, knowledge=knowledge, is_officer=is_officer, tz=tz,
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
    s = app.settings
    return make_console(app.repo.engine, app.files, app.knowledge, s.is_admin, s.tz, s.public_url)


__all__ = ["PREFIX", "add_console", "console_for", "make_console"]
