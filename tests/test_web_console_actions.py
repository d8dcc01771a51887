"""The console's actions over HTTP: deciding a report and answering an Office question call
the features' services (tests/test_reports.py and test_office.py hold chat's side). Each is
refused without a session, to a non-officer and without the CSRF token; done, it changes the
database, queues the staff member's notice in the outbox (the delivery worker sends it),
records the audit row and says so on the page; a second decision is told who acted first."""

from __future__ import annotations

import re

from aiohttp import ClientSession
from sqlmodel import Session, col, select

from bot.app import App, build_app
from handlers.reports import choices as rc
from handlers.reports.service import decide
from handlers.services import Actor, queue_notices
from storage import web_sessions as ws
from storage.models import OfficeQuestion, OutboxMessage, Report, utcnow
from storage.turns import TurnStore
from tests.web_console import OFFICER_ID, cookie_header, seed, serve


def _report(app: App, code: str) -> Report:
    with Session(app.repo.engine) as s:
        return s.exec(select(Report).where(Report.code == code)).one()


def _notices(app: App, chat_id: str = "u-an") -> list[OutboxMessage]:
    with Session(app.repo.engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.chat_id == chat_id, OutboxMessage.kind == "notice")
                           .order_by(col(OutboxMessage.id))))


def _audit(app: App) -> list[tuple[str, str, str | None]]:
    with Session(app.repo.engine) as s:
        return [(a.officer, a.action, a.target) for a in s.exec(select(ws.ConsoleAudit).order_by(ws.ConsoleAudit.id))
                if a.action != "sign_in"]


def _staff_session(app: App) -> tuple[str, str]:
    with Session(app.repo.engine) as s:
        cookie, row = ws.open_session(s, "zalo:u-an")
        s.commit()
        return cookie, row.csrf


FLASHED: dict[str, str] = {}  # the message cookie the last action left (aiohttp keeps no cookie of an IP host)


async def _post(http: ClientSession, url: str, cookie: str | None, data: dict) -> tuple[int, str, str]:
    headers = cookie_header(cookie) if cookie else {}
    async with http.post(url, data=data, headers=headers, allow_redirects=False) as r:
        if "vp_tb" in r.cookies:
            FLASHED["vp_tb"] = r.cookies["vp_tb"].value
        return r.status, r.headers.get("Location", ""), await r.text()


async def _page(http: ClientSession, url: str, cookie: str) -> str:
    """The page, with the message the last action left, which it shows once."""
    headers = cookie_header(cookie)
    if FLASHED:
        headers["Cookie"] += "; vp_tb=" + FLASHED.pop("vp_tb")
    async with http.get(url, headers=headers) as r:
        assert r.status == 200
        if "vp_tb" in r.cookies:
            assert r.cookies["vp_tb"].value == ""  # shown: forgotten
        return await r.text()


async def test_approving_a_report_in_the_console_tells_the_submitter_through_the_outbox(app: App) -> None:
    seeded = seed(app)
    code = seeded.report_code
    async with serve(app) as srv, ClientSession() as http:
        url = f"{srv.url}/van-phong/bao-cao/{code}/quyet-dinh"
        approve = {"decision": "approve", "award": "bk-vkstc"}
        # Refused: no session, a staff member's session, an officer without the CSRF token.
        assert (await _post(http, url, None, {**approve, "csrf": "x"}))[0] == 401
        staff, staff_csrf = _staff_session(app)
        assert (await _post(http, url, staff, {**approve, "csrf": staff_csrf}))[0] == 403
        cookie, csrf = await srv.sign_in(http)
        assert (await _post(http, url, cookie, approve))[0] == 403
        assert (await _post(http, url, cookie, {**approve, "csrf": "wrong"}))[0] == 403
        assert _report(app, code).status == "pending" and _notices(app) == [] and _audit(app) == []

        page = await _page(http, f"{srv.url}/van-phong/bao-cao/{code}", cookie)
        assert 'id="duyet"' in page and 'value="bk-vkstc"' in page

        status, location, _ = await _post(http, url, cookie, {**approve, "csrf": csrf})
        assert status == 303 and location == f"/van-phong/bao-cao/{code}"
        r = _report(app, code)
        assert (r.status, r.proposed_award, r.reviewed_by) == ("approved", "bk-vkstc", OFFICER_ID)
        [notice] = _notices(app)
        text = notice.payload["reply"]["text"]
        assert notice.status == "pending" and notice.channel == "zalo"
        assert code in text and "Bằng khen của Viện trưởng VKSND tối cao" in text, text
        assert _audit(app) == [(OFFICER_ID, "report_approve", code)]
        # The page it returns to says what happened, once; the forms are gone.
        page = await _page(http, srv.url + location, cookie)
        assert re.search(rf"Đã duyệt báo cáo {code}, đề xuất Bằng khen", page), page
        assert 'id="duyet"' not in page
        assert "Đã duyệt báo cáo" not in await _page(http, srv.url + location, cookie)

        # A second officer's decision (a stale page) is told who acted first, and nothing is sent.
        status, location, _ = await _post(http, url, cookie, {"decision": "reject", "note": "Chưa đủ minh chứng",
                                                             "csrf": csrf})
        assert status == 303
        page = await _page(http, srv.url + location, cookie)
        assert f"Báo cáo {code} đã được" in page and "thao tác này không thực hiện nữa" in page, page
        assert _report(app, code).status == "approved" and len(_notices(app)) == 1 and len(_audit(app)) == 1


async def test_asking_for_more_and_a_too_short_reason_in_the_console(app: App) -> None:
    seeded = seed(app)
    code = seeded.report_code
    async with serve(app) as srv, ClientSession() as http:
        cookie, csrf = await srv.sign_in(http)
        url = f"{srv.url}/van-phong/bao-cao/{code}/quyet-dinh"
        status, location, _ = await _post(http, url, cookie, {"decision": "reject", "note": "ít", "csrf": csrf})
        assert status == 303
        assert "ngắn quá" in await _page(http, srv.url + location, cookie)
        assert _report(app, code).status == "pending" and _notices(app) == []
        assert (await _post(http, url, cookie, {"decision": "delete", "csrf": csrf}))[0] == 400

        await _post(http, url, cookie, {"decision": "more", "note": "Ảnh giấy xác nhận của người dân", "csrf": csrf})
        r = _report(app, code)
        assert (r.status, r.review_note) == ("needs_info", "Ảnh giấy xác nhận của người dân")
        [notice] = _notices(app)
        assert "Ảnh giấy xác nhận của người dân" in notice.payload["reply"]["text"]
        # The submitter's "Bổ sung" choice is on the notice, as in chat, and their last list (their "1").
        more = {"id": rc.ADD_MORE.encode(r.id), "label": "Bổ sung"}  # type: ignore[arg-type]
        assert more in notice.payload["reply"]["choices"]
        with Session(app.repo.engine) as s:
            store = TurnStore(s)
            state, _ = store.load_conversation(store.user("zalo", "u-an").id)  # type: ignore[arg-type]
            assert more in state.choices
        assert _audit(app) == [(OFFICER_ID, "report_more", code)]


async def test_answering_any_open_office_question_in_the_console(app: App) -> None:
    seeded = seed(app)
    older, newer = seeded.question_ids
    async with serve(app) as srv, ClientSession() as http:
        url = f"{srv.url}/van-phong/hoi-van-phong/{older}/tra-loi"
        answer = {"answer": "Trước ngày 15/12, nộp 02 bộ về Văn phòng."}
        assert (await _post(http, url, None, {**answer, "csrf": "x"}))[0] == 401
        staff, staff_csrf = _staff_session(app)
        assert (await _post(http, url, staff, {**answer, "csrf": staff_csrf}))[0] == 403
        cookie, csrf = await srv.sign_in(http)
        assert (await _post(http, url, cookie, answer))[0] == 403
        assert _notices(app) == []

        page = await _page(http, f"{srv.url}/van-phong/hoi-van-phong", cookie)
        assert f'id="gui-{older}"' in page and f'id="gui-{newer}"' in page
        status, location, _ = await _post(http, url, cookie, {**answer, "csrf": csrf})  # the older one
        assert status == 303 and location == "/van-phong/hoi-van-phong"
        with Session(app.repo.engine) as s:
            q = s.get(OfficeQuestion, older)
            assert (q.status, q.answered_by, q.answer) == ("answered", OFFICER_ID, answer["answer"])  # type: ignore[union-attr]
            assert s.get(OfficeQuestion, newer).status == "open"  # type: ignore[union-attr]
        [notice] = _notices(app)
        text = notice.payload["reply"]["text"]
        assert "Hồ sơ đề nghị Bằng khen Thủ tướng nộp trước ngày nào?" in text and answer["answer"] in text, text
        assert notice.payload["on_blocked"]["channel"] == "telegram"  # the officer hears if the asker blocked the bot
        assert _audit(app) == [(OFFICER_ID, "office_answer", str(older))]
        page = await _page(http, srv.url + location, cookie)
        assert f"Đã gửi trả lời câu hỏi số {older} tới Nguyễn Văn An." in page
        assert f'id="gui-{older}"' not in page and f'id="gui-{newer}"' in page

        status, location, _ = await _post(http, url, cookie, {"answer": "Trả lời thứ hai", "csrf": csrf})
        page = await _page(http, srv.url + location.split("#")[0], cookie)
        assert f"Câu hỏi số {older} đã được" in page and "không được gửi" in page, page
        assert len(_notices(app)) == 1
        status, _, _ = await _post(http, f"{srv.url}/van-phong/hoi-van-phong/99999/tra-loi", cookie,
                                   {**answer, "csrf": csrf})
        assert status == 303


def test_two_decisions_outside_a_turn_end_as_two_in_chat_do(app: App) -> None:
    """The service itself: the first decision counts and queues one notice; the second,
    in its own transaction, is told who decided, and queues nothing."""
    seeded = seed(app)
    code = seeded.report_code
    rid = _report(app, code).id
    form = app.knowledge.kb.report_form
    first, second = Actor("telegram", "9001", "Lê Thị Hoa"), Actor("zalo", "officer-2", "Trần Văn Tư")
    with Session(app.repo.engine) as s:
        store = TurnStore(s)
        out = decide(store, first, rid, "approve", award="none", now=utcnow(), form=form, tz=app.settings.tz)  # type: ignore[arg-type]
        assert out.done and len(queue_notices(store, out.notices)) == 1
        s.commit()
    with Session(app.repo.engine) as s:
        store = TurnStore(s)
        out = decide(store, second, rid, "reject", note="Không đủ căn cứ", now=utcnow(), form=form,  # type: ignore[arg-type]
                     tz=app.settings.tz)
        assert not out.done and out.already and out.notices == []
        assert "Lê Thị Hoa" in out.text and "(đã duyệt)" in out.text, out.text
    [notice] = _notices(app)
    assert "Lê Thị Hoa" in notice.payload["reply"]["text"]


async def test_an_officer_in_chat_and_one_in_the_browser_at_once_on_postgresql(pg_url: str, tmp_path) -> None:  # noqa: ANN001
    """On PostgreSQL the browser's decision waits for the other officer's open transaction
    (its conditional update), then is told who decided first; one notice is queued."""
    import asyncio

    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    app = build_app(load_settings(data_dir=tmp_path / "pg", content_dir=REAL_CONTENT, database_url=pg_url))
    seeded = seed(app)
    code = seeded.report_code
    rid = _report(app, code).id
    form = app.knowledge.kb.report_form
    try:
        async with serve(app) as srv, ClientSession() as http:
            cookie, csrf = await srv.sign_in(http)
            with Session(app.repo.engine) as s:  # the officer in chat, mid-turn
                store = TurnStore(s)
                out = decide(store, Actor("zalo", "officer-2", "Trần Văn Tư"), rid, "more",  # type: ignore[arg-type]
                             note="Ảnh giấy xác nhận", now=utcnow(), form=form, tz=app.settings.tz)  # type: ignore[arg-type]
                assert out.done
                queue_notices(store, out.notices)
                browser = asyncio.create_task(_post(http, f"{srv.url}/van-phong/bao-cao/{code}/quyet-dinh", cookie,
                                                    {"decision": "approve", "award": "", "csrf": csrf}))
                await asyncio.sleep(0.5)
                assert not browser.done()  # waiting for the row
                s.commit()
            status, location, _ = await asyncio.wait_for(browser, 10)
            assert status == 303
            page = await _page(http, srv.url + location, cookie)
            assert "đã được Trần Văn Tư xử lý" in page and "(cần bổ sung)" in page.lower(), page
        assert _report(app, code).status == "needs_info" and len(_notices(app)) == 1
        assert [a for a in _audit(app) if a[1].startswith("report_")] == []
    finally:
        app.repo.engine.dispose()


async def test_deadlines_are_added_moved_and_cancelled_in_the_console(app: App) -> None:
    from storage.models import Deadline

    seed(app)
    async with serve(app) as srv, ClientSession() as http:
        base = f"{srv.url}/van-phong/lich-nhac-han"
        new = {"title": "Nộp hồ sơ khen thưởng năm", "due": "20/12/2099 17:00", "audience": "unit:van-phong",
               "offsets": "5, 1", "note": ""}
        assert (await _post(http, base + "/moi", None, {**new, "csrf": "x"}))[0] == 401
        staff, staff_csrf = _staff_session(app)
        assert (await _post(http, base + "/moi", staff, {**new, "csrf": staff_csrf}))[0] == 403
        cookie, csrf = await srv.sign_in(http)
        assert (await _post(http, base + "/moi", cookie, new))[0] == 403

        status, location, _ = await _post(http, base + "/moi", cookie, {**new, "due": "hôm kia", "csrf": csrf})
        assert status == 303 and "Chưa đọc được ngày giờ" in await _page(http, srv.url + location.split("#")[0],
                                                                          cookie)
        status, location, _ = await _post(http, base + "/moi", cookie, {**new, "csrf": csrf})
        with Session(app.repo.engine) as s:
            d = s.exec(select(Deadline).where(Deadline.title == new["title"])).one()
        assert (d.audience, d.offsets, d.created_by) == ("unit:van-phong", [5, 1], OFFICER_ID)
        assert location == f"/van-phong/lich-nhac-han/{d.id}"
        page = await _page(http, srv.url + location, cookie)
        assert f"Đã tạo hạn số {d.id}: {new['title']}." in page and 'id="huy"' in page

        status, location, _ = await _post(http, f"{base}/{d.id}/doi-han", cookie, {"due": "21/12/2099 09:00",
                                                                                 "csrf": csrf})
        assert "Đã đổi hạn «Nộp hồ sơ khen thưởng năm» sang" in await _page(http, srv.url + location, cookie)
        with Session(app.repo.engine) as s:
            assert s.get(Deadline, d.id).due_at.day == 21  # type: ignore[union-attr]
        await _post(http, f"{base}/{d.id}/huy", cookie, {"csrf": csrf})
        page = await _page(http, srv.url + location, cookie)
        assert "Đã hủy hạn «Nộp hồ sơ khen thưởng năm»." in page and 'id="huy"' not in page
        await _post(http, f"{base}/{d.id}/huy", cookie, {"csrf": csrf})
        assert "Hạn này đã hết hoặc đã được hủy." in await _page(http, srv.url + location, cookie)
        with Session(app.repo.engine) as s:
            assert s.get(Deadline, d.id).status == "cancelled"  # type: ignore[union-attr]
    assert [a[1] for a in _audit(app)] == ["deadline_add", "deadline_move", "deadline_cancel"]


async def test_an_announcement_is_sent_to_the_count_the_officer_saw(app: App) -> None:
    from storage.announcements import ANNOUNCEMENT_KEY
    from tests.web_console import seed_more

    seed_more(app, seed(app))  # two staff with reminders on: Zalo (van-phong) and Telegram (vks-tinh)

    def announced() -> list[OutboxMessage]:
        with Session(app.repo.engine) as s:
            return list(s.exec(select(OutboxMessage).where(col(OutboxMessage.dedup_key).startswith(ANNOUNCEMENT_KEY))))

    async with serve(app) as srv, ClientSession() as http:
        url = f"{srv.url}/van-phong/lich-nhac-han/thong-bao"
        message = {"audience": "all", "text": "Chiều nay họp sơ kết thi đua lúc 14 giờ.", "count": "2"}
        assert (await _post(http, url, None, {**message, "csrf": "x"}))[0] == 401
        cookie, csrf = await srv.sign_in(http)
        assert (await _post(http, url, cookie, message))[0] == 403
        page = await _page(http, f"{srv.url}/van-phong/lich-nhac-han", cookie)
        assert 'name="count" value="2"' in page and "Gửi tới 2 người" in page

        status, location, _ = await _post(http, url, cookie, {**message, "count": "3", "csrf": csrf})
        page = await _page(http, srv.url + location.split("#")[0], cookie)
        assert "Số người nhận đã thay đổi: lúc đồng chí xem là 3, nay là 2." in page and announced() == []

        status, location, _ = await _post(http, url, cookie, {**message, "csrf": csrf})
        assert status == 303
        assert "Đã xếp 2 tin vào hàng gửi" in await _page(http, srv.url + location, cookie)
        rows = announced()
        assert sorted(r.chat_id for r in rows) == ["777", "u-an"]
        assert all("Chiều nay họp sơ kết" in r.payload["reply"]["text"] for r in rows)
    assert [a[1] for a in _audit(app)] == ["announce"]


async def test_every_action_is_refused_without_a_session_to_staff_and_without_the_csrf_token(app: App) -> None:
    seeded = seed(app)
    paths = [f"/van-phong/bao-cao/{seeded.report_code}/quyet-dinh",
             f"/van-phong/hoi-van-phong/{seeded.question_ids[0]}/tra-loi", "/van-phong/lich-nhac-han/moi",
             f"/van-phong/lich-nhac-han/{seeded.deadline_id}/doi-han",
             f"/van-phong/lich-nhac-han/{seeded.deadline_id}/huy", "/van-phong/lich-nhac-han/thong-bao"]
    data = {"decision": "approve", "answer": "Được", "title": "Hạn thử nghiệm", "due": "01/01/2099 08:00",
            "audience": "all", "text": "Thông báo thử", "count": "0"}
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        for path in paths:
            assert (await _post(http, srv.url + path, None, {**data, "csrf": "x"}))[0] == 401, path
            staff, staff_csrf = _staff_session(app)
            assert (await _post(http, srv.url + path, staff, {**data, "csrf": staff_csrf}))[0] == 403, path
            assert (await _post(http, srv.url + path, cookie, data))[0] == 403, path
    assert _report(app, seeded.report_code).status == "pending" and _notices(app) == [] and _audit(app) == []
