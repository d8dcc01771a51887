"""With CONTENT_SOURCES_DIR set, the console's content saves are also checked against the
plans, as `content verify` does (issue 23, item 2): a source the plans contradict is shown
beside its field and nothing is saved; without it the same save goes through."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

from aiohttp import ClientSession

from bot import webserver
from bot.app import build_app
from bot.settings import load_settings
from bot.web.app import add_console, console_for
from storage.content_edits import EditStore
from tests.conftest import REAL_CONTENT
from tests.test_web_curation import _fields, _get, _post, _set
from tests.web_console import OFFICER, OFFICER_ID, Served

PLANS = Path(__file__).parent / "fixtures" / "plans"
ENTRY = "thu-tuc-don-gian"
WRONG_SOURCE = "KH 515/KH-VKS, mục IV.9"


async def _save_wrong_source(tmp_path: Path, sources_dir: Path | None) -> tuple[int, str, EditStore]:
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, admin_ids=OFFICER_ID,
                             content_sources_dir=sources_dir)
    app = build_app(settings)
    web_app = webserver.make_app()
    add_console(web_app, console_for(app))  # the wiring `python -m bot` uses: settings -> console
    runner, site = await webserver.start(web_app, "127.0.0.1", 0)
    try:
        srv = Served(f"http://127.0.0.1:{site._bound_port}", {OFFICER}, app)
        async with ClientSession() as http:
            cookie, csrf = await srv.sign_in(http)
            status, page = await _get(http, srv.url + f"/van-phong/noi-dung/{ENTRY}", cookie)
            assert status == 200
            fields = _set(_set(_fields(page), "source", WRONG_SOURCE), "csrf", csrf)
            status, _, body = await _post(http, srv.url + f"/van-phong/noi-dung/{ENTRY}", cookie, fields)
    finally:
        await runner.cleanup()
    return status, unescape(re.sub(r"\s+", " ", body)), EditStore(app.repo.engine)


async def test_a_save_the_plans_contradict_is_refused_when_content_sources_dir_is_set(tmp_path: Path) -> None:
    status, body, edits = await _save_wrong_source(tmp_path, PLANS)
    assert status == 422 and "IV.9" in body[body.index('id="sua-muc"'):], body[:3000]
    assert edits.count() == 0


async def test_without_content_sources_dir_the_same_save_goes_through(tmp_path: Path) -> None:
    status, _, edits = await _save_wrong_source(tmp_path, None)
    assert status == 303 and edits.count() == 1
