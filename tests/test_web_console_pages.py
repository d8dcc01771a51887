"""The console's Xuất, Báo cáo filters and Lịch nhắc hạn over HTTP: each export downloaded and
opened (csv, openpyxl, python-docx) with the rows the filters select; the search box; the
reminders page's counts, who was reminded, who said "Đã nộp", what failed; the reach of an
announcement. Who may open them is tested with every route in tests/test_web_access.py."""

from __future__ import annotations

import csv
import io
import re

from aiohttp import ClientSession
from sqlmodel import Session, select

from bot.app import App
from storage import web_sessions as ws
from tests.web_console import OFFICER_ID, cookie_header, seed, seed_more, serve


async def _get(http: ClientSession, url: str, cookie: str) -> tuple[int, dict, bytes]:
    async with http.get(url, headers=cookie_header(cookie), allow_redirects=False) as r:
        return r.status, dict(r.headers), await r.read()


def _csv_codes(data: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã báo cáo"
    return [row[0] for row in rows[1:]]


def _xlsx_cells(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    ws_ = load_workbook(io.BytesIO(data)).active
    return [[c for c in row] for row in ws_.iter_rows(values_only=True)]


async def test_every_export_downloads_with_the_lists_filters(app: App) -> None:
    seeded = seed(app)
    more = seed_more(app, seeded)
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        base = srv.url + "/van-phong/xuat"

        status, _, body = await _get(http, base, cookie)
        page = body.decode()
        assert status == 200
        assert re.search(r'id="tai-csv"[^>]*>Tải về \(3 báo cáo\)', page)
        assert re.search(r'id="tai-list"[^>]*>Tải về \(1 báo cáo\)', page)

        status, headers, data = await _get(http, f"{base}/csv", cookie)
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert "attachment" in headers["Content-Disposition"] and ".csv" in headers["Content-Disposition"]
        assert _csv_codes(data) == [seeded.report_code, more.approved_code, more.rejected_code]  # oldest first

        # The list's filters: the search folds accents and case, the status narrows.
        _, _, data = await _get(http, f"{base}/csv?tim=CUONG+vam+co", cookie)
        assert _csv_codes(data) == [more.approved_code]
        _, _, data = await _get(http, f"{base}/csv?trang-thai=rejected&don-vi=van-phong", cookie)
        assert _csv_codes(data) == [more.rejected_code]

        status, headers, data = await _get(http, f"{base}/xlsx?tieu-chi=2.1", cookie)
        assert status == 200 and "spreadsheetml" in headers["Content-Type"]
        cells = _xlsx_cells(data)
        codes = [row[0] for row in cells if row and isinstance(row[0], str) and row[0].startswith("GT-")]
        assert codes == [seeded.report_code, more.rejected_code]

        status, _, data = await _get(http, f"{base}/list", cookie)  # approved only, by award
        assert status == 200
        text = "\n".join(" ".join(str(c) for c in row if c is not None) for row in _xlsx_cells(data))
        assert "Phạm Đức Cường" in text and more.approved_code in text
        assert "Bằng khen của Viện trưởng VKSND tối cao" in text and "02 bộ" in text, text
        assert "Trần Thị Bình" not in text and "Đỗ Văn Dũng" not in text

        status, headers, data = await _get(http, f"{base}/docx?de-xuat=bk-vkstc", cookie)
        assert status == 200 and "wordprocessingml" in headers["Content-Type"]
        from docx import Document

        doc = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
        assert "Phạm Đức Cường" in doc and "Trần Thị Bình" not in doc

        # Nothing to export: a page that says so, not an empty file.
        for query in ("list?trang-thai=pending", "csv?tim=khong-co-ai", "docx?de-xuat=chua-de-xuat"):
            status, _, body = await _get(http, f"{base}/{query}", cookie)
            assert status == 404 and "Không có báo cáo nào để xuất" in body.decode(), query
            assert 'aria-current="page">Xuất</a>' in body.decode()  # with the menu, to choose again
        status, _, _ = await _get(http, f"{base}/pdf", cookie)
        assert status == 404

    with Session(app.repo.engine) as s:
        exported = [(a.officer, a.target, a.detail) for a in s.exec(select(ws.ConsoleAudit)
                                                                    .where(ws.ConsoleAudit.action == "export"))]
    assert (OFFICER_ID, "csv", {"count": 3}) in exported
    assert (OFFICER_ID, "csv", {"count": 1, "text": "CUONG vam co"}) in exported
    assert len(exported) == 6  # the refused ones are not recorded


async def test_the_reports_list_filters_by_criterion_award_and_search(app: App) -> None:
    seeded = seed(app)
    more = seed_more(app, seeded)
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        cases = {
            "tieu-chi=2.3": [more.approved_code],
            "tieu-chi=2.1": [seeded.report_code, more.rejected_code],
            "de-xuat=bk-vkstc": [more.approved_code],
            "de-xuat=chua-de-xuat": [seeded.report_code, more.rejected_code],
            "tim=binh": [seeded.report_code],  # "Bình", without accents
            "tim=HIẾN MÁU": [more.rejected_code],
            f"tim={more.approved_code}": [more.approved_code],
            "tim=Lê Thị Cúc&trang-thai=approved": [more.approved_code],
            "tieu-chi=9.9&de-xuat=nonsense": [seeded.report_code, more.approved_code, more.rejected_code],
        }
        every = {seeded.report_code, more.approved_code, more.rejected_code}
        for query, expected in cases.items():
            status, _, body = await _get(http, f"{srv.url}/van-phong/bao-cao?{query}", cookie)
            page = body.decode()
            assert status == 200, query
            shown = {code for code in every if f">{code}</a>" in page}
            assert shown == set(expected), (query, shown)
        # The list leads to Xuất with the same filters.
        _, _, body = await _get(http, f"{srv.url}/van-phong/bao-cao?tieu-chi=2.3&tim=vam", cookie)
        assert 'href="/van-phong/xuat?tieu-chi=2.3&amp;tim=vam"' in body.decode()


async def test_the_reminders_page_shows_who_was_reminded_acknowledged_and_failed(app: App) -> None:
    seeded = seed(app)
    more = seed_more(app, seeded)
    async with serve(app) as srv, ClientSession() as http:
        cookie, _ = await srv.sign_in(http)
        status, _, body = await _get(http, srv.url + "/van-phong/lich-nhac-han", cookie)
        page = body.decode()
        assert status == 200
        coming, past = page.split("Đã qua hoặc đã huỷ")[0], page.split("Đã qua hoặc đã huỷ")[1]
        assert "Báo cáo thi đua quý IV" in coming and "Nộp hồ sơ Chiến sĩ thi đua" not in coming
        assert "Nộp hồ sơ Chiến sĩ thi đua" in past and "Họp sơ kết (đã huỷ)" in past
        assert "Lãnh đạo đơn vị" in past and "đã huỷ</span>" in past
        assert "7 ngày trước" in coming and "Trong ngày" in coming
        assert re.search(r'data-label="Đã nộp">1/2<', coming)  # An of the two with reminders on
        assert re.search(r'data-label="Lỗi"><span class="bad">1<', coming)
        # The announcement's reach: everyone with reminders on, or one unit.
        assert re.search(r'id="so-nguoi".*?<strong class="num">2</strong> người \(Telegram 1, Zalo 1\)', page, re.S)
        _, _, body = await _get(http, srv.url + "/van-phong/lich-nhac-han?doi-tuong=unit:van-phong", cookie)
        assert re.search(r'<strong class="num">1</strong> người \(Telegram 0, Zalo 1\)', body.decode())
        _, _, body = await _get(http, srv.url + "/van-phong/lich-nhac-han?doi-tuong=unit_leaders", cookie)
        assert re.search(r'<strong class="num">1</strong> người \(Telegram 1, Zalo 0\)', body.decode())

        status, _, body = await _get(http, f"{srv.url}/van-phong/lich-nhac-han/{seeded.deadline_id}", cookie)
        page = body.decode()
        assert status == 200
        failed = page.split("Gửi không được")[1].split("Đã nộp (")[0]
        assert "Lê Thị Cúc (Telegram)" in failed and "bot was blocked" in failed
        acks = page.split("Đã nộp (1)")[1].split("Lời nhắc đã gửi")[0]
        assert "Nguyễn Văn An" in acks and "Văn phòng" in acks and "Lê Thị Cúc" not in acks
        sent = page.split("Lời nhắc đã gửi (2)")[1]
        assert "Nguyễn Văn An (Zalo)" in sent and "Đã gửi" in sent and "Gửi lỗi" in sent

        _, _, body = await _get(http, srv.url + "/van-phong/", cookie)  # Tổng quan leads to the deadline
        assert f'<a href="/van-phong/lich-nhac-han/{seeded.deadline_id}">Báo cáo thi đua quý IV</a>' in body.decode()

        status, _, body = await _get(http, f"{srv.url}/van-phong/lich-nhac-han/{more.past_deadline_id}", cookie)
        assert status == 200 and "Lời nhắc đã gửi (1)" in body.decode()
        for missing in ("999999", "abc", "1" * 30):
            status, _, _ = await _get(http, f"{srv.url}/van-phong/lich-nhac-han/{missing}", cookie)
            assert status == 404, missing



async def test_exports_filters_and_reminders_on_postgresql(postgres_url: str, tmp_path) -> None:  # noqa: ANN001
    """The three above on PostgreSQL, each in a schema of its own (skips without TEST_DATABASE_URL)."""
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT, pg_schema

    for i, check in enumerate((test_every_export_downloads_with_the_lists_filters,
                               test_the_reports_list_filters_by_criterion_award_and_search,
                               test_the_reminders_page_shows_who_was_reminded_acknowledged_and_failed)):
        with pg_schema(postgres_url) as url:
            app = build_app(load_settings(data_dir=tmp_path / f"pg{i}", content_dir=REAL_CONTENT, database_url=url))
            try:
                await check(app)
            finally:
                app.repo.engine.dispose()
