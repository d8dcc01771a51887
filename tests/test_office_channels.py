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

from bot.app import App, build_app, build_conversation, link_maker
from bot.delivery import Delivery
from bot.pipeline import FloodGuard
from bot.settings import load_settings
from handlers import texts
from storage.models import OfficeQuestion, User
from tests import wiring
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
async def both(tmp_path: Path, flood: FloodGuard | None = None, links: str | None = None,
               **extra: object) -> AsyncIterator[Bots]:
    """Both channels polling their fakes; the fake Zalo (127.0.0.1) is the one file host.
    `links`: the public address officers' one-time links point to (as in webhook mode with
    PUBLIC_URL); `extra`: more settings."""
    tg, zalo = FakeTelegram(TG_TOKEN), await FakeZalo().start()
    await tg.start()
    values: dict[str, object] = {"zalo_file_hosts": "127.0.0.1", **extra}
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TG_TOKEN,
                             telegram_api_url=tg.url, zalo_bot_token=ZALO_TOKEN, zalo_api_url=zalo.url,
                             admin_ids=f"telegram:{OFFICER_TG},zalo:{OFFICER_ZALO}", **values)
    app = build_app(settings)
    conversation = build_conversation(settings, app.knowledge, make_link=link_maker(links)) if links else None
    # No waiting on the per-chat limit (1 a second): these tests are about what is said,
    # test_delivery.py about the limits.
    kernel = wiring.both(app, conversation=conversation, flood=flood or FloodGuard(),
                         retry=wiring.api_retry(attempts=3, initial=0.01, maximum=0.05), limits=wiring.NO_LIMITS)
    delivery = kernel.delivery
    stop = asyncio.Event()
    tasks = []
    try:
        for side in kernel.inbound.values():
            await side.start()
            tasks.append(asyncio.create_task(side.poll()))
        tasks.append(asyncio.create_task(delivery.run(stop, every=0.1)))
        yield Bots(app, tg, zalo, delivery)
    finally:
        stop.set()
        for t in tasks[:-1]:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for side in kernel.inbound.values():
            await side.close()
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


def question_log_of(app: App, channel: str, external_id: str) -> list[str]:
    from sqlmodel import select

    from storage.models import QuestionLog

    with app.repo.session() as s:
        user = s.exec(select(User).where(User.channel == channel, User.external_id == external_id)).first()
        if user is None:
            return []
        return [r.text for r in s.exec(select(QuestionLog).where(QuestionLog.user_id == user.id))]


async def test_a_zalo_officer_reaches_every_open_question_not_only_the_newest(tmp_path: Path):
    """Two questions arrive; on Zalo "1" under the second notice picks the second, so the
    first is reached by /cauhoi (oldest first, numbered) or by typing "trả lời câu hỏi số 1"."""
    other, second = "nv-binh", "chế độ phụ cấp trách nhiệm của thư ký tòa"
    async with both(tmp_path) as b:
        b.zalo_says(STAFF, "/hoivanphong " + QUESTION)
        await b.zalo.wait_texts(STAFF, 1)
        b.zalo_says(STAFF, "gửi")
        await b.zalo.wait_texts(OFFICER_ZALO, 1)
        b.zalo_says(other, "/hoivanphong " + second, name="Lê Văn Bình")
        await b.zalo.wait_texts(other, 1)
        b.zalo_says(other, "gửi", name="Lê Văn Bình")
        notes = await b.zalo.wait_texts(OFFICER_ZALO, 2)
        assert second in notes[1] and "/cauhoi" in notes[1]  # the newest notice says how to reach the older

        b.zalo_says(OFFICER_ZALO, "/cauhoi", name="Phạm Bình")
        listed = (await b.zalo.wait_texts(OFFICER_ZALO, 3))[2]
        assert listed.index(QUESTION) < listed.index(second)  # oldest first
        assert "Số 1 - Trần Thị Lan" in listed and "Số 2 - Lê Văn Bình" in listed
        assert "1. Trả lời câu số 1 (Trần Thị Lan)" in listed and "2. Trả lời câu số 2 (Lê Văn Bình)" in listed

        # The first question, by its number in words.
        b.zalo_says(OFFICER_ZALO, "trả lời câu hỏi số 1", name="Phạm Bình")
        prompt = (await b.zalo.wait_texts(OFFICER_ZALO, 4))[3]
        assert "Câu hỏi số 1" in prompt and QUESTION in prompt
        b.zalo_says(OFFICER_ZALO, "Đồng chí làm đơn theo mẫu, gửi Phòng Tổ chức cán bộ.", name="Phạm Bình")
        await b.zalo.wait_texts(OFFICER_ZALO, 5)
        b.zalo_says(OFFICER_ZALO, "1", name="Phạm Bình")  # Gửi
        sent = (await b.zalo.wait_texts(OFFICER_ZALO, 6))[5]
        assert sent.startswith(texts.OFFICE_ANSWER_SENT.format(qid=1, asker="Trần Thị Lan"))
        assert "Còn 1 câu hỏi" in sent and f"1. {texts.OFFICE_OPEN_SHOW}" in sent
        answer = (await b.zalo.wait_texts(STAFF, 3))[2]
        assert QUESTION in answer and "Phòng Tổ chức cán bộ" in answer

        # The second, picked from the list.
        b.zalo_says(OFFICER_ZALO, "1", name="Phạm Bình")
        listed = (await b.zalo.wait_texts(OFFICER_ZALO, 7))[6]
        assert second in listed and QUESTION not in listed
        b.zalo_says(OFFICER_ZALO, "1", name="Phạm Bình")
        prompt = (await b.zalo.wait_texts(OFFICER_ZALO, 8))[7]
        assert "Câu hỏi số 2" in prompt and second in prompt
        b.zalo_says(OFFICER_ZALO, "Phụ cấp theo Nghị định 204/2004/NĐ-CP.", name="Phạm Bình")
        await b.zalo.wait_texts(OFFICER_ZALO, 9)
        b.zalo_says(OFFICER_ZALO, "gửi", name="Phạm Bình")
        await b.zalo.wait_texts(OFFICER_ZALO, 10)
        answer = (await b.zalo.wait_texts(other, 3))[2]
        assert second in answer and "204/2004" in answer
        assert [r.status for r in question_rows(b.app)] == ["answered", "answered"]
        # What the officer typed was never taken for a staff question.
        assert question_log_of(b.app, "zalo", OFFICER_ZALO) == []

        b.zalo_says(OFFICER_ZALO, "/cauhoi", name="Phạm Bình")
        assert (await b.zalo.wait_texts(OFFICER_ZALO, 11))[10].startswith(texts.OFFICE_OPEN_NONE)


async def test_a_telegram_officer_lists_open_questions_as_buttons(tmp_path: Path):
    async with both(tmp_path) as b:
        for user, q in ((STAFF, QUESTION), ("nv-binh", "chế độ phụ cấp trách nhiệm của thư ký tòa")):
            b.zalo_says(user, "/hoivanphong " + q)
            await b.zalo.wait_texts(user, 1)
            b.zalo_says(user, "gửi")
            await b.zalo.wait_texts(user, 2)
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 2)
        b.tg.send_message(OFFICER_TG, "/cauhoi")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 3)
        listed = b.tg.messages_to(OFFICER_TG)[-1]
        assert [d for _l, d in keyboard(listed)][:2] == ["oq:reply:1", "oq:reply:2"]
        b.tg.press(OFFICER_TG, "oq:reply:1")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(OFFICER_TG)) >= 4)
        assert QUESTION in visible_text(b.tg.messages_to(OFFICER_TG)[-1])


async def test_the_second_officer_is_told_who_answered_even_when_the_messenger_sent_no_name(tmp_path: Path):
    """Zalo's samples do not always carry the sender's name: the officer who answered is named
    by the name the messenger sent before, never "một cán bộ"."""
    async with both(tmp_path) as b:
        b.zalo_says(OFFICER_ZALO, "/trogiup", name="Phạm Bình")  # known by name from an earlier message
        await b.zalo.wait_texts(OFFICER_ZALO, 1)
        b.zalo_says(STAFF, "/hoivanphong " + QUESTION)
        await b.zalo.wait_texts(STAFF, 1)
        b.zalo_says(STAFF, "gửi")
        await b.zalo.wait_texts(OFFICER_ZALO, 2)

        def nameless(text: str) -> None:
            b.n += 1
            update = make_update(message_id=f"z{b.n}", text=text, user=OFFICER_ZALO)
            del update["message"]["from"]["display_name"]
            b.zalo.push(update)

        for n, text in enumerate(("1", "Đồng chí liên hệ Phòng Tổ chức cán bộ.", "1"), 3):
            nameless(text)
            await b.zalo.wait_texts(OFFICER_ZALO, n)
        answer = (await b.zalo.wait_texts(STAFF, 3))[2]
        assert "Người trả lời: Phạm Bình." in answer
        b.tg.press(OFFICER_TG, "oq:reply:1")
        late = visible_text((await b.tg.wait_for(lambda: b.tg.messages_to(OFFICER_TG)[1:]))[0])
        assert "đã được Phạm Bình trả lời" in late and texts.SOMEONE not in late


@pytest.mark.parametrize("channel", ["telegram", "zalo"])
async def test_toi_gives_the_id_that_admin_ids_takes(tmp_path: Path, channel: str):
    """A staff member types /toi, gives the line to the Office, and with it in ADMIN_IDS is an officer."""
    async with both(tmp_path) as b:
        if channel == "telegram":
            b.tg.send_message(777001, "/toi")
            [shown] = [visible_text(m) for m in await b.tg.wait_for(lambda: b.tg.messages_to(777001))]
        else:
            b.zalo_says("6ede9afa66b14ec1a2a3", "/toi")
            [shown] = await b.zalo.wait_texts("6ede9afa66b14ec1a2a3", 1)
        own_id = shown.split(": ", 1)[1].split("\n", 1)[0]
        assert own_id == ("telegram:777001" if channel == "telegram" else "zalo:6ede9afa66b14ec1a2a3")
        assert "ADMIN_IDS" in shown
        settings = load_settings(data_dir=tmp_path / "x", admin_ids=f"{own_id},zalo:{OFFICER_ZALO}")
        assert settings.is_admin(*own_id.split(":", 1))
