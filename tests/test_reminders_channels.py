"""Reminders end to end through the real channels (aiogram against the fake Telegram
Bot API, our client against the fake Zalo Bot API) and the delivery worker: a
staff member turns reminders on, an officer adds a deadline in chat, the reminder
comes at its time, "Đã nộp" stops the rest, and an announcement reaches everyone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.reminders import dispatch_now
from handlers import texts
from handlers.deadlines.reminders import occurrence
from storage import reminders as q
from storage.models import Deadline
from tests.fake_telegram import keyboard, visible_text
from tests.test_office_channels import OFFICER_ZALO, Bots, both

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STAFF_TG = 5550100
STAFF_ZALO = "nv-zalo"


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_settings(request: pytest.FixtureRequest) -> dict:
    """The database the bot runs on: a SQLite file, or PostgreSQL when CI provides it."""
    return {} if request.param == "sqlite" else {"database_url": request.getfixturevalue("pg_url")}


def add_deadline(b: Bots, title: str, due: str, *, audience: str = "all", offsets: tuple[int, ...] = (3,),
                 send_time: str = "08:00") -> int:
    with b.app.repo.session() as s:
        q.sync_content_deadlines(s, {})  # the shipped example deadlines stay out of the way
        row = q.save_deadline(s, Deadline(key=f"test:{title}", title=title, due_at=local(due), audience=audience,
                                          offsets=list(offsets), send_time=send_time))
        s.commit()
        return row.id  # type: ignore[return-value]


async def worker_pass(b: Bots, when: str) -> int:
    """The delivery worker's pass at a moment to come (`when`, local time); returns how many
    it sent. It waits for the replies being sent to be recorded first: to a pass that far
    ahead their leases look expired, and it would send them again."""
    def settled() -> bool:
        return not any(r.kind == "reply" and r.status in ("pending", "sending") for r in b.app.outbox.rows(limit=500))

    await b.zalo.wait_for(settled, what="the replies recorded as sent")
    return await b.delivery.run_once(now=local(when))


async def zalo_staff_turns_reminders_on(b: Bots, user: str, *, leader: str = "không") -> int:
    """/nhacnho on Zalo: the unit (the second of the list), whether they lead it; returns
    how many messages the person has received."""
    for n, typed in enumerate(["/nhacnho", "2", leader], start=2):
        b.zalo_says(user, typed, name="Lê Hoa")
        await b.zalo.wait_texts(user, n)
    assert b.zalo.texts(user)[-1].startswith("Đã bật nhắc hạn")
    return 4


async def test_a_reminder_held_for_the_morning_does_not_hold_the_conversation(tmp_path: Path, db_settings: dict):
    async with both(tmp_path, **db_settings) as b:
        seen = await zalo_staff_turns_reminders_on(b, STAFF_ZALO)
        add_deadline(b, "Nộp báo cáo thi đua tháng 1", "2031-01-15 17:00", send_time="22:30")
        # 22:30 is in quiet hours: the reminder waits for 07:00.
        assert len(dispatch_now(b.app, local("2031-01-12 22:30")).deferred) == 1
        # A question at 22:35 is answered at once, not at 07:00 behind the reminder.
        b.zalo_says(STAFF_ZALO, "giấy khen cần mấy bộ hồ sơ", name="Lê Hoa")
        answer = (await b.zalo.wait_texts(STAFF_ZALO, seen + 1))[seen]
        assert "01 bộ" in answer and not answer.startswith("Xin lỗi")
        b.zalo_says(STAFF_ZALO, "cảm ơn", name="Lê Hoa")
        await b.zalo.wait_texts(STAFF_ZALO, seen + 2)
        # At 07:00 the reminder goes.
        assert await worker_pass(b, "2031-01-13 07:00") == 1
        reminder = (await b.zalo.wait_texts(STAFF_ZALO, seen + 3))[seen + 2]
        assert reminder.startswith("Nhắc hạn: Nộp báo cáo thi đua tháng 1")


async def test_reminders_on_both_messengers_from_sign_up_to_done(tmp_path: Path):
    async with both(tmp_path) as b:
        with b.app.repo.session() as s:  # the shipped example deadlines stay out of the counts
            q.sync_content_deadlines(s, {})
            s.commit()

        # A Telegram staff member turns reminders on: unit and leadership asked once, with buttons.
        b.tg.send_message(STAFF_TG, "/nhacnho")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 2)
        assert visible_text(b.tg.messages_to(STAFF_TG)[0]) == texts.PRIVACY_NOTE
        units = keyboard(b.tg.messages_to(STAFF_TG)[1])
        assert ("Văn phòng VKSND tỉnh", "f:unit:van-phong") in units
        b.tg.press(STAFF_TG, "f:unit:van-phong")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 3)
        b.tg.press(STAFF_TG, "f:leader:no")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 4)
        assert visible_text(b.tg.messages_to(STAFF_TG)[3]).startswith("Đã bật nhắc hạn")

        # A Zalo staff member does the same with numbers.
        b.zalo_says(STAFF_ZALO, "/nhacnho", name="Lê Hoa")
        await b.zalo.wait_texts(STAFF_ZALO, 2)
        b.zalo_says(STAFF_ZALO, "2", name="Lê Hoa")
        await b.zalo.wait_texts(STAFF_ZALO, 3)
        b.zalo_says(STAFF_ZALO, "không", name="Lê Hoa")
        assert (await b.zalo.wait_texts(STAFF_ZALO, 4))[3].startswith("Đã bật nhắc hạn")

        # The officer (on Zalo) adds a deadline in chat.
        for n, typed in enumerate(["/hanmoi", "Nộp bản đăng ký thi đua năm 2031", "15/01/2031 17:00", "1",
                                   "3, 1", "bỏ qua"], start=1):
            b.zalo_says(OFFICER_ZALO, typed, name="Phạm Bình")
            await b.zalo.wait_texts(OFFICER_ZALO, n)
        confirm = b.zalo.texts(OFFICER_ZALO)[-1]
        assert "Hiện có 2 người sẽ được nhắc" in confirm
        b.zalo_says(OFFICER_ZALO, "1", name="Phạm Bình")
        assert (await b.zalo.wait_texts(OFFICER_ZALO, 7))[6].startswith("Đã tạo hạn số")

        # Three days before, at 08:00: both are reminded, once.
        first = dispatch_now(b.app, local("2031-01-12 08:00"))
        assert len(first.queued) == 2
        assert await worker_pass(b, "2031-01-12 08:00") == 2  # the worker's pass at 08:00
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 5)
        reminder = b.tg.messages_to(STAFF_TG)[4]
        assert "Nộp bản đăng ký thi đua năm 2031" in visible_text(reminder) and "còn 3 ngày" in visible_text(reminder)
        done_button = keyboard(reminder)[0]
        assert done_button[0] == texts.REMINDER_DONE
        zalo_reminder = (await b.zalo.wait_texts(STAFF_ZALO, 5))[4]
        assert f"1. {texts.REMINDER_DONE}" in zalo_reminder
        assert dispatch_now(b.app, local("2031-01-12 08:10")).queued == []  # a second pass sends nothing

        # "Đã nộp": a button on Telegram, "1" on Zalo.
        b.tg.press(STAFF_TG, done_button[1])
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 6)
        assert visible_text(b.tg.messages_to(STAFF_TG)[5]).startswith("Đã ghi nhận đồng chí đã nộp")
        b.zalo_says(STAFF_ZALO, "1", name="Lê Hoa")
        assert (await b.zalo.wait_texts(STAFF_ZALO, 6))[5].startswith("Đã ghi nhận đồng chí đã nộp")

        # The day before: nobody is reminded any more.
        assert dispatch_now(b.app, local("2031-01-14 08:00")).queued == []

        # An announcement to everyone with reminders on.
        for n, typed in enumerate(["/thongbao", "1", "Sáng mai 8:00 họp trực tuyến sơ kết thi đua."], start=8):
            b.zalo_says(OFFICER_ZALO, typed, name="Phạm Bình")
            await b.zalo.wait_texts(OFFICER_ZALO, n)
        assert "tới 2 người" in b.zalo.texts(OFFICER_ZALO)[-1]
        b.zalo_says(OFFICER_ZALO, "Gửi", name="Phạm Bình")
        await b.zalo.wait_texts(OFFICER_ZALO, 11)
        await b.tg.wait_for(lambda: any("họp trực tuyến" in visible_text(m) for m in b.tg.messages_to(STAFF_TG)))
        assert "họp trực tuyến" in (await b.zalo.wait_texts(STAFF_ZALO, 7))[6]
        await b.tg.wait_for(lambda: announcements_sent(b.app) == 2)


def announcements_sent(app) -> int:  # noqa: ANN001
    with app.repo.session() as s:
        return q.outbox_counts(s, "ann:").get("sent", 0)


async def test_a_reminder_held_for_the_morning_is_written_and_its_choices_offered_when_sent(tmp_path: Path):
    async with both(tmp_path) as b:
        seen = await zalo_staff_turns_reminders_on(b, STAFF_ZALO)
        add_deadline(b, "Nộp báo cáo thi đua tháng 1", "2031-01-15 17:00", send_time="22:30")
        assert len(dispatch_now(b.app, local("2031-01-12 22:30")).deferred) == 1  # 3 days before, in quiet hours
        # At 22:35 the person asks something; its answer offers choices of its own.
        b.zalo_says(STAFF_ZALO, "giấy khen cần mấy bộ hồ sơ", name="Lê Hoa")
        answer = (await b.zalo.wait_texts(STAFF_ZALO, seen + 1))[seen]
        assert "1. " in answer
        # Sent at 07:00 on the 13th: two days are left, and "1" is its "Đã nộp".
        assert await worker_pass(b, "2031-01-13 07:00") == 1
        reminder = (await b.zalo.wait_texts(STAFF_ZALO, seen + 2))[seen + 1]
        assert "(còn 2 ngày)" in reminder and "còn 3 ngày" not in reminder
        assert f"1. {texts.REMINDER_DONE}" in reminder
        b.zalo_says(STAFF_ZALO, "1", name="Lê Hoa")
        done = (await b.zalo.wait_texts(STAFF_ZALO, seen + 3))[seen + 2]
        assert done.startswith(texts.REMINDER_ACKED.format(title="Nộp báo cáo thi đua tháng 1"))


async def test_two_reminders_on_zalo_each_keep_their_own_done_choice(tmp_path: Path, db_settings: dict):
    async with both(tmp_path, **db_settings) as b:
        seen = {user: await zalo_staff_turns_reminders_on(b, user) for user in ("nv-an", "nv-binh")}
        add_deadline(b, "Nộp bản đăng ký thi đua", "2031-01-15 17:00")
        add_deadline(b, "Nộp báo cáo điển hình tiên tiến", "2031-01-16 17:00", offsets=(4,))
        assert len(dispatch_now(b.app, local("2031-01-12 08:00")).queued) == 4
        assert await worker_pass(b, "2031-01-12 08:00") == 4

        # The second reminder goes on from the first one's numbers.
        first, second = (await b.zalo.wait_texts("nv-an", seen["nv-an"] + 2))[-2:]
        assert first.startswith("Nhắc hạn: Nộp bản đăng ký thi đua") and f"1. {texts.REMINDER_DONE}" in first
        assert second.startswith("Nhắc hạn: Nộp báo cáo điển hình tiên tiến")
        assert f"1. {texts.REMINDER_DONE}" not in second and f"3. {texts.REMINDER_DONE}" in second
        # "1" under the first answers the first; "Đã nộp" typed then answers the one left.
        b.zalo_says("nv-an", "1")
        done = (await b.zalo.wait_texts("nv-an", seen["nv-an"] + 3))[-1]
        assert done.startswith(texts.REMINDER_ACKED.format(title="Nộp bản đăng ký thi đua"))
        b.zalo_says("nv-an", "Đã nộp")
        done = (await b.zalo.wait_texts("nv-an", seen["nv-an"] + 4))[-1]
        assert done.startswith(texts.REMINDER_ACKED.format(title="Nộp báo cáo điển hình tiên tiến"))

        # "Đã nộp" typed under both asks which one; the answer picks it.
        b.zalo_says("nv-binh", "Đã nộp")
        which = (await b.zalo.wait_texts("nv-binh", seen["nv-binh"] + 3))[-1]
        assert which.startswith(texts.REMINDER_WHICH)
        assert "1. Nộp bản đăng ký thi đua (hạn 15/01)" in which
        assert "2. Nộp báo cáo điển hình tiên tiến (hạn 16/01)" in which
        b.zalo_says("nv-binh", "2")
        done = (await b.zalo.wait_texts("nv-binh", seen["nv-binh"] + 4))[-1]
        assert done.startswith(texts.REMINDER_ACKED.format(title="Nộp báo cáo điển hình tiên tiến"))
        b.zalo_says("nv-binh", "đã nộp")
        done = (await b.zalo.wait_texts("nv-binh", seen["nv-binh"] + 5))[-1]
        assert done.startswith(texts.REMINDER_ACKED.format(title="Nộp bản đăng ký thi đua"))
        with b.app.repo.session() as s:
            assert [len(q.ack_names(s, d.id, occurrence(d, local("2031-01-12 08:00"))))  # type: ignore[arg-type]
                    for d in q.active_deadlines(s) if d.key.startswith("test:")] == [2, 2]


async def test_a_profile_begun_by_a_report_is_asked_whether_they_lead_when_reminders_are_turned_on(tmp_path: Path):
    async with both(tmp_path) as b:
        user, n = "nv-cuong", 0

        async def says(text: str, replies: int = 1) -> str:
            nonlocal n
            b.zalo_says(user, text, name="Cường")
            n += replies
            return (await b.zalo.wait_texts(user, n))[-1]

        # The profile begins with a report: name and unit, then the person stops.
        assert "Nghị định 13/2023" in await says("/gui")
        await says("Phạm Văn Cường")
        await says("2")  # the second unit of the list
        await says("/huy")
        # /nhacnho asks only what is missing: whether they lead the unit.
        asked = await says("/nhacnho", replies=2)  # what is stored, and the question
        assert b.zalo.texts(user)[-2] == texts.PRIVACY_NOTE
        assert asked.startswith(texts.PROFILE_LEADER) and texts.PROFILE_UNIT not in asked
        assert (await says("có")).startswith("Đã bật nhắc hạn")
        profile = await says("/hoso")
        assert "Họ tên: Phạm Văn Cường" in profile and "Lãnh đạo đơn vị: có" in profile
        # A unit leaders' deadline reaches them.
        add_deadline(b, "Nộp tờ trình khen thưởng của đơn vị", "2031-01-15 17:00", audience="unit_leaders")
        assert len(dispatch_now(b.app, local("2031-01-12 08:00")).queued) == 1
        assert await worker_pass(b, "2031-01-12 08:00") == 1
        reminder = (await b.zalo.wait_texts(user, n + 1))[-1]
        assert reminder.startswith("Nhắc hạn: Nộp tờ trình khen thưởng của đơn vị")


async def test_a_reminder_says_how_to_stop_and_that_a_leader_answers_for_the_unit(tmp_path: Path):
    async with both(tmp_path) as b:
        # A unit leader on Telegram, a staff member on Zalo.
        b.tg.send_message(STAFF_TG, "/nhacnho")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 2)
        b.tg.press(STAFF_TG, "f:unit:van-phong")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 3)
        b.tg.press(STAFF_TG, "f:leader:yes")
        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 4)
        seen = await zalo_staff_turns_reminders_on(b, STAFF_ZALO)
        add_deadline(b, "Nộp tờ trình khen thưởng của đơn vị", "2031-01-15 17:00", audience="unit_leaders")
        add_deadline(b, "Nộp bản đăng ký thi đua", "2031-01-15 17:00")
        assert len(dispatch_now(b.app, local("2031-01-12 08:00")).queued) == 3
        assert await worker_pass(b, "2031-01-12 08:00") == 3

        await b.tg.wait_for(lambda: len(b.tg.messages_to(STAFF_TG)) >= 6)
        leaders, everyone = (visible_text(m) for m in b.tg.messages_to(STAFF_TG)[4:6])
        assert leaders.startswith("Nhắc hạn: Nộp tờ trình khen thưởng của đơn vị")
        assert texts.REMINDER_UNIT_WIDE in leaders and texts.REMINDER_STOP in leaders
        assert texts.REMINDER_UNIT_WIDE not in everyone and texts.REMINDER_STOP in everyone
        [zalo] = (await b.zalo.wait_texts(STAFF_ZALO, seen + 1))[seen:]
        assert texts.REMINDER_STOP in zalo and texts.REMINDER_UNIT_WIDE not in zalo
        # What it says works.
        b.zalo_says(STAFF_ZALO, "/nhacnho", name="Lê Hoa")
        assert (await b.zalo.wait_texts(STAFF_ZALO, seen + 2))[-1].startswith(texts.REMINDERS_OFF)
