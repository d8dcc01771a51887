"""Shared by the console's tests: sample data (a report with a real photo, Office questions,
logged questions, a deadline), the console served on a free port, and signing in."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from aiohttp import ClientSession, web
from sqlmodel import Session

from bot import webserver
from bot.app import App
from bot.web.app import add_console, make_console
from storage import reports as rq
from storage import web_sessions as ws
from storage.models import Deadline, OfficeQuestion, QuestionLog, User, utcnow

OFFICER = ("telegram", "9001")
OFFICER_ID = "telegram:9001"
COOKIE = "vp_phien"


def png(width: int = 64, height: int = 40, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A real PNG (a coloured rectangle), made without an imaging library."""
    row = b"\x00" + bytes(rgb) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@dataclass
class Seeded:
    report_code: str
    photo_id: int
    other_file_id: int  # a stored file of no report: never served by the console
    question_ids: list[int] = field(default_factory=list)


def seed(app: App) -> Seeded:
    now = utcnow()
    with Session(app.repo.engine, expire_on_commit=False) as s:
        staff = User(channel="zalo", external_id="u-an", display_name="Nguyễn Văn An")
        s.add(staff)
        s.flush()
        photo = app.files.put(png(), mime_type="image/png", original_name="anh-hien-truong.png",
                              owner_user_id=staff.id, channel="zalo", session=s)
        other = app.files.put(png(8, 8, (0, 0, 255)), mime_type="image/png", original_name="khac.png",
                              owner_user_id=staff.id, channel="zalo", session=s)
        r = rq.submit(s, rq.NewReport(
            user_id=staff.id, channel="zalo", chat_id="u-an", submitter_name="Nguyễn Văn An",  # type: ignore[arg-type]
            submitter_unit_id="van-phong", subject_kind="colleague", subject_name="Trần Thị Bình",
            subject_unit_id="van-phong", criterion="2.1",
            story="Đồng chí Bình trả lại ví có 5 triệu đồng cho người dân đánh rơi trước cổng cơ quan.\n"
                  "<script>alert(1)</script> (chuỗi này phải hiện nguyên văn)",
            happened_on=date(2026, 11, 20), submit_key="seed-1"), [photo.id], "zalo:u-an", now=now,
            tz=app.settings.tz)
        questions = []
        for i, text in enumerate(["Hồ sơ đề nghị Bằng khen Thủ tướng nộp trước ngày nào?",
                                  "Tập thể lao động xuất sắc xét vào tháng mấy?"]):
            q = OfficeQuestion(user_id=staff.id, channel="zalo", chat_id="u-an",  # type: ignore[arg-type]
                               asker_name="Nguyễn Văn An", question=text, created_at=now - timedelta(hours=5 - i))
            s.add(q)
            s.flush()
            questions.append(q.id)
        s.add(OfficeQuestion(user_id=staff.id, channel="zalo", chat_id="u-an", asker_name="Nguyễn Văn An",  # type: ignore[arg-type]
                             question="Giấy khen của Viện trưởng cần mấy bộ hồ sơ?", status="answered",
                             answer="02 bộ, nộp về Văn phòng trước ngày 15/12.", answered_by=OFFICER_ID,
                             answerer_name="Lê Thị Hoa", created_at=now - timedelta(days=2),
                             answered_at=now - timedelta(days=1)))
        for days, outcome, text in [(0, "answer", "ho so hcld"), (0, "fallback", "đăng ký kết hôn"),
                                    (1, "fallback", "đăng ký kết hôn"), (2, "clarify", "khen thưởng"),
                                    (3, "answer", "bằng khen")]:
            s.add(QuestionLog(channel="zalo", text=text, normalized=text, outcome=outcome,
                              created_at=now - timedelta(days=days)))
        s.add(Deadline(key="test:bc-quy", title="Báo cáo thi đua quý IV", due_at=now + timedelta(days=5),
                       audience="all", created_by=OFFICER_ID))
        s.commit()
        return Seeded(r.code, photo.id, other.id, questions)  # type: ignore[arg-type]


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    officers: set[tuple[str, str]]
    app: App

    def login_link(self, officer: str = OFFICER_ID) -> str:
        with Session(self.app.repo.engine) as s:
            token = ws.issue_login(s, officer)
            s.commit()
        return f"{self.url}/van-phong/dang-nhap/{token}"

    async def sign_in(self, http: ClientSession, officer: str = OFFICER_ID) -> tuple[str, str]:
        """The session cookie and the CSRF token of a fresh sign-in."""
        link = self.login_link(officer)
        async with http.post(link, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
            cookie = r.cookies[COOKIE].value
        async with http.get(f"{self.url}/van-phong/", headers={"Cookie": f"{COOKIE}={cookie}"}) as r:
            assert r.status == 200
            csrf = re.search(r'name="csrf-token" content="([^"]+)"', await r.text()).group(1)  # type: ignore[union-attr]
        return cookie, csrf


@asynccontextmanager
async def serve(app: App, officers: set[tuple[str, str]] | None = None) -> AsyncIterator[Served]:
    officers = {OFFICER} if officers is None else officers
    web_app = webserver.make_app()
    console = make_console(app.repo.engine, app.files, app.knowledge, lambda c, u: (c, u) in officers,
                           app.settings.tz)
    add_console(web_app, console)
    runner, site = await webserver.start(web_app, "127.0.0.1", 0)
    try:
        yield Served(f"http://127.0.0.1:{site._bound_port}", officers, app)
    finally:
        await runner.cleanup()


def cookie_header(cookie: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={cookie}"}


__all__ = ["OFFICER", "OFFICER_ID", "Seeded", "Served", "cookie_header", "png", "seed", "serve", "web"]
