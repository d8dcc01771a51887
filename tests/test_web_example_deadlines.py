"""Lịch nhắc hạn in the console shows deadlines.yaml's example deadlines as examples, and an
officer makes one real after setting its date (issue 23, item 6): a version over
deadlines.yaml, the database's row synced in the same transaction, reminders sent from then on,
kept by the reminder pass's sync, exported, and seen by another instance (PostgreSQL)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from aiohttp import ClientSession
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.reminders import dispatch_now, sync_content
from bot.settings import load_settings
from content.export import export
from storage import web_sessions as ws
from storage.content_edits import DEADLINE_PREFIX, EditStore
from storage.models import Deadline
from storage.reminders import EXAMPLE_BY
from tests.conftest import REAL_CONTENT, Talk
from tests.test_reminders import EXAMPLES, local, person, reminders_to
from tests.test_web_curation import _audit, _get, _post
from tests.web_console import cookie_header, seed, serve

KEY = "content:vi-du-lanh-dao"


def _app(tmp_path: Path, database_url: str | None = None, migrate: bool = True, name: str = "data") -> App:
    """The shipped content with example deadlines in 2030 (tests/test_reminders.py's)."""
    content = tmp_path / "content"
    if not content.exists():
        shutil.copytree(REAL_CONTENT, content)
        (content / "deadlines.yaml").write_text(EXAMPLES, encoding="utf-8")
    return build_app(load_settings(data_dir=tmp_path / name, content_dir=content, database_url=database_url),
                     migrate=migrate)


def _row(app: App) -> Deadline:
    with Session(app.repo.engine) as s:
        return s.exec(select(Deadline).where(Deadline.key == KEY)).one()


@pytest.fixture
def examples(tmp_path: Path) -> App:
    app = _app(tmp_path)
    sync_content(app)
    return app


async def test_make_real_is_refused_without_session_to_non_officers_and_without_csrf(examples: App) -> None:
    app = examples
    seed(app)
    url = f"/van-phong/lich-nhac-han/{_row(app).id}/lam-that"
    form = {"ngay": "2030-12-10", "gio": "17:00"}
    async with serve(app) as srv, ClientSession() as http:
        async with http.post(srv.url + url, data={**form, "csrf": "x"}, allow_redirects=False) as r:
            assert r.status == 401
        with Session(app.repo.engine) as s:
            cookie, row = ws.open_session(s, "zalo:u-an")
            staff_csrf = row.csrf
            s.commit()
        async with http.post(srv.url + url, data={**form, "csrf": staff_csrf}, headers=cookie_header(cookie),
                             allow_redirects=False) as r:
            assert r.status == 403
        cookie, _ = await srv.sign_in(http)
        status, _, body = await _post(http, srv.url + url, cookie, {**form, "csrf": "sai"})
        assert status == 403 and "Yêu cầu không hợp lệ" in body
    assert _row(app).created_by == EXAMPLE_BY
    assert EditStore(app.repo.engine).count() == 0 and _audit(app) == []


async def test_an_example_is_shown_then_made_real_and_reminded_from_then_on(examples: App, tmp_path: Path) -> None:
    app = examples
    seed(app)
    person(app, "lead", leader=True)
    assert dispatch_now(app, local("2030-12-08 08:00")).queued == []  # an example: never sent
    d = _row(app)
    async with serve(app) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        status, listing = await _get(http, srv.url + "/van-phong/lich-nhac-han", cookie)
        assert status == 200 and listing.count("ví dụ, chưa gửi") == 2
        status, page = await _get(http, srv.url + f"/van-phong/lich-nhac-han/{d.id}", cookie)
        assert status == 200 and 'id="lam-that"' in page and 'value="2030-12-15"' in page and 'value="17:00"' in page
        url = srv.url + f"/van-phong/lich-nhac-han/{d.id}/lam-that"
        status, _, page = await _post(http, url, cookie, {"csrf": csrf, "ngay": "2020-01-10", "gio": "17:00"})
        assert status == 422 and "Hạn đã qua" in page
        status, _, page = await _post(http, url, cookie, {"csrf": csrf, "ngay": "không", "gio": "17:00"})
        assert status == 422 and "Ngày giờ chưa đúng" in page
        assert _row(app).created_by == EXAMPLE_BY and EditStore(app.repo.engine).count() == 0
        status, where, _ = await _post(http, url, cookie, {"csrf": csrf, "ngay": "2030-12-10", "gio": "16:30"})
        assert status == 303 and where.endswith(f"/lich-nhac-han/{d.id}?that=1")
        status, page = await _get(http, srv.url + where[where.index("/van-phong"):], cookie)
        assert "Đã chuyển thành hạn thật" in page and 'id="lam-that"' not in page
        status, _, page = await _post(http, url, cookie, {"csrf": csrf, "ngay": "2030-12-11", "gio": "16:30"})
        assert status == 422 and "không phải hạn ví dụ" in page  # made real once
    row = _row(app)
    assert row.created_by == "content" and row.due_at.strftime("%Y-%m-%d") == "2030-12-10"
    assert [a[1:] for a in _audit(app)] == [("deadline_made_real", str(d.id))]
    # The reminder pass syncs deadlines.yaml: the Office's version keeps it real, and it is sent.
    result = dispatch_now(app, local("2030-12-03 08:05"))  # 7 days before the new date
    assert len(result.queued) == 1
    [sent] = reminders_to(app, "lead")
    assert "Báo cáo tổng kết (mẫu)" in sent.payload["reply"]["text"] and "ví dụ" not in sent.payload["reply"]["text"]
    assert _row(app).created_by == "content"
    [shown] = Talk(app)("/lich", user="lead")
    assert "Báo cáo tổng kết (mẫu) (ví dụ)" not in shown.text and "Gửi gương người tốt (mẫu) (ví dụ)" in shown.text
    # `content export` writes it into deadlines.yaml without the mark.
    out = tmp_path / "export"
    export(app.settings.content_dir, EditStore(app.repo.engine).overlay().entries, out)
    written = {d["id"]: d for d in yaml.safe_load((out / "deadlines.yaml").read_text(encoding="utf-8"))["deadlines"]}
    assert written["vi-du-lanh-dao"]["due"] == "2030-12-10 16:30" and "example" not in written["vi-du-lanh-dao"]
    assert written["vi-du-moi-nguoi"]["example"] is True


async def test_made_real_on_postgresql_reaches_the_other_instance(pg_url: str, tmp_path: Path) -> None:
    one = _app(tmp_path, pg_url, name="a")
    other = _app(tmp_path, pg_url, migrate=False, name="b")
    sync_content(one)
    seed(one)
    person(one, "lead", leader=True)
    async with serve(one) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        status, _, page = await _post(http, srv.url + f"/van-phong/lich-nhac-han/{_row(one).id}/lam-that", cookie,
                                      {"csrf": csrf, "ngay": "2030-12-10", "gio": "16:30"})
        assert status == 303, page[:2000]
    other.knowledge.refresh()  # what its poll does every CONTENT_POLL_SECONDS
    assert f"{DEADLINE_PREFIX}vi-du-lanh-dao" in EditStore(other.repo.engine).overlay().entries
    assert len(dispatch_now(other, local("2030-12-03 08:05")).queued) == 1
    assert _row(other).created_by == "content"
