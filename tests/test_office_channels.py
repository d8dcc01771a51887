"""'Hỏi Văn phòng' end to end through the real channels: the aiogram Bot against the
fake Telegram Bot API, our Zalo client against the fake Zalo Bot API, one delivery
worker for both, a real SQLite file. Staff on Zalo, officers on Telegram (buttons)
and Zalo (numbers); a staff member who blocked the bot meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.delivery import Delivery
from bot.pipeline import FloodGuard, Pipeline
from bot.runner import wire_delivery
from bot.settings import load_settings
from bot.telegram import TelegramChannel
from bot.telegram.retry import RetryPolicy
from bot.zalo import ZaloChannel
from handlers import texts
from storage.models import OfficeQuestion, User
from tests.conftest import REAL_CONTENT
from tests.fake_telegram import FakeTelegram, keyboard, visible_text
from tests.fake_zalo import TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo, make_update

TG_TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
OFFICER_TG = 9001  # an officer on Telegram
OFFICER_ZALO = "cb-zalo"  # an officer on Zalo
STAFF = "nv-lan"  # a staff member on Zalo
QUESTION = "thủ tục xin nghỉ phép năm của cán bộ"


@dataclass
class Bots:
    app: App
    tg: FakeTelegram
    zalo: FakeZalo
    delivery: Delivery
    n: int = 0

    def zalo_says(self, user: str, text: str, name: str = "Trần Thị Lan") -> None:
        self.n += 1
        self.zalo.push(make_update(message_id=f"z{self.n}", text=text, user=user, name=name))


@contextlib.asynccontextmanager
async def both(tmp_path: Path, flood: FloodGuard | None = None) -> AsyncIterator[Bots]:
    tg, zalo = FakeTelegram(TG_TOKEN), await FakeZalo().start()
    await tg.start()
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TG_TOKEN,
                             telegram_api_url=tg.url, zalo_bot_token=ZALO_TOKEN, zalo_api_url=zalo.url,
                             admin_ids=f"telegram:{OFFICER_TG},zalo:{OFFICER_ZALO}")
    app = build_app(settings)
    pipeline = Pipeline(app.conversation, app.repo, flood=flood or FloodGuard())
    channels = {"telegram": TelegramChannel(settings, pipeline, retry=RetryPolicy(3, 0.01, 0.05), poll_timeout=1),
                "zalo": ZaloChannel(settings, pipeline, poll_timeout=1)}
    delivery = wire_delivery(app, pipeline, channels)  # type: ignore[arg-type]
    stop = asyncio.Event()
    tasks = []
    try:
        for ch in channels.values():
            await ch.start()
            tasks.append(asyncio.create_task(ch.poll()))
        tasks.append(asyncio.create_task(delivery.run(stop, every=0.1)))
        yield Bots(app, tg, zalo, delivery)
    finally:
        stop.set()
        for t in tasks[:-1]:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for ch in channels.values():
            await ch.close()
        await tg.close()
        await zalo.stop()


def question_rows(app: App) -> list[OfficeQuestion]:
    from sqlmodel import select

    with app.repo.session() as s:
        return list(s.exec(select(OfficeQuestion)))


async def test_zalo_staff_ask_and_a_telegram_officer_answers_with_buttons(tmp_path: Path):
    async with both(tmp_path) as b:
        b.zalo_says(STAFF, QUESTION)
        [fallback] = await b.zalo.wait_texts(STAFF, 1)
        assert f"1. {texts.MENU_ASK_OFFICE}" in fallback
        b.zalo_says(STAFF, "1")
        confirm = (await b.zalo.wait_texts(STAFF, 2))[1]
        assert QUESTION in confirm and f"1. {texts.OFFICE_SEND}" in confirm
        b.zalo_says(STAFF, "1")
        sent = (await b.zalo.wait_texts(STAFF, 3))[2]
        assert sent.startswith(texts.OFFICE_SENT.format(qid=1))

        # Both officers are told: on Telegram with a button, on Zalo with a numbered line.
        note = (await b.tg.wait_for(lambda: b.tg.messages_to(OFFICER_TG)))[0]
        assert QUESTION in visible_text(note) and "Trần Thị Lan" in visible_text(note)
        assert keyboard(note) == [(texts.OFFICE_REPLY, "oq:reply:1")]
        [zalo_note] = await b.zalo.wait_texts(OFFICER_ZALO, 1)
        assert QUESTION in zalo_note and f"1. {texts.OFFICE_REPLY}" in zalo_note

        # The Telegram officer presses "Trả lời", types the answer, presses "Gửi".
        b.tg.press(OFFICER_TG, "oq:reply:1")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 2)
        assert "gõ nội dung trả lời" in visible_text(b.tg.messages_to(OFFICER_TG)[-1])
        b.tg.send_message(OFFICER_TG, "Đồng chí làm đơn theo mẫu, gửi Phòng Tổ chức cán bộ trước 3 ngày.",
                          first_name="An", last_name="Nguyễn Văn")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 3)
        confirm_msg = b.tg.messages_to(OFFICER_TG)[-1]
        assert ("Gửi", "f:confirm:send") in keyboard(confirm_msg)
        b.tg.press(OFFICER_TG, "f:confirm:send")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 4)
        assert visible_text(b.tg.messages_to(OFFICER_TG)[-1]) == texts.OFFICE_ANSWER_SENT.format(
            qid=1, asker="Trần Thị Lan")

        # The staff member receives it on Zalo, quoting the question.
        answer = (await b.zalo.wait_texts(STAFF, 4))[3]
        assert "Văn phòng VKSND tỉnh trả lời" in answer and QUESTION in answer and "Phòng Tổ chức cán bộ" in answer

        # The Zalo officer, later, picks "1" from the notice: told it was answered already.
        b.zalo_says(OFFICER_ZALO, "1", name="Phạm Bình")
        late = (await b.zalo.wait_texts(OFFICER_ZALO, 2))[1]
        assert "đã được" in late and "Phòng Tổ chức cán bộ" in late
        [row] = question_rows(b.app)
        assert row.status == "answered" and row.answered_by == f"telegram:{OFFICER_TG}"
        assert len(b.zalo.texts(STAFF)) == 4  # nothing twice


async def test_an_answer_to_someone_who_blocked_the_bot_is_kept_and_the_officer_told(tmp_path: Path):
    async with both(tmp_path) as b:
        staff_tg = 5550001
        b.tg.send_message(staff_tg, "/hoivanphong " + QUESTION)
        await b.tg.wait_for(lambda: b.tg.messages_to(staff_tg))
        b.tg.press(staff_tg, "f:confirm:send")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(staff_tg)) >= 2)
        await b.tg.wait_for(lambda: b.tg.messages_to(OFFICER_TG))
        b.tg.blocked.add(str(staff_tg))  # the staff member blocks the bot meanwhile
        b.tg.press(OFFICER_TG, "oq:reply:1")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 2)
        b.tg.send_message(OFFICER_TG, "Đồng chí làm đơn theo mẫu.")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 3)
        b.tg.press(OFFICER_TG, "f:confirm:send")
        await b.tg.wait_for(lambda: any("Không gửi được trả lời câu hỏi số 1" in visible_text(m)
                                        for m in b.tg.messages_to(OFFICER_TG)))
        statuses = await b.tg.wait_for(lambda: (lambda st: st if st.get("office:1:blocked") == "sent" else None)(
            {r.dedup_key: r.status for r in b.app.outbox.rows()}))
        assert statuses["office:1:answer"] == "blocked"
        [row] = question_rows(b.app)
        assert row.status == "answered"  # the answer is stored all the same
        from sqlmodel import select

        with b.app.repo.session() as s:
            staff = s.exec(select(User).where(User.channel == "telegram", User.external_id == str(staff_tg))).one()
        assert staff.unreachable_at is not None
        # Writing again makes them reachable again.
        b.tg.blocked.discard(str(staff_tg))
        before = len(b.tg.messages_to(staff_tg))
        b.tg.send_message(staff_tg, "/trogiup")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(staff_tg)) > before)
        with b.app.repo.session() as s:
            assert s.get(User, staff.id).unreachable_at is None


@pytest.mark.parametrize("cancel", ["/huy", "hủy"])
async def test_an_officer_can_cancel_an_answer_on_zalo(tmp_path: Path, cancel: str):
    async with both(tmp_path) as b:
        b.zalo_says(STAFF, "/hoivanphong " + QUESTION)
        await b.zalo.wait_texts(STAFF, 1)
        b.zalo_says(STAFF, "gửi")
        await b.zalo.wait_texts(OFFICER_ZALO, 1)
        b.zalo_says(OFFICER_ZALO, "1", name="Phạm Bình")
        await b.zalo.wait_texts(OFFICER_ZALO, 2)
        b.zalo_says(OFFICER_ZALO, cancel, name="Phạm Bình")
        cancelled = (await b.zalo.wait_texts(OFFICER_ZALO, 3))[2]
        assert cancelled.startswith("Đã hủy")
        [row] = question_rows(b.app)
        assert row.status == "open"  # still waiting for an answer
