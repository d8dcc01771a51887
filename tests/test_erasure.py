"""/xoahoso end to end through the real Telegram channel (the aiogram Bot against the
fake Telegram Bot API, the delivery worker, a real database and file store): a staff
member with a profile, a pending report with two photos, a withdrawn report, an
approved report (one of whose photos has the same bytes as one of the pending
report's), a question to the Office, and every message sent; then /xoahoso. Every
table and the file store are read afterwards: what remains is exactly what the
confirmation said the Office keeps, and nothing else of the person's."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData
from sqlmodel import Session, select

from bot.app import App, build_app
from bot.settings import load_settings
from storage import profiles
from storage.models import (
    OfficeQuestion,
    OutboxMessage,
    ProcessedUpdate,
    Profile,
    QuestionLog,
    Report,
    ReportEvent,
    ReportFile,
    StoredFile,
    User,
)
from storage.turns import TurnStore
from tests import wiring
from tests.conftest import REAL_CONTENT
from tests.fake_telegram import FakeTelegram, keyboard, visible_text
from tests.people import state_of

TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
OFFICER = 9001
STAFF = 5550301
NAME = "Đỗ Thu Hà"  # the profile's full name
MESSENGER_NAME = "Hà Đỗ Thu"  # what Telegram calls her (first and last name)
STORIES = {
    "pending": "Chị Hà số hóa toàn bộ hồ sơ kiểm sát của phòng trong ba tuần giãn cách, không sót hồ sơ nào.",
    "withdrawn": "Chị Hà trực thay đồng nghiệp ốm suốt mười ngày Tết, giải quyết kịp mọi đơn thư gửi đến.",
    "approved": "Chị Hà hướng dẫn hai mươi cán bộ trẻ dùng phần mềm quản lý án, rút ngắn thời gian lập hồ sơ.",
}
QUESTION = "thủ tục xin nghỉ phép năm của cán bộ ở huyện xa"
SHARED_PHOTO = b"\xff\xd8\xff\xe0" + b"anh chung " * 300  # in the pending and the approved report
OWN_PHOTO = b"\xff\xd8\xff\xe0" + b"anh rieng " * 300  # in the pending report only


@dataclass
class Bot:
    app: App
    tg: FakeTelegram


@contextlib.asynccontextmanager
async def telegram_bot(tmp_path: Path, database_url: str | None = None) -> AsyncIterator[Bot]:
    tg = FakeTelegram(TOKEN)
    await tg.start()
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TOKEN,
                             telegram_api_url=tg.url, admin_ids=f"telegram:{OFFICER}", database_url=database_url)
    app = build_app(settings)
    # No waiting on the per-chat limit (1 a second): this test is about what erasure removes.
    kernel = wiring.telegram(app, retry=wiring.api_retry(attempts=3, initial=0.01, maximum=0.05),
                             limits=wiring.NO_LIMITS)
    delivery, inbound = kernel.delivery, kernel.inbound["telegram"]
    stop = asyncio.Event()
    await inbound.start()
    tasks = [asyncio.create_task(inbound.poll()), asyncio.create_task(delivery.run(stop, every=0.05))]
    try:
        yield Bot(app, tg)
    finally:
        stop.set()
        tasks[0].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await inbound.close()
        await tg.close()
        app.repo.engine.dispose()


class Staff:
    """The staff member and the officer, each waiting for the bot's answer to every message."""

    def __init__(self, tg: FakeTelegram):
        self.tg = tg

    async def _said(self, who: int, push, expect: str | None) -> str:  # noqa: ANN001
        """What the bot sent `who` after `push`, once a message holding `expect` (or any) came."""
        seen = len(self.tg.messages_to(who))
        push()

        def got() -> str | None:
            new = "\n".join(visible_text(c) for c in self.tg.messages_to(who)[seen:])
            return new if new and (expect is None or expect in new) else None

        return await self.tg.wait_for(got, timeout=10)

    async def say(self, words: str = "", who: int = STAFF, expect: str | None = None, **content) -> str:  # noqa: ANN003
        return await self._said(who, lambda: self.tg.push(self.tg.message_update(
            who, words or None, first_name="Hà", last_name="Đỗ Thu", **content)), expect)

    async def press(self, data: str, who: int = STAFF, expect: str | None = None) -> str:
        return await self._said(who, lambda: self.tg.press(who, data), expect)


def draft_at_files_step(app: App, story: str) -> None:
    """The form filled up to its evidence step (its earlier steps are tested elsewhere)."""
    with Session(app.repo.engine) as s:
        uid = TurnStore(s).user("telegram", str(STAFF)).id
        state, version = TurnStore(s).load_state(uid)
        values = {"draft": uuid.uuid4().hex, "subject": "self", "criterion": "2.5", "when": "2026-03-01",
                  "story": story}
        TurnStore(s).save_state(uid, {**state, "flow": {"name": "report", "step": "files", "values": values,
                                                        "history": ["when"]}}, version)
        s.commit()


async def report(bot: Bot, who: Staff, story: str, photos: list[bytes]) -> str:
    draft_at_files_step(bot.app, story)
    for data in photos:
        fid = f"p{uuid.uuid4().hex[:8]}"
        bot.tg.add_file(fid, data)
        said = await who.say(expect="Đã nhận", photo=[{"file_id": fid, "file_unique_id": f"u-{fid}", "width": 10, "height": 10,
                                     "file_size": len(data)}])
        assert "Đã nhận" in said, said
    await who.press("f:files:done" if photos else "f:files:none", expect="kiểm tra")
    said = await who.press("f:confirm:send", expect="mã GT-")
    return re.search(r"GT-\d{4}-\d{4}", said).group(0)  # type: ignore[union-attr]


def report_id(app: App, code: str) -> int:
    with Session(app.repo.engine) as s:
        return s.exec(select(Report.id).where(Report.code == code)).one()  # type: ignore[return-value]


def every_row(app: App) -> dict[str, list[str]]:
    """Every row of every table, as text (what a look at the database would show)."""
    meta = MetaData()
    meta.reflect(app.repo.engine)
    with app.repo.engine.connect() as conn:
        return {name: [" | ".join(str(v) for v in row) for row in conn.execute(table.select())]
                for name, table in meta.tables.items() if name != "alembic_version"}


def blobs(app: App) -> set[str]:
    return {p.name for p in (app.settings.data_dir / "files").rglob("*") if p.is_file()}


async def until_all_sent(app: App) -> None:
    for _ in range(200):
        with Session(app.repo.engine) as s:
            if not s.exec(select(OutboxMessage).where(OutboxMessage.status.in_(("pending", "sending")))).all():
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the outbox was not emptied")


async def erase_and_check(tmp_path: Path, database_url: str | None = None) -> None:
    async with telegram_bot(tmp_path, database_url) as bot:
        app, who = bot.app, Staff(bot.tg)
        await who.say("/start")
        with Session(app.repo.engine) as s:
            uid = TurnStore(s).user("telegram", str(STAFF)).id
            profiles.save_profile(s, uid, full_name=NAME, unit_id="van-phong", reminders=True)
            s.commit()
        pending = await report(bot, who, STORIES["pending"], [OWN_PHOTO, SHARED_PHOTO])
        withdrawn = await report(bot, who, STORIES["withdrawn"], [])
        approved = await report(bot, who, STORIES["approved"], [SHARED_PHOTO])
        await who.press(f"r:wdy:{report_id(app, withdrawn)}", expect="Đã rút")
        await who.press(f"r:ok:{report_id(app, approved)}", who=OFFICER, expect="hình thức")
        await who.press("f:award:none", who=OFFICER, expect="Đã duyệt")
        await until_all_sent(app)
        await who.say(QUESTION)
        assert ("Hỏi Văn phòng", "oq:ask") in keyboard(bot.tg.messages_to(STAFF)[-1])  # the bot has no answer
        await who.press("oq:ask", expect="xác nhận gửi")
        await who.press("f:confirm:send", expect="Đã gửi câu hỏi")
        await until_all_sent(app)
        with Session(app.repo.engine) as s:
            before = {"sent": len(s.exec(select(OutboxMessage).where(OutboxMessage.status == "sent")).all()),
                      "logged": len(s.exec(select(QuestionLog).where(QuestionLog.user_id == uid)).all())}
        shared_sha, own_sha = hashlib.sha256(SHARED_PHOTO).hexdigest(), hashlib.sha256(OWN_PHOTO).hexdigest()
        assert before["sent"] >= 20 and before["logged"] >= 1
        assert {shared_sha, own_sha} <= blobs(app)
        names = [row for rows in every_row(app).values() for row in rows if MESSENGER_NAME in row]
        assert names  # the messenger name is stored (users, events, the Office question...)

        # /xoahoso: what goes and what stays, before anything is done.
        ask = await who.say("/xoahoso", expect="chắc chắn")
        assert f"2 báo cáo chưa được quyết định hoặc đã rút ({pending}, {withdrawn})" in ask
        assert "2 tệp đồng chí đã gửi" in ask and "1 câu hỏi đồng chí gửi Văn phòng, cả câu đã được trả lời" in ask
        assert f"{before['logged']} câu hỏi đồng chí đã gõ cho bot" in ask
        assert "họ tên, đơn vị, vai trò lãnh đạo (nhắc hạn cũng tắt)" in ask
        assert f"Văn phòng giữ lại 1 báo cáo đã duyệt hoặc không duyệt ({approved})" in ask
        assert "tên Zalo/Telegram của đồng chí mà bot đã lưu" in ask
        assert ("Xóa hồ sơ", "f:confirm:yes") in keyboard(bot.tg.messages_to(STAFF)[-1])
        done = await who.press("f:confirm:yes", expect="Đã xóa hồ sơ")
        assert done.startswith("Đã xóa hồ sơ của đồng chí")
        body = lambda t: t.split(":", 1)[1].split("Đồng chí chắc chắn")[0].strip()  # noqa: E731
        assert body(done) == body(ask)  # the answer says what the question said would go
        await bot.tg.wait_for(lambda: any(pending in t and "đã bị xóa" in t for t in bot.tg.texts_to(OFFICER)))
        await until_all_sent(app)
        await asyncio.sleep(0.2)  # the after-commit removal of the blobs ran before the reply was sent

        # Every table, and the file store.
        with Session(app.repo.engine) as s:
            assert s.get(Profile, uid) is None
            user = s.get(User, uid)
            assert user is not None and user.display_name is None  # the row stays: kept reports point at it
            [kept] = s.exec(select(Report)).all()
            assert kept.code == approved and kept.story == STORIES["approved"] and kept.submitter_name == NAME
            assert {e.report_id for e in s.exec(select(ReportEvent))} == {kept.id}
            kept_files = s.exec(select(ReportFile)).all()
            assert {f.report_id for f in kept_files} == {kept.id}
            assert [f.id for f in s.exec(select(StoredFile))] == [f.file_id for f in kept_files]
            assert s.exec(select(OfficeQuestion)).all() == []
            assert s.exec(select(QuestionLog).where(QuestionLog.user_id == uid)).all() == []
            assert all(u.payload is None for u in s.exec(select(ProcessedUpdate)))
            assert "flow" not in state_of(app.repo, uid)
            rows = s.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert blobs(app) == {shared_sha}  # the pending report's own photo is gone; the kept one stays

        # What the database still holds of her: the kept report, and the erasure's own messages.
        erasure_rows = [r for r in rows if ":erased:" in r.dedup_key or "Đã xóa hồ sơ" in str(r.payload)]
        assert len(erasure_rows) == 2  # her answer and the officer's notice
        for r in rows:
            if r in erasure_rows or r.status in ("pending", "sending"):
                continue
            if r.chat_id == str(STAFF) or pending in str(r.payload) or withdrawn in str(r.payload):
                assert r.payload == {}, r
        found = {}
        for table, table_rows in every_row(app).items():
            for row in table_rows:
                for needle in (STORIES["pending"], STORIES["withdrawn"], QUESTION, MESSENGER_NAME, NAME,
                               STORIES["approved"], pending, withdrawn):
                    if needle in row:
                        found.setdefault(needle, set()).add(table)
        assert STORIES["pending"] not in found and STORIES["withdrawn"] not in found and QUESTION not in found
        assert MESSENGER_NAME not in found
        assert found[NAME] == {"reports", "report_events"}  # the approved report and its events
        assert found[STORIES["approved"]] == {"reports"}
        assert found[pending] == found[withdrawn] == {"outbox"}  # in the erasure's own messages only
        erased_codes = [r for r in rows if pending in str(r.payload)]
        assert {r.id for r in erased_codes} <= {r.id for r in erasure_rows}

        # She writes again: the bot answers, and her messenger name is stored again, as the text said.
        await who.say("/start", expect="Trợ lý")
        with Session(app.repo.engine) as s:
            assert s.get(User, uid).display_name == MESSENGER_NAME


async def test_erasure_removes_what_it_says_and_keeps_what_the_office_keeps(tmp_path: Path) -> None:
    await erase_and_check(tmp_path)


async def test_erasure_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    await erase_and_check(tmp_path, pg_url)
