"""Danh sách đơn vị in the console (issue 23, item 4): the Office adds, renames, merges and
retires units; the effect on stored profiles, reports and deadlines is shown first, then the
new list (a version over content/units.yaml) and the moved ids are saved in one transaction,
answered from at once in chat, exported as units.yaml, and seen by another instance after its
poll (PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from aiohttp import ClientSession
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.settings import load_settings
from content.export import export
from handlers.unit_list import UnitList
from storage.content_edits import UNITS_KEY, ContentEdit, EditStore
from storage.models import Deadline, Profile, User, utcnow
from tests.conftest import REAL_CONTENT, Talk
from tests.test_web_curation import _audit, _get, _post
from tests.web_console import OFFICER_ID, cookie_header, seed, serve

LIST = "/van-phong/don-vi/danh-sach"
POSTS = [f"{LIST}/xem-truoc", f"{LIST}/ap-dung"]


def _staff_in(app: App, unit_id: str) -> None:
    """"u-an" (seeded) works at `unit_id`, with a deadline for that unit."""
    with Session(app.repo.engine) as s:
        u = s.exec(select(User).where(User.external_id == "u-an")).one()
        s.add(Profile(user_id=u.id, full_name="Nguyễn Văn An", unit_id=unit_id, is_leader=False))  # type: ignore[arg-type]
        s.add(Deadline(key="t:gd", title="Hạn của đơn vị", due_at=utcnow(), audience=f"unit:{unit_id}",
                       created_by=OFFICER_ID))
        s.commit()


def _merge_form(csrf: str, base: int = 0) -> dict:
    """Gò Dầu merged into a new unit "VKSND khu vực 1", Bến Cầu retired, Văn phòng renamed."""
    return {"csrf": csrf, "base": str(base), "action-vks-go-dau": "vks-kv-1", "action-vks-ben-cau": "-",
            "name-van-phong": "Văn phòng Viện kiểm sát tỉnh",
            "new-id-0": "vks-kv-1", "new-name-0": "VKSND khu vực 1 - Tây Ninh", "new-parent-0": "vks-tinh"}


async def test_unit_list_routes_are_refused_without_session_to_non_officers_and_without_csrf(app: App) -> None:
    from storage import web_sessions as ws

    seed(app)
    async with serve(app) as srv, ClientSession() as http:
        async with http.get(srv.url + LIST, allow_redirects=False) as r:
            assert r.status == 401
        for path in POSTS:
            async with http.post(srv.url + path, data={"csrf": "x"}, allow_redirects=False) as r:
                assert r.status == 401, path
        for path in [LIST, *POSTS]:  # a non-officer's session (each refusal may end it: a new one each time)
            with Session(app.repo.engine) as s:
                cookie, row = ws.open_session(s, "zalo:u-an")
                staff_csrf = row.csrf
                s.commit()
            call = http.get if path == LIST else http.post
            kw = {} if path == LIST else {"data": {"csrf": staff_csrf}}
            async with call(srv.url + path, headers=cookie_header(cookie), allow_redirects=False, **kw) as r:
                assert r.status == 403, path
        cookie, csrf = await srv.sign_in(http)
        for path in POSTS:
            status, _, body = await _post(http, srv.url + path, cookie, {**_merge_form("sai")})
            assert status == 403 and "Yêu cầu không hợp lệ" in body, path
    assert EditStore(app.repo.engine).entry_version(UNITS_KEY) == 0
    assert _audit(app) == []


async def test_units_added_renamed_merged_retired_through_to_the_profile_shown_in_chat(app: App,
                                                                                       tmp_path: Path) -> None:
    seed(app)
    _staff_in(app, "vks-go-dau")
    async with serve(app) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        status, page = await _get(http, srv.url + LIST, cookie)
        assert status == 200 and 'name="name-vks-go-dau"' in page and 'name="base" value="0"' in page
        status, _, page = await _post(http, srv.url + f"{LIST}/xem-truoc", cookie, _merge_form(csrf))
        assert status == 200 and "Thay đổi sẽ áp dụng" in page, page[:2000]
        assert "gộp vào “VKSND khu vực 1 - Tây Ninh”: 1 hồ sơ cán bộ, 1 hạn đang nhắc" in page
        assert "giải thể" in page and "đổi tên thành “Văn phòng Viện kiểm sát tỉnh”" in page
        assert "thêm mới" in page
        with Session(app.repo.engine) as s:  # a preview changes nothing
            assert s.exec(select(Profile.unit_id)).one() == "vks-go-dau"
        assert EditStore(app.repo.engine).entry_version(UNITS_KEY) == 0
        # Merging into a unit that does not stay is refused, nothing saved.
        bad = {**_merge_form(csrf), "action-vks-go-dau": "vks-ben-cau"}
        status, _, page = await _post(http, srv.url + f"{LIST}/ap-dung", cookie, bad)
        assert status == 422 and "chỉ gộp được vào một đơn vị còn lại" in page
        status, where, _ = await _post(http, srv.url + f"{LIST}/ap-dung", cookie, _merge_form(csrf))
        assert status == 303 and where.endswith("danh-sach?xong=1")
        # The same form again, from the version it was read at: another officer saved first.
        status, _, page = await _post(http, srv.url + f"{LIST}/ap-dung", cookie,
                                      {**_merge_form(csrf), "action-vks-go-dau": "", "action-vks-ben-cau": "",
                                       "new-id-0": "vks-kv-2", "new-name-0": "VKSND khu vực 2"})
        assert status == 409 and "Một cán bộ khác vừa lưu danh sách đơn vị" in page
    with Session(app.repo.engine) as s:
        assert s.exec(select(Profile.unit_id)).one() == "vks-kv-1"
        assert s.exec(select(Deadline.audience).where(Deadline.key == "t:gd")).one() == "unit:vks-kv-1"
        [row] = s.exec(select(ContentEdit).where(ContentEdit.entry_id == UNITS_KEY)).all()
        assert row.kind == "units" and row.by == OFFICER_ID
    kb = app.knowledge.kb
    ids = [u.id for u in kb.units]
    assert "vks-kv-1" in ids and "vks-go-dau" not in ids and "vks-ben-cau" not in ids
    assert kb.unit_name("van-phong") == "Văn phòng Viện kiểm sát tỉnh"
    assert [a[1] for a in _audit(app)] == ["units_list"]
    [shown] = Talk(app)("hồ sơ của tôi", user="u-an")
    assert "VKSND khu vực 1 - Tây Ninh" in shown.text, shown.text
    # `content export` writes the Office's list as units.yaml.
    out = tmp_path / "export"
    changed = export(app.settings.content_dir, EditStore(app.repo.engine).overlay().entries, out)
    assert out / "units.yaml" in changed
    written = yaml.safe_load((out / "units.yaml").read_text(encoding="utf-8"))
    assert {"id": "vks-kv-1", "name": "VKSND khu vực 1 - Tây Ninh", "parent": "vks-tinh"} in written["units"]


def test_a_failing_migration_saves_no_list(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The list's row and the moved ids are one transaction: a failure in between keeps both."""
    from handlers import unit_list as ul

    seed(app)
    _staff_in(app, "vks-go-dau")
    units = UnitList(app.knowledge, app.repo.engine)
    p = ul.plan(app.knowledge.kb, [ul.UnitEdit("vks-go-dau", "x", "", ul.RETIRE)], [], app.knowledge.kb.units_note)

    def boom(s, p):  # noqa: ANN001, ANN202
        ul.su.migrate(s, p.mapping)
        raise RuntimeError("disk full")

    monkeypatch.setattr(units, "effect", boom)
    with pytest.raises(RuntimeError):
        units.apply(p, 0, OFFICER_ID, None)
    with Session(app.repo.engine) as s:
        assert s.exec(select(Profile.unit_id)).one() == "vks-go-dau"
    assert EditStore(app.repo.engine).entry_version(UNITS_KEY) == 0


async def test_the_units_list_on_postgresql_reaches_the_other_instance(pg_url: str, tmp_path: Path) -> None:
    one = build_app(load_settings(data_dir=tmp_path / "a", content_dir=REAL_CONTENT, database_url=pg_url))
    other = build_app(load_settings(data_dir=tmp_path / "b", content_dir=REAL_CONTENT, database_url=pg_url),
                      migrate=False)
    seed(one)
    _staff_in(one, "vks-go-dau")
    async with serve(one) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        status, _, page = await _post(http, srv.url + f"{LIST}/ap-dung", cookie, _merge_form(csrf))
        assert status == 303, page[:2000]
    with Session(other.repo.engine) as s:
        assert s.exec(select(Profile.unit_id)).one() == "vks-kv-1"
    other.knowledge.refresh()  # what its poll does every CONTENT_POLL_SECONDS
    assert other.knowledge.kb.unit_name("vks-kv-1") == "VKSND khu vực 1 - Tây Ninh"
    [shown] = Talk(other)("hồ sơ của tôi", user="u-an")
    assert "VKSND khu vực 1 - Tây Ninh" in shown.text


def test_the_units_list_is_exported_and_kept_by_backup_and_restore(app: App, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture) -> None:
    from bot import cli
    from bot.backup import backup, restore
    from content.loader import load
    from handlers import unit_list as ul
    from storage import db

    kb = app.knowledge.kb
    p = ul.plan(kb, [ul.UnitEdit("vks-go-dau", "", "", "vks-kv-1")],
                [ul.NewUnit("vks-kv-1", "VKSND khu vực 1 - Tây Ninh", "vks-tinh")], None)
    assert not p.problems
    UnitList(app.knowledge, app.repo.engine).apply(p, 0, OFFICER_ID, None)
    assert app.knowledge.kb.units_note is None and app.knowledge.kb.unit_name("vks-kv-1").startswith("VKSND khu")
    monkeypatch.setattr(cli, "load_settings", lambda: app.settings)
    out = tmp_path / "exported"
    assert cli.main(["content", "export", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "0 entries and the units list edited by the Office" in said and "units.yaml" in said
    assert [u.id for u in load(out).units] == [u.id for u in app.knowledge.kb.units]
    archive = tmp_path / "b.tar.gz"
    backup(app.settings, archive)
    other = load_settings(data_dir=tmp_path / "restored", content_dir=REAL_CONTENT)
    restore(other, archive)
    assert EditStore(db.make_engine(other.db_url)).overlay() == EditStore(app.repo.engine).overlay()
    assert build_app(other).knowledge.kb.unit_name("vks-kv-1") == "VKSND khu vực 1 - Tây Ninh"
