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
from sqlmodel import Session, select

from bot import webserver
from bot.app import App
from bot.officer_source import Officers
from bot.web.app import add_console, make_console
from storage import reports as rq
from storage import web_sessions as ws
from storage.models import Deadline, OfficeQuestion, QuestionLog, User, aware, utcnow

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
    deadline_id: int = 0


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
        deadline = Deadline(key="test:bc-quy", title="Báo cáo thi đua quý IV", due_at=now + timedelta(days=5),
                            audience="all", created_by=OFFICER_ID)
        s.add(deadline)
        s.commit()
        return Seeded(r.code, photo.id, other.id, questions, deadline.id)  # type: ignore[arg-type]


@dataclass
class More:
    approved_code: str  # approved, criterion 2.3, proposed for bk-vkstc, unit vks-tinh
    rejected_code: str
    past_deadline_id: int


def seed_more(app: App, seeded: Seeded) -> More:
    """After `seed`: an approved and a rejected report; two staff with reminders on (Zalo in
    van-phong, Telegram in vks-tinh); the coming deadline's reminders (one sent, one failed)
    and a "Đã nộp"; a past deadline for unit leaders and a cancelled one."""
    from storage.models import OutboxMessage, Profile, ReminderAck
    from storage.reminders import reminder_prefix

    now = utcnow()
    with Session(app.repo.engine, expire_on_commit=False) as s:
        an = s.exec(select(User).where(User.external_id == "u-an")).one()
        cuc = User(channel="telegram", external_id="777", display_name="Lê Thị Cúc")
        s.add(cuc)
        s.flush()
        s.add(Profile(user_id=an.id, full_name="Nguyễn Văn An", unit_id="van-phong", is_leader=False,  # type: ignore[arg-type]
                      reminders=True))
        s.add(Profile(user_id=cuc.id, full_name="Lê Thị Cúc", unit_id="vks-tinh", is_leader=True,  # type: ignore[arg-type]
                      reminders=True))
        codes = []
        for i, (subject, unit, criterion, story) in enumerate([
                ("Phạm Đức Cường", "vks-tinh", "2.3", "Đồng chí Cường cứu hai em nhỏ đuối nước ở sông Vàm Cỏ."),
                ("Đỗ Văn Dũng", "van-phong", "2.1", "Đồng chí Dũng hiến máu tình nguyện 20 lần.")]):
            r = rq.submit(s, rq.NewReport(
                user_id=cuc.id, channel="telegram", chat_id="777", submitter_name="Lê Thị Cúc",  # type: ignore[arg-type]
                submitter_unit_id="vks-tinh", subject_kind="colleague", subject_name=subject, subject_unit_id=unit,
                criterion=criterion, story=story, happened_on=date(2026, 10, 1 + i), submit_key=f"more-{i}"),
                [], "telegram:777", now=now, tz=app.settings.tz)
            codes.append(r.code)
            if i == 0:
                rq.decide(s, r.id, "approved", by=OFFICER_ID, name="Lê Thị Hoa", award="bk-vkstc")  # type: ignore[arg-type]
            else:
                rq.decide(s, r.id, "rejected", by=OFFICER_ID, name="Lê Thị Hoa", note="Chưa đủ minh chứng")  # type: ignore[arg-type]
        coming = s.get(Deadline, seeded.deadline_id)
        due = aware(coming.due_at)  # type: ignore[union-attr]
        prefix = reminder_prefix(seeded.deadline_id, due)
        s.add(OutboxMessage(dedup_key=f"{prefix}7:zalo:u-an", channel="zalo", chat_id="u-an", kind="notice",
                            status="sent", sent_at=now - timedelta(days=2)))
        s.add(OutboxMessage(dedup_key=f"{prefix}7:telegram:777", channel="telegram", chat_id="777", kind="notice",
                            status="failed", attempts=5, last_error="Telegram 403: bot was blocked by the user"))
        s.add(ReminderAck(deadline_id=seeded.deadline_id, due_at=due, user_id=an.id))  # type: ignore[arg-type]
        past = Deadline(key="test:cstd", title="Nộp hồ sơ Chiến sĩ thi đua", due_at=now - timedelta(days=3),
                        audience="unit_leaders", created_by=OFFICER_ID)
        s.add(past)
        s.add(Deadline(key="test:huy", title="Họp sơ kết (đã huỷ)", due_at=now + timedelta(days=9), audience="all",
                       status="cancelled", created_by=OFFICER_ID))
        s.flush()
        s.add(OutboxMessage(dedup_key=f"{reminder_prefix(past.id, past.due_at)}1:telegram:777",  # type: ignore[arg-type]
                            channel="telegram", chat_id="777", kind="notice", status="sent",
                            sent_at=now - timedelta(days=4)))
        s.commit()
        return More(codes[0], codes[1], past.id)  # type: ignore[arg-type]


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
    # ADMIN_IDS are `officers`; the console adds others to the officers table (bot/officer_source.py).
    source = Officers(officers, app.repo.engine)
    console = make_console(app.repo.engine, app.files, app.knowledge, source.is_officer, app.settings.tz,
                           admins=source.admins)
    add_console(web_app, console)
    runner, site = await webserver.start(web_app, "127.0.0.1", 0)
    try:
        yield Served(f"http://127.0.0.1:{site._bound_port}", officers, app)
    finally:
        await runner.cleanup()


def cookie_header(cookie: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={cookie}"}


__all__ = ["OFFICER", "OFFICER_ID", "More", "Seeded", "Served", "cookie_header", "png", "seed", "seed_more", "serve", "web"]
