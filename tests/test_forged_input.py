"""Input a person can forge or smuggle in, through the real Telegram channel (the aiogram
Bot against the fake Bot API, a real SQLite file): a button's callback data is whatever
the sender puts in it, so a pressed "f:<step>:<value>" or "rem:ack:<id>" is taken only
when the bot offered it to that person now; the staff invite code cannot be guessed
without limit; control characters and bidi overrides typed into free text never reach
the database or an officer's screen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App, build_app
from bot.delivery import Limits, RateLimiter
from bot.reminders import dispatch_now
from bot.settings import Settings, load_settings
from handlers import texts
from handlers.deadlines.reminders import ack_choice
from handlers.reports import texts as rt
from storage import profiles
from storage.models import (
    ConversationState,
    Deadline,
    Profile,
    QuestionLog,
    ReminderAck,
    Report,
    User,
    utcnow,
)
from tests.conftest import REAL_CONTENT
from tests.fake_telegram import FakeTelegram, keyboard, visible_text
from tests.people import person
from tests.test_reminders import add_deadline, local, only_real_deadlines, reminders_to
from tests.test_telegram import TOKEN, Bot, running

OFFICER = 9001
STAFF = 5550101
CODE = "VKS-2026"
STORY = "Đồng chí An trực chốt kiểm dịch 30 ngày liền, hỗ trợ người dân qua chốt an toàn, không sai sót."


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


def tg_settings(tmp_path: Path, fake: FakeTelegram, **kw: object) -> Settings:
    return load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TOKEN,
                         telegram_api_url=fake.url, admin_ids=f"telegram:{OFFICER}", **kw)


class Person:
    """A Telegram user who types and presses buttons, and reads what the bot sent back."""

    def __init__(self, bot: Bot, user: int, first_name: str = "Bình", last_name: str = "Nguyễn Thị"):
        self.bot, self.user, self.names = bot, user, {"first_name": first_name, "last_name": last_name}
        # Telegram's pacing of one chat (a message a second) is tested elsewhere; here it only slows the form.
        bot.delivery.limiters["telegram"] = RateLimiter(Limits(1000.0, 1000.0, 100))

    async def _wait(self, before: int) -> list:
        fake = self.bot.fake
        await fake.wait_for(lambda: len(fake.messages_to(self.user)) > before)
        await self.bot.idle()
        return fake.messages_to(self.user)[before:]

    async def say(self, text: str) -> list:
        before = len(self.bot.fake.messages_to(self.user))
        self.bot.fake.send_message(self.user, text, **self.names)
        return await self._wait(before)

    async def press(self, data: str) -> list:
        before = len(self.bot.fake.messages_to(self.user))
        self.bot.fake.press(self.user, data)
        return await self._wait(before)


def shown(calls: list) -> str:
    return "\n".join(visible_text(c) for c in calls)


def button(calls: list, label_part: str) -> str:
    found = [data for c in calls for label, data in keyboard(c) if label_part.lower() in label.lower()]
    assert found, f"no button with {label_part!r} in {[keyboard(c) for c in calls]}"
    return found[-1]


def draft(app: App, user: int) -> dict:
    """The form in progress of a Telegram user, as committed."""
    with app.repo.session() as s:
        uid = s.exec(select(User.id).where(User.channel == "telegram", User.external_id == str(user))).one()
        row = s.get(ConversationState, uid)
        return dict(row.data.get("flow") or {}) if row else {}


def profile_of(app: App, user: int) -> Profile | None:
    with app.repo.session() as s:
        uid = s.exec(select(User.id).where(User.channel == "telegram", User.external_id == str(user))).first()
        return s.get(Profile, uid) if uid is not None else None


# --- 6. the invite code cannot be skipped with a forged button -----------------------------------

async def test_a_forged_invite_button_does_not_stand_for_the_code(tmp_path: Path, fake: FakeTelegram) -> None:
    app = build_app(tg_settings(tmp_path, fake, staff_invite_code=CODE))
    async with running(app, fake) as bot:
        staff = Person(bot, STAFF)
        m = await staff.say("/gui")
        assert "mã cán bộ" in shown(m)
        m = await staff.press("f:invite:x")
        assert texts.FLOW_NOT_OFFERED in shown(m) and "mã cán bộ" in shown(m)
        assert texts.INTERNAL_ERROR not in shown(m)
        p = profile_of(app, STAFF)
        assert p is None or not p.invite_ok
        assert draft(app, STAFF)["step"] == "invite" and "invite" not in draft(app, STAFF)["values"]
        # The code typed still works, and is asked once.
        m = await staff.say(CODE.lower())
        assert "Họ và tên" in shown(m)
        assert profile_of(app, STAFF).invite_ok


# --- 7. a step takes only what it offers, checked as typed input is ------------------------------

async def test_forged_step_values_are_refused_and_nothing_is_stored(tmp_path: Path, fake: FakeTelegram) -> None:
    app = build_app(tg_settings(tmp_path, fake))
    async with running(app, fake) as bot:
        staff = Person(bot, STAFF)
        m = await staff.say("/gui")
        m = await staff.say("Nguyễn Thị Bình")
        m = await staff.press("f:unit:../../etc")  # no such unit
        assert texts.FLOW_NOT_OFFERED in shown(m) and "đơn vị" in shown(m)
        assert profile_of(app, STAFF).unit_id is None
        m = await staff.press(button(m, "Văn phòng"))
        m = await staff.press(button(m, "Bản thân"))
        assert "tiêu chí" in shown(m)
        for forged in ("f:criterion:<b>=1+1</b>", "f:criterion", "f:", "f:criterion:"):
            m = await staff.press(forged)
            note = texts.FLOW_STALE if forged == "f:" else texts.FLOW_NOT_OFFERED
            assert note in shown(m) and texts.INTERNAL_ERROR not in shown(m), forged
            assert "tiêu chí" in shown(m) and any("2.1" in label for label, _ in keyboard(m[-1]))
            assert "criterion" not in draft(app, STAFF)["values"]
        m = await staff.press(button(m, "2.1"))
        assert "kể" in shown(m)
        m = await staff.press("f:story:x")  # a story of one letter, past the 30-character minimum
        assert texts.FLOW_NOT_OFFERED in shown(m)
        assert draft(app, STAFF)["step"] == "story" and "story" not in draft(app, STAFF)["values"]
        m = await staff.say(STORY)
        assert "khi nào" in shown(m)
        m = await staff.press("f:when:garbage")
        assert texts.FLOW_NOT_OFFERED in shown(m) and "khi nào" in shown(m)
        assert "when" not in draft(app, STAFF)["values"]
        m = await staff.say("hôm qua")
        assert "minh chứng" in shown(m)
        m = await staff.press("f:files:done")  # offered: "Xong"
        assert "kiểm tra phiếu" in shown(m)
        m = await staff.press("f:confirm:__cancel_sure")  # "are you sure?" was never asked
        assert texts.FLOW_NOT_OFFERED in shown(m) and draft(app, STAFF)["step"] == "confirm"
        m = await staff.press(button(m, "Gửi báo cáo"))
        assert "Đã gửi báo cáo, mã GT-" in shown(m)
        assert all(texts.INTERNAL_ERROR not in visible_text(c) for c in fake.messages_to(STAFF))
    with app.repo.session() as s:
        row = s.exec(select(Report)).one()
        assert (row.criterion, row.story, row.subject_kind) == ("2.1", STORY, "self")
        assert row.happened_on == (datetime.now(app.settings.tz) - timedelta(days=1)).date()


# --- 8. "Đã nộp" only from someone a deadline is for ------------------------------------------------

async def test_only_a_leader_of_the_unit_says_done_for_a_unit_leaders_deadline(tmp_path: Path,
                                                                              fake: FakeTelegram) -> None:
    app = build_app(tg_settings(tmp_path, fake))
    only_real_deadlines(app)
    did = add_deadline(app, audience="unit_leaders")
    leaders, staff, outsider = (7001, 7002), 7003, 7004
    for tg_id, leader in ((7001, True), (7002, True), (staff, False)):
        user = person(app.repo, "telegram", str(tg_id), f"Cán bộ {tg_id}")
        with app.repo.session() as s:
            profiles.save_profile(s, user.id, unit_id="van-phong", is_leader=leader, reminders=True)  # type: ignore[arg-type]
            s.commit()
    first = dispatch_now(app, local("2030-12-08 08:00"))
    assert len(first.queued) == 2  # the two leaders
    with app.repo.session() as s:
        forged = ack_choice(s.get(Deadline, did), local("2030-12-15 17:00"))  # the leaders' "Đã nộp"
    async with running(app, fake) as bot:
        m = await Person(bot, staff).press(forged)
        assert texts.REMINDER_NOT_LEADER.format(title="Nộp báo cáo sơ kết") in shown(m)
        m = await Person(bot, outsider).press(forged)  # no profile at all
        assert texts.REMINDER_NOT_LEADER.format(title="Nộp báo cáo sơ kết") in shown(m)
        m = await Person(bot, outsider).say("đã nộp")  # typed, with no reminder of their own
        assert texts.REMINDER_NOTHING_TO_ACK in shown(m)
        with app.repo.session() as s:
            assert s.exec(select(ReminderAck)).all() == []
        later = dispatch_now(app, local("2030-12-12 08:00"))
        assert sorted(r.chat_id for r in app.outbox.rows() if r.id in later.queued) == [str(x) for x in leaders]
        # Those reminders are due at that moment to come: the worker's pass at it sends them
        # (once the replies in flight are recorded: to a pass that far ahead they look expired).
        await fake.wait_for(lambda: not any(r.kind == "reply" and r.status in ("pending", "sending")
                                            for r in app.outbox.rows(limit=500)))
        await bot.delivery.run_once(now=local("2030-12-12 08:00"))
        await fake.wait_for(lambda: len(fake.messages_to(leaders[1])) == 2)
        # A leader of the unit says it: the other leader is not reminded any more.
        m = await Person(bot, leaders[0]).press(forged)
        assert texts.REMINDER_ACKED_UNIT.format(title="Nộp báo cáo sơ kết") in shown(m)
    assert dispatch_now(app, local("2030-12-14 08:00")).queued == []
    assert len(reminders_to(app, str(leaders[1]), ("pending", "sent", "sending"))) == 2


# --- 9. the invite code cannot be guessed without limit ----------------------------------------------

async def test_invite_code_guesses_are_limited_per_person_and_survive_a_restart(tmp_path: Path,
                                                                              fake: FakeTelegram) -> None:
    settings = tg_settings(tmp_path, fake, staff_invite_code=CODE)
    now = [utcnow()]
    app = build_app(settings)
    app.conversation.profiles.clock = lambda: now[0]
    async with running(app, fake) as bot:
        staff, other = Person(bot, STAFF), Person(bot, 5550202)
        await staff.say("/gui")
        m = await staff.say("doan-bua-1")
        assert "Mã chưa đúng (còn 4 lần thử" in shown(m)
        now[0] += timedelta(minutes=61)  # a wrong code an hour ago no longer counts
        for n in range(2, 7):
            m = await staff.say(f"doan-bua-{n}")
            if n < 6:
                assert f"Mã chưa đúng (còn {6 - n} lần thử" in shown(m)
        until = (now[0] + timedelta(hours=1)).astimezone(settings.tz)
        assert "sai mã cán bộ 5 lần" in shown(m) and f"{until:%H:%M ngày %d/%m/%Y}" in shown(m)
        m = await staff.say(CODE)  # the right code, during the lockout
        assert rt.INVITE_NOT_CHECKED in shown(m) and "Họ và tên" not in shown(m)
        m = await staff.say("/huy")
        m = await staff.say("/gui")  # a new form: still locked
        assert "sai mã cán bộ 5 lần" in shown(m)
        # Someone else is not held back by it.
        await other.say("/gui")
        assert "Họ và tên" in shown(await other.say(CODE))
    # A restart (a new process on the same database) keeps the count.
    now[0] += timedelta(minutes=30)
    app = build_app(settings)
    app.conversation.profiles.clock = lambda: now[0]
    async with running(app, fake) as bot:
        staff = Person(bot, STAFF)
        m = await staff.say(CODE)
        assert rt.INVITE_NOT_CHECKED in shown(m) and "sai mã cán bộ 5 lần" in shown(m)
        now[0] += timedelta(minutes=31)  # the lockout is over
        m = await staff.say(CODE)
        assert "Họ và tên" in shown(m)
        assert profile_of(app, STAFF).invite_ok


# --- 15. control characters and direction overrides -------------------------------------------------

UNSHOWN = ["\x07", "\x1b", "\x00", "\x7f", "\x85", "\x9b", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
           "\u2066", "\u2067", "\u2068", "\u2069", "\r"]


async def test_control_characters_and_direction_overrides_never_reach_officers(tmp_path: Path,
                                                                              fake: FakeTelegram) -> None:
    app = build_app(tg_settings(tmp_path, fake))
    story = ("Đồng chí An\x07\x07 trực chốt \x1b[31mkiểm dịch\x1b[0m 30 ngày liền,\r\nhỗ trợ người dân\t"
             "qua chốt \u202egnòt na\u202c an toàn \u2067x\u2069, không sai sót\x85\x9b.")
    async with running(app, fake) as bot:
        staff = Person(bot, STAFF, first_name="Bình\u202e", last_name="Nguyễn\x1b Thị")
        m = await staff.say("/gui")
        m = await staff.say("Nguyễn\x07 Thị \u202eBình\u202c")
        m = await staff.press(button(m, "Văn phòng"))
        m = await staff.press(button(m, "đồng nghiệp"))
        m = await staff.say("Nguyễn\u2066 Văn\x00 An\x7f")
        m = await staff.press(button(m, "Văn phòng"))
        m = await staff.press(button(m, "2.1"))
        m = await staff.say("\x07" * 29 + "x")  # 30 characters as typed, one that shows
        assert "ngắn quá" in shown(m)
        m = await staff.say(story)
        m = await staff.say("hôm qua")
        m = await staff.press(button(m, "Không có tệp"))
        m = await staff.press(button(m, "Gửi báo cáo"))
        assert "Đã gửi báo cáo" in shown(m)
        await staff.say("thủ tục\x07 khen \u202ethưởng\u202c là gì\x1b")
        await fake.wait_for(lambda: fake.messages_to(OFFICER))
        notice = fake.messages_to(OFFICER)[0].params["text"]
    assert "Nguyễn Văn An" in notice and "kiểm dịch" in notice
    with app.repo.session() as s:
        row = s.exec(select(Report)).one()
        user = s.exec(select(User).where(User.external_id == str(STAFF))).one()
        logged = [x.text for x in s.exec(select(QuestionLog))]
        stored = [row.story, row.subject_name, row.submitter_name, user.display_name, *logged]
    assert row.story == ("Đồng chí An trực chốt [31mkiểm dịch[0m 30 ngày liền,\nhỗ trợ người dân\tqua chốt gnòt na "
                         "an toàn x, không sai sót.")
    assert (row.subject_name, row.submitter_name, user.display_name) == ("Nguyễn Văn An", "Nguyễn Thị Bình",
                                                                          "Bình Nguyễn Thị")
    assert any("thủ tục khen thưởng là gì" in x for x in logged)
    for text in [*stored, *(c.params["text"] for c in fake.calls_to("sendMessage"))]:
        assert not any(ch in text for ch in UNSHOWN), repr(text)
