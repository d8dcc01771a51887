"""The officers' console over HTTP: who gets in (every route refused without a session and to
a non-officer), the one-time sign-in link, sessions' expiry, sign-out, CSRF, the removed
officer, the security headers, and /dangnhap in chat."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from aiohttp import ClientSession
from sqlmodel import Session, select

from bot import cli
from bot.app import App
from handlers.console_login import NOT_OFFICER
from storage import web_sessions as ws
from storage.models import utcnow
from tests.web_console import COOKIE, OFFICER, OFFICER_ID, cookie_header, seed, serve


def guarded_gets(code: str, photo: int, deadline: int = 1) -> list[str]:
    return ["/van-phong/", "/van-phong/bao-cao", "/van-phong/bao-cao?trang-thai=pending&tim=binh&tieu-chi=2.1",
            f"/van-phong/bao-cao/{code}", f"/van-phong/bao-cao/{code}/tep/{photo}", "/van-phong/hoi-van-phong",
            "/van-phong/xuat", "/van-phong/xuat?de-xuat=bk-ttg", "/van-phong/xuat/csv", "/van-phong/xuat/xlsx",
            "/van-phong/lich-nhac-han", "/van-phong/lich-nhac-han?doi-tuong=unit:van-phong",
            f"/van-phong/lich-nhac-han/{deadline}"]


GUARDED_POSTS = ["/van-phong/dang-xuat"]


def sessions(app: App, officer: str = OFFICER_ID) -> list[ws.ConsoleSession]:
    with Session(app.repo.engine) as s:
        return list(s.exec(select(ws.ConsoleSession).where(ws.ConsoleSession.officer == officer)))


def audit(app: App) -> list[tuple[str, str]]:
    with Session(app.repo.engine) as s:
        return [(a.officer, a.action) for a in s.exec(select(ws.ConsoleAudit).order_by(ws.ConsoleAudit.id))]


async def test_every_route_refuses_a_request_without_a_session(app: App) -> None:
    seeded = seed(app)
    async with serve(app) as srv, ClientSession() as http:
        for path in guarded_gets(seeded.report_code, seeded.photo_id, seeded.deadline_id):
            for headers in ({}, cookie_header("made-up-token"), cookie_header("x" * 500)):
                async with http.get(srv.url + path, headers=headers, allow_redirects=False) as r:
                    assert r.status == 401, path
                    body = await r.text()
                    assert "Đồng chí chưa đăng nhập" in body and "/dangnhap" in body
                    assert "Trần Thị Bình" not in body
        for path in GUARDED_POSTS:
            async with http.post(srv.url + path, data={"csrf": "x"}, allow_redirects=False) as r:
                assert r.status == 401, path


async def test_every_route_refuses_a_session_of_someone_who_is_not_an_officer(app: App) -> None:
    seeded = seed(app)

    def staff_session() -> tuple[str, str]:
        with Session(app.repo.engine) as s:
            cookie, row = ws.open_session(s, "zalo:u-an")  # staff, not in ADMIN_IDS
            s.commit()
            return cookie, row.csrf

    async with serve(app) as srv, ClientSession() as http:
        for path in guarded_gets(seeded.report_code, seeded.photo_id, seeded.deadline_id):
            cookie, _ = staff_session()
            async with http.get(srv.url + path, headers=cookie_header(cookie), allow_redirects=False) as r:
                assert r.status == 403, path
                body = await r.text()
                assert "Không có quyền truy cập" in body and "Trần Thị Bình" not in body
            async with http.get(srv.url + path, headers=cookie_header(cookie), allow_redirects=False) as r:
                assert r.status == 401, path  # the refusal ended the session
        for path in GUARDED_POSTS:
            cookie, csrf = staff_session()
            async with http.post(srv.url + path, data={"csrf": csrf}, headers=cookie_header(cookie),
                                 allow_redirects=False) as r:
                assert r.status == 403, path
    assert audit(app) == []


async def test_a_link_for_someone_who_is_not_an_officer_opens_no_session(app: App) -> None:
    async with serve(app) as srv, ClientSession() as http:
        link = srv.login_link("zalo:u-an")
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 403 and COOKIE not in r.cookies
    assert sessions(app, "zalo:u-an") == []


async def test_sign_in_link_is_shown_by_get_and_spent_once_by_post(app: App) -> None:
    seed(app)
    async with serve(app) as srv, ClientSession() as http:
        link = srv.login_link()
        for _ in range(2):  # a messenger's preview fetch, then the officer's tap: nothing spent
            async with http.get(link, allow_redirects=False) as r:
                assert r.status == 200
                body = await r.text()
                assert 'method="post"' in body and "Đăng nhập" in body and "10 phút" in body
                assert r.headers["Referrer-Policy"] == "no-referrer"
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/van-phong/"
            morsel = r.cookies[COOKIE]
            cookie = morsel.value
            assert morsel["httponly"] and morsel["samesite"] == "Strict" and morsel["path"] == "/van-phong/"
            assert not morsel["secure"]  # plain http on this machine; https behind PUBLIC_URL (below)
        # The same link a second time: refused, and no second session.
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 404 and COOKIE not in r.cookies
            assert "không còn hiệu lực" in await r.text()
        async with http.get(link, allow_redirects=False) as r:
            assert r.status == 404
        async with http.get(srv.url + "/van-phong/", headers=cookie_header(cookie)) as r:
            assert r.status == 200 and "Tổng quan" in await r.text()
    assert len(sessions(app)) == 1
    assert audit(app) == [(OFFICER_ID, "sign_in")]


async def test_tokens_are_128_bits_and_stored_hashed(app: App) -> None:
    with Session(app.repo.engine) as s:
        token = ws.issue_login(s, OFFICER_ID)
        cookie, _row = ws.open_session(s, OFFICER_ID)
        s.commit()
        stored = [r.token_hash for r in s.exec(select(ws.ConsoleLogin))] + [
            r.token_hash for r in s.exec(select(ws.ConsoleSession))]
    assert len(token) == len(cookie) == 22  # base64 of 16 random bytes
    assert token not in stored and cookie not in stored
    assert ws.digest(token) in stored and ws.digest(cookie) in stored


async def test_an_expired_link_is_refused(app: App) -> None:
    async with serve(app) as srv, ClientSession() as http:
        with Session(app.repo.engine) as s:
            token = ws.issue_login(s, OFFICER_ID, now=utcnow() - ws.LOGIN_TTL - timedelta(seconds=1))
            s.commit()
        link = f"{srv.url}/van-phong/dang-nhap/{token}"
        async with http.get(link) as r:
            assert r.status == 404
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 404 and COOKIE not in r.cookies
        async with http.post(f"{srv.url}/van-phong/dang-nhap/not-a-token", allow_redirects=False) as r:
            assert r.status == 404


@pytest.mark.parametrize("idle, age, works", [
    (timedelta(hours=7, minutes=59), timedelta(hours=8), True),
    (timedelta(hours=8, seconds=1), timedelta(hours=9), False),  # 8 hours idle
    (timedelta(minutes=5), timedelta(days=7, seconds=1), False),  # 7 days at most, however active
])
async def test_sessions_end_after_8_hours_idle_or_7_days(app: App, idle: timedelta, age: timedelta,
                                                         works: bool) -> None:
    now = utcnow()
    with Session(app.repo.engine) as s:
        cookie, row = ws.open_session(s, OFFICER_ID, now=now - age)
        row.last_seen_at = now - idle
        s.add(row)
        s.commit()
    async with serve(app) as srv, ClientSession() as http:
        async with http.get(srv.url + "/van-phong/", headers=cookie_header(cookie)) as r:
            assert r.status == (200 if works else 401)
        if not works:
            assert sessions(app)[0].ended_at is not None


async def test_sign_out_needs_the_csrf_token_and_ends_the_session(app: App) -> None:
    async with serve(app) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        out = srv.url + "/van-phong/dang-xuat"
        for data, headers in (({}, {}), ({"csrf": "wrong"}, {}), ({}, {"X-CSRF-Token": "wrong"}),
                              ({"csrf": csrf[:-1]}, {})):
            async with http.post(out, data=data, headers={**cookie_header(cookie), **headers},
                                 allow_redirects=False) as r:
                assert r.status == 403
                assert "Yêu cầu không hợp lệ" in await r.text()
        async with http.get(srv.url + "/van-phong/", headers=cookie_header(cookie)) as r:
            assert r.status == 200  # the refused requests did nothing
        async with http.post(out, data={"csrf": csrf}, headers=cookie_header(cookie), allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/van-phong/dang-nhap"
        async with http.get(srv.url + "/van-phong/", headers=cookie_header(cookie)) as r:
            assert r.status == 401
        # The token in a header (htmx's requests) works as the form field does.
        cookie, csrf = await srv.sign_in(http)
        async with http.post(out, headers={**cookie_header(cookie), "X-CSRF-Token": csrf},
                             allow_redirects=False) as r:
            assert r.status == 303
    assert audit(app) == [(OFFICER_ID, "sign_in"), (OFFICER_ID, "sign_out"), (OFFICER_ID, "sign_in"),
                          (OFFICER_ID, "sign_out")]


async def test_an_officer_removed_from_the_list_loses_every_session_at_the_next_request(app: App) -> None:
    async with serve(app) as srv, ClientSession() as http:
        phone, _ = await srv.sign_in(http)
        desk, _ = await srv.sign_in(http)
        srv.officers.discard(OFFICER)
        async with http.get(srv.url + "/van-phong/bao-cao", headers=cookie_header(phone)) as r:
            assert r.status == 403
        assert all(row.ended_at is not None for row in sessions(app))  # the desk's too
        srv.officers.add(OFFICER)  # back on the list: the old sessions stay ended
        for cookie in (phone, desk):
            async with http.get(srv.url + "/van-phong/", headers=cookie_header(cookie)) as r:
                assert r.status == 401


async def test_pages_carry_a_strict_policy_and_no_inline_script_or_style(app: App) -> None:
    seeded = seed(app)
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        for path in guarded_gets(seeded.report_code, seeded.photo_id, seeded.deadline_id) + ["/van-phong/dang-nhap"]:
            async with http.get(srv.url + path, headers=cookie_header(cookie)) as r:
                assert r.status == 200, path
                csp = r.headers["Content-Security-Policy"]
                assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
                assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
                if r.content_type == "text/html":
                    body = await r.text()
                    assert not re.search(r"<script(?![^>]*\bsrc=)", body), path
                    assert not re.search(r"\sstyle=|<style|\son[a-z]+=", body), path
                    assert "http://" not in body.replace(srv.url, "") and "https://" not in body  # no CDN
        # The story's markup is shown as text, never run.
        async with http.get(f"{srv.url}/van-phong/bao-cao/{seeded.report_code}", headers=cookie_header(cookie)) as r:
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in await r.text()
        for name in ("htmx.min.js", "console.js", "console.css", "htmx.LICENSE.txt"):
            async with http.get(f"{srv.url}/van-phong/static/{name}") as r:  # no session needed
                assert r.status == 200, name


async def test_the_secure_flag_is_set_behind_https(app: App) -> None:
    from aiohttp import web

    from bot import webserver
    from bot.web.app import add_console, make_console

    web_app = webserver.make_app()
    add_console(web_app, make_console(app.repo.engine, app.files, app.knowledge, lambda c, u: (c, u) == OFFICER,
                                      app.settings.tz, public_url="https://bot.example.gov.vn"))
    runner, site = await webserver.start(web_app, "127.0.0.1", 0)
    try:
        with Session(app.repo.engine) as s:
            token = ws.issue_login(s, OFFICER_ID)
            s.commit()
        async with ClientSession() as http, http.post(
                f"http://127.0.0.1:{site._bound_port}/van-phong/dang-nhap/{token}", allow_redirects=False) as r:
            assert r.status == 303 and r.cookies[COOKIE]["secure"]
    finally:
        await runner.cleanup()
    assert isinstance(web_app, web.Application)


async def test_files_are_served_to_an_officer_only_and_only_a_reports_own(app: App) -> None:
    seeded = seed(app)
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        base = f"{srv.url}/van-phong/bao-cao/{seeded.report_code}/tep"
        async with http.get(f"{base}/{seeded.photo_id}", headers=cookie_header(cookie)) as r:
            assert r.status == 200 and r.content_type == "image/png"
            assert (await r.read()).startswith(b"\x89PNG")
        for other in (f"{base}/{seeded.other_file_id}", f"{base}/abc",
                      f"{srv.url}/van-phong/bao-cao/GT-1999-0001/tep/{seeded.photo_id}"):
            async with http.get(other, headers=cookie_header(cookie)) as r:
                assert r.status == 404, other


async def test_pages_show_the_offices_work(app: App) -> None:
    seeded = seed(app)
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        h = cookie_header(cookie)
        async with http.get(srv.url + "/van-phong/", headers=h) as r:
            body = await r.text()
        assert re.search(r'id="so-cho-duyet">1<', body) and re.search(r'id="so-cau-hoi-mo">2<', body)
        assert "Báo cáo thi đua quý IV" in body and "0/0" in body
        assert "<svg" in body and body.count("<rect") >= 4 and "đăng ký kết hôn" in body
        assert "Trả lời được: 2" in body and "Không trả lời: 2" in body and "Hỏi lại cho rõ: 1" in body
        async with http.get(srv.url + "/van-phong/bao-cao?trang-thai=pending&don-vi=van-phong", headers=h) as r:
            assert seeded.report_code in await r.text()
        for query in ("trang-thai=approved", "don-vi=vks-tinh", "tu=2099-01-01", "den=2000-01-01"):
            async with http.get(srv.url + "/van-phong/bao-cao?" + query, headers=h) as r:
                assert r.status == 200 and seeded.report_code not in await r.text(), query
        async with http.get(srv.url + "/van-phong/bao-cao?tu=not-a-date&trang-thai=<b>", headers=h) as r:
            assert r.status == 200 and seeded.report_code in await r.text()  # nonsense filters are ignored
        async with http.get(f"{srv.url}/van-phong/bao-cao/{seeded.report_code}", headers=h) as r:
            body = await r.text()
        assert "Trần Thị Bình" in body and "trả lại ví" in body and "Chờ duyệt" in body
        assert f'<img src="/van-phong/bao-cao/{seeded.report_code}/tep/{seeded.photo_id}"' in body
        async with http.get(srv.url + "/van-phong/bao-cao/GT-2026-9999", headers=h) as r:
            assert r.status == 404
        async with http.get(srv.url + "/van-phong/hoi-van-phong", headers=h) as r:
            body = await r.text()
        # Open questions oldest first.
        assert body.index("Bằng khen Thủ tướng") < body.index("Tập thể lao động xuất sắc")


async def test_van_phong_without_the_slash_leads_to_the_console(app: App) -> None:
    async with serve(app) as srv, ClientSession() as http:
        async with http.get(srv.url + "/van-phong", allow_redirects=False) as r:
            assert r.status == 302 and r.headers["Location"] == "/van-phong/"


def test_dangnhap_in_chat_gives_an_officer_a_link_and_staff_a_polite_no(app: App, talk) -> None:  # noqa: ANN001
    app.settings.admin_ids = frozenset({("zalo", "officer-1")})
    [reply] = talk("/dangnhap", user="officer-1")
    url = re.search(r"http://localhost:8080/van-phong/dang-nhap/([A-Za-z0-9_-]{22})", reply.text)
    assert url, reply.text
    assert "một lần" in reply.text and "10 phút" in reply.text
    with Session(app.repo.engine) as s:
        assert ws.peek_login(s, url.group(1)).officer == "zalo:officer-1"  # type: ignore[union-attr]
    [reply] = talk("/dangnhap", user="staff-1")
    assert reply.text == NOT_OFFICER
    with Session(app.repo.engine) as s:
        assert len(list(s.exec(select(ws.ConsoleLogin)))) == 1


def test_web_login_prints_a_link_for_an_officer_only(monkeypatch: pytest.MonkeyPatch, tmp_path,  # noqa: ANN001
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADMIN_IDS", "telegram:42")
    monkeypatch.setenv("PUBLIC_URL", "https://bot.example.gov.vn")
    assert cli.main(["web", "login", "--officer", "telegram:42"]) == 0
    out = capsys.readouterr().out.strip()
    assert re.fullmatch(r"https://bot\.example\.gov\.vn/van-phong/dang-nhap/[A-Za-z0-9_-]{22}", out), out
    assert cli.main(["web", "login", "--officer", "telegram:43"]) == 2
    assert "not an officer" in capsys.readouterr().err


async def test_python_m_bot_web_and_the_webhook_server_serve_the_console(app: App) -> None:
    import socket

    from bot.runner import make_web_app
    from bot.web.app import console_for
    from bot.web.cli import serve_console

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_console(app, "127.0.0.1", port, stop))
    try:
        async with ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                except OSError:
                    await asyncio.sleep(0.05)
            async with http.get(f"http://127.0.0.1:{port}/", allow_redirects=False) as r:
                assert r.status == 302 and r.headers["Location"] == "/van-phong/"
            async with http.get(f"http://127.0.0.1:{port}/van-phong/") as r:
                assert r.status == 401 and "/dangnhap" in await r.text()
    finally:
        stop.set()
        await serving
    # `run --webhook`: the same console beside the webhooks, on one port.
    web_app = make_web_app({}, app.files, console_for(app))
    assert any(getattr(r, "canonical", "") == "/van-phong" for r in web_app.router.resources())


async def test_the_console_reads_and_signs_in_on_postgresql(pg_url: str, tmp_path) -> None:  # noqa: ANN001
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    app = build_app(load_settings(data_dir=tmp_path / "pg", content_dir=REAL_CONTENT, database_url=pg_url))
    seeded = seed(app)
    async with serve(app) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        link = srv.login_link()
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 303
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 404  # once, on PostgreSQL too
        for path in guarded_gets(seeded.report_code, seeded.photo_id, seeded.deadline_id):
            async with http.get(srv.url + path, headers=cookie_header(cookie)) as r:
                assert r.status == 200, path
        async with http.get(srv.url + "/van-phong/", headers=cookie_header(cookie)) as r:
            body = await r.text()
        assert "Không trả lời: 2" in body and "đăng ký kết hôn" in body
        async with http.post(srv.url + "/van-phong/dang-xuat", data={"csrf": csrf}, headers=cookie_header(cookie),
                             allow_redirects=False) as r:
            assert r.status == 303
    app.repo.engine.dispose()
