"""The Zalo channel end to end, against the fake Zalo Bot API in tests/fake_zalo.py:
long polling and webhook through the shared pipeline, numbered menus, the DB inbox."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp import ClientSession, web
from sqlalchemy import update as sa_update
from sqlmodel import select

from bot.app import App, build_app
from bot.delivery import Delivery
from bot.kernel.inbound import Inbound
from bot.kernel.retry import Backoff
from bot.kernel.wiring import Kernel
from bot.pipeline import Pipeline
from bot.rendering import ZALO_LIMIT
from bot.runner import make_web_app
from bot.settings import Settings, load_settings
from bot.zalo import ZaloChannel, ZaloConfigError, ZaloUnauthorized
from bot.zalo.adapter import MAX_BODY
from handlers import texts
from handlers.commands import help_text
from storage.models import ProcessedUpdate, QuestionLog, User, utcnow
from tests import wiring
from tests.conftest import REAL_CONTENT
from tests.fake_zalo import TOKEN, FakeZalo, make_update

CONTENT = REAL_CONTENT  # the curated content; the long-answer test adds one entry to a copy
SECRET = "zalo-webhook-secret-123"


def assert_hcld_dossier_answer(text: str) -> None:
    """The stable facts of the answer to "ho so hcld nop may bo": 05 copies, from plan 515, section IV.4."""
    assert "Huân chương Lao động" in text and "05 bộ" in text
    source = next(line for line in text.splitlines() if line.startswith("Nguồn:"))
    assert "KH 515/KH-VKS" in source and "IV.4" in source


@dataclass
class Bot:
    app: App
    kernel: Kernel
    fake: FakeZalo
    sleeps: list[float]

    @property
    def channel(self) -> ZaloChannel:
        return self.kernel.channels["zalo"]  # type: ignore[return-value]

    @property
    def inbound(self) -> Inbound:
        return self.kernel.inbound["zalo"]

    @property
    def pipeline(self) -> Pipeline:
        return self.kernel.pipeline

    @property
    def delivery(self) -> Delivery:
        return self.kernel.delivery

    def inbox(self) -> list[ProcessedUpdate]:
        with self.app.repo.session() as s:
            return list(s.exec(select(ProcessedUpdate).where(ProcessedUpdate.channel == "zalo")))


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    f = await FakeZalo().start()
    yield f
    await f.stop()


def zalo_settings(tmp_path: Path, fake: FakeZalo, content: Path = CONTENT, **extra: object) -> Settings:
    values: dict[str, object] = {"data_dir": tmp_path / "data", "content_dir": content, "zalo_bot_token": TOKEN,
                                 "zalo_api_url": fake.url, "zalo_webhook_secret": SECRET,
                                 "zalo_file_hosts": "127.0.0.1"}  # the fake serves the photos
    values.update(extra)
    return load_settings(**values)


async def make_bot(settings: Settings, fake: FakeZalo) -> Bot:
    app = build_app(settings)
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        await asyncio.sleep(0)

    # No waiting on the per-chat limit (1 a second): test_delivery.py is where the limits are tested.
    kernel = wiring.zalo(app, backoff=Backoff(0.5, 4.0), sleep=sleep, limits=wiring.NO_LIMITS)
    return Bot(app, kernel, fake, sleeps)


@pytest.fixture
async def polling(tmp_path: Path, fake: FakeZalo) -> AsyncIterator[Bot]:
    """A Zalo channel long polling the fake; each test pushes updates."""
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    await bot.inbound.start()
    task = asyncio.create_task(bot.inbound.poll())
    yield bot
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await bot.inbound.close()


# --- conversation over polling ---------------------------------------------------
async def test_greeting_shows_a_numbered_menu_and_a_number_chooses(polling: Bot) -> None:
    fake = polling.fake
    fake.push(make_update(message_id="m1", text="xin chào", user="u1", name="Nguyễn Văn An"))
    [menu] = await fake.wait_texts("u1", 1)
    assert "Kính chào đồng chí Nguyễn Văn An" in menu
    assert f"1. {texts.MENU_QA}" in menu and f"4. {texts.MENU_DOSSIER}" in menu and f"7. {texts.MENU_HELP}" in menu
    assert "(Trả lời bằng số từ 1 đến 7.)" in menu
    # Typing was shown before the answer.
    actions = fake.calls_of("sendChatAction")
    first_send = next(c for c in fake.calls if c.method == "sendMessage")
    assert actions and actions[0].body == {"chat_id": "u1", "action": "typing"} and actions[0].at <= first_send.at

    fake.push(make_update(message_id="m2", text="1", user="u1"))
    texts_ = await fake.wait_texts("u1", 2)
    assert texts.ASK_PROMPT.splitlines()[0] in texts_[1]
    assert "1. " in texts_[1] and texts.BACK_TO_MENU in texts_[1]


async def test_start_command_and_quick_choice_are_read_in_order(polling: Bot) -> None:
    fake = polling.fake
    # Both arrive back to back: "7" must be read against the menu "/start" produced.
    fake.push(make_update("text_no_event_name", message_id="s1", text="/start", user="u2"))
    fake.push(make_update(message_id="s2", text="7", user="u2"))
    got = await fake.wait_texts("u2", 2)
    assert texts.MENU_QA in got[0]
    assert help_text(officer=False).splitlines()[0] in got[1]


async def test_staff_questions_are_answered_with_their_source(polling: Bot) -> None:
    fake = polling.fake
    fake.push(make_update("text_bare_first_name", message_id="q1", text="ho so hcld nop may bo", user="u3",
                          name="Trần Thị Bình"))
    [answer] = await fake.wait_texts("u3", 1)
    assert_hcld_dossier_answer(answer)
    assert "1. " in answer and texts.BACK_TO_MENU in answer  # related entries and the menu, numbered

    fake.push(make_update(message_id="q2", text="hồ sơ đăng ký kết hôn cần gì", user="u3", name="Trần Thị Bình"))
    got = await fake.wait_texts("u3", 2)
    assert got[1].startswith(texts.FALLBACK.split(",")[0])
    await polling.inbound.wait_idle()

    with polling.app.repo.session() as s:
        users = list(s.exec(select(User).where(User.channel == "zalo", User.external_id == "u3")))
        log = list(s.exec(select(QuestionLog).where(QuestionLog.channel == "zalo")))
    assert len(users) == 1 and users[0].display_name == "Trần Thị Bình"
    assert [(q.text, q.outcome) for q in log] == [("ho so hcld nop may bo", "answer"),
                                                 ("hồ sơ đăng ký kết hôn cần gì", "fallback")]
    assert all(q.user_id == users[0].id for q in log)
    assert {u.status for u in polling.inbox()} == {"done"}


async def test_duplicate_event_is_answered_once(polling: Bot) -> None:
    fake = polling.fake
    update = make_update(message_id="dup-1", text="xin chao", user="u4")
    fake.push(update)
    fake.push(update)
    fake.push(make_update(message_id="dup-2", text="cam on", user="u4"))
    got = await fake.wait_texts("u4", 2)
    await polling.inbound.wait_idle()  # "cam on" came after the duplicate: its answer would be in by now
    assert len(fake.texts("u4")) == 2 and got[1] == texts.THANKS
    rows = [r for r in polling.inbox() if r.update_key.startswith("dup-")]
    assert sorted((r.update_key, r.status) for r in rows) == [("dup-1", "done"), ("dup-2", "done")]


async def test_sticker_voice_image_unsupported_unknown_and_broken_events(polling: Bot) -> None:
    fake = polling.fake
    fake.push(make_update("sticker", message_id="e1", user="u5"))
    fake.push(make_update("voice", message_id="e2", user="u5"))
    fake.push(make_update("unsupported", message_id="e3", user="u5"))
    fake.push(make_update("unknown_event", message_id="e4", user="u5"))
    fake.push(make_update("missing_chat", message_id="e5", user="u5"))
    fake.push({"event_name": "message.text.received"})
    fake.push(make_update("image", message_id="e6", user="u5"))
    fake.push(make_update(message_id="e7", text="cảm ơn", user="u5"))
    got = await fake.wait_texts("u5", 5)
    assert got == [texts.UNSUPPORTED["sticker"], texts.UNSUPPORTED["voice"], texts.UNSUPPORTED["unsupported"],
                   texts.UNSUPPORTED["photo"], texts.THANKS]
    await polling.inbound.wait_idle()
    status = {r.update_key: r.status for r in polling.inbox()}
    assert status == {"e1": "done", "e2": "done", "e3": "done", "e4": "done", "e6": "done", "e7": "done"}


async def test_in_a_group_only_messages_for_the_bot_are_answered(polling: Bot) -> None:
    # Chatter among members, and a sticker, are left alone...
    polling.fake.push(make_update("group_text", message_id="g0", text="chiều nay họp nhé", user="u7", chat="g-1"))
    sticker = make_update("sticker", message_id="g0s", user="u7", chat="g-1")
    sticker["message"]["chat"]["chat_type"] = "GROUP"
    polling.fake.push(sticker)
    # ...a mention by the bot's account name is answered in the group, without the mention.
    polling.fake.push(make_update("group_text", message_id="g1", text="@bot.thidua xin chao", user="u6", chat="g-1"))
    [menu] = await polling.fake.wait_texts("g-1", 1)
    assert texts.MENU_QA in menu
    polling.fake.push(make_update("group_text", message_id="g2", text="/trogiup", user="u6", chat="g-1"))
    await polling.fake.wait_texts("g-1", 2)
    await polling.inbound.wait_idle()
    replies = polling.fake.texts("g-1")
    assert len(replies) == 2 and texts.MENU_QA not in replies[1]
    status = {r.update_key: r.status for r in polling.inbox()}
    assert status["g0"] == status["g0s"] == "done"
    with polling.app.repo.session() as s:
        assert s.exec(select(User).where(User.channel == "zalo", User.external_id == "u6")).first() is not None


async def test_an_answer_zalo_could_not_take_is_kept_and_sent_by_the_recovery_sweep(polling: Bot) -> None:
    fake = polling.fake
    # A gateway error or two is retried at once...
    fake.break_send = 2
    fake.push(make_update(message_id="d0", text="giấy khen cần mấy bộ hồ sơ", user="u9"))
    [first] = await fake.wait_texts("u9", 1)
    assert "01 bộ" in first
    # ...a longer outage leaves the answer in the outbox for the delivery worker.
    fake.break_send = 3
    fake.push(make_update(message_id="d1", text="ho so huan chuong lao dong nop may bo", user="u8"))
    await fake.wait_for(lambda: any(r.status == "pending" and r.attempts == 1 for r in polling.app.outbox.rows()),
                        what="a kept answer")
    assert fake.texts("u8") == []
    assert await polling.delivery.run_once(now=utcnow() + timedelta(minutes=10)) == 1
    [answer] = await fake.wait_texts("u8", 1)
    assert answer.startswith(texts.LATE_ANSWER.format(question="ho so huan chuong lao dong nop may bo"))
    # Late, the answer comes without its numbered choices: "1" now means what the user saw last.
    assert "05 bộ" in answer and "(Trả lời" not in answer
    await polling.inbound.wait_idle()
    assert [r.status for r in polling.inbox()] == ["done", "done"]
    assert len(polling.app.repo.question_log()) == 2  # each handled once; only the reply was sent again


async def test_long_answer_is_split_under_2000_characters(tmp_path: Path, fake: FakeZalo) -> None:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    topic = yaml.safe_load((content / "topics.yaml").read_text(encoding="utf-8"))["topics"][0]["id"]
    paragraphs = [f"Mục {i}. " + "Hồ sơ đề nghị khen thưởng phải ghi rõ thành tích, số liệu minh chứng. " * 9
                  for i in range(1, 11)]
    entry = {"id": "zz-long-answer", "topic": topic, "title": "Quy trình xét duyệt zeta",
             "questions": ["quy trình xét duyệt zeta omega"], "answer": "\n\n".join(paragraphs),
             "short": "Quy trình xét duyệt zeta có 10 mục.", "source": "Tài liệu thử, mục 1"}
    (content / "entries" / "zz_long.yaml").write_text(yaml.safe_dump({"entries": [entry]}, allow_unicode=True),
                                                      encoding="utf-8")
    bot = await make_bot(zalo_settings(tmp_path, fake, content=content), fake)
    await bot.inbound.start()
    task = asyncio.create_task(bot.inbound.poll())
    try:
        fake.push(make_update(message_id="L1", text="quy trinh xet duyet zeta omega", user="u7"))
        await bot.inbound.wait_idle()
        await fake.wait_for(lambda: any("Nguồn: Tài liệu thử" in t for t in fake.texts("u7")), what="short answer")
        [short] = fake.texts("u7")  # the short answer first, the long one behind "Xem chi tiết"
        assert "10 mục" in short and f"1. {texts.SEE_DETAILS}" in short and len(short) <= 700
        fake.push(make_update(message_id="L2", text="1", user="u7"))
        await bot.inbound.wait_idle()
        await fake.wait_for(lambda: sum("Nguồn: Tài liệu thử" in t for t in fake.texts("u7")) >= 2,
                            what="long answer")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.inbound.close()
    parts = fake.texts("u7")[1:]
    assert len(parts) >= 4
    assert all(len(p) <= ZALO_LIMIT for p in parts)
    assert all(c.body.get("_accepted") for c in fake.calls_of("sendMessage"))  # the fake refused nothing
    assert parts[0].startswith("Quy trình xét duyệt zeta\n\nMục 1.")  # the entry's title, then the answer
    assert all(p.startswith("Mục ") for p in parts[1:])  # every part starts at a paragraph
    assert "\n\n".join(parts).startswith("Quy trình xét duyệt zeta\n\n" + "\n\n".join(paragraphs[:2]))
    assert "Nguồn: Tài liệu thử, mục 1" in parts[-1] and f"1. {texts.BACK_TO_MENU}" in parts[-1]


# --- errors, backoff, the token --------------------------------------------------------
async def test_invalid_token_stops_at_start_with_a_clear_error(tmp_path: Path, fake: FakeZalo,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    fake.token = "999:another-bot"
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    with pytest.raises(ZaloUnauthorized, match="ZALO_BOT_TOKEN"):
        await bot.inbound.start()
    await bot.inbound.close()
    assert "Zalo refused the bot token" in caplog.text and TOKEN not in caplog.text


async def test_token_revoked_while_polling_stops_polling(polling: Bot, caplog: pytest.LogCaptureFixture) -> None:
    polling.fake.revoked = True
    task = asyncio.create_task(polling.inbound.poll())
    with pytest.raises(ZaloUnauthorized):
        await asyncio.wait_for(task, timeout=5)
    assert "Zalo polling stopped" in caplog.text


async def test_transport_errors_back_off_and_recover(polling: Bot) -> None:
    fake = polling.fake
    fake.failures.extend(["502", "drop", "html", "502"])
    await fake.wait_for(lambda: not fake.failures, what="the failures to be served")
    fake.push(make_update(message_id="t1", text="xin chao", user="u8"))
    await fake.wait_texts("u8", 1)
    assert polling.sleeps == [0.5, 1.0, 2.0, 4.0]
    # Reset after a success: the next failure waits the initial delay again, capped on the way up.
    fake.failures.extend(["502"] * 6)
    await fake.wait_for(lambda: not fake.failures, what="the failures to be served")
    fake.push(make_update(message_id="t2", text="cam on", user="u8"))
    await fake.wait_texts("u8", 2)
    assert polling.sleeps == [0.5, 1.0, 2.0, 4.0] + [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


async def test_refused_sends_are_logged_and_the_update_is_finished(polling: Bot,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    fake = polling.fake
    fake.refuse_send = 1  # the next sendMessage answers ok:false
    fake.push(make_update(message_id="f1", text="xin chao", user="u9"))
    await fake.wait_for(lambda: fake.calls_of("sendMessage"), what="a send attempt")
    await polling.inbound.wait_idle()
    assert "refused message" in caplog.text and "error 400" in caplog.text
    assert polling.app.repo.update_status("zalo", "f1") == "done"
    [failed] = polling.app.outbox.rows(("failed",))
    assert failed.chat_id == "u9" and "error 400" in (failed.last_error or "")
    fake.push(make_update(message_id="f2", text="cam on", user="u9"))
    assert await fake.wait_texts("u9", 1) == [texts.THANKS]
    assert TOKEN not in caplog.text


async def test_recover_reprocesses_updates_accepted_before_a_crash(tmp_path: Path, fake: FakeZalo) -> None:
    settings = zalo_settings(tmp_path, fake)
    first = await make_bot(settings, fake)
    update = make_update(message_id="crash-1", text="ho so hcld nop may bo", user="u10")
    # The previous process accepted it, then died before answering.
    assert await first.pipeline.accept("zalo", "crash-1", update)
    await first.inbound.close()
    second = await make_bot(settings, fake)
    await second.inbound.start()
    try:
        await second.inbound.wait_idle()
        [answer] = await fake.wait_texts("u10", 1)
    finally:
        await second.inbound.close()
    assert_hcld_dossier_answer(answer)
    assert second.app.repo.update_status("zalo", "crash-1") == "done"


async def test_an_answer_late_after_a_restart_says_it_is_late_without_blaming_the_network(
        tmp_path: Path, fake: FakeZalo) -> None:
    settings = zalo_settings(tmp_path, fake)
    first = await make_bot(settings, fake)
    update = make_update(message_id="down-1", text="ho so hcld nop may bo", user="u12")
    # Accepted five minutes ago, just before the bot stopped; it starts again now.
    assert await first.pipeline.accept("zalo", "down-1", update)
    with first.app.repo.session() as s:
        s.execute(sa_update(ProcessedUpdate).where(ProcessedUpdate.update_key == "down-1")  # type: ignore[arg-type]
                  .values(created_at=utcnow() - timedelta(minutes=5)))
        s.commit()
    await first.inbound.close()
    second = await make_bot(settings, fake)
    await second.inbound.start()
    try:
        await second.inbound.wait_idle()
        [answer] = await fake.wait_texts("u12", 1)
    finally:
        await second.inbound.close()
    assert answer.startswith(texts.LATE_ANSWER.format(question="ho so hcld nop may bo"))
    assert "đường truyền" not in answer  # the cause was a restart, not the network
    assert_hcld_dossier_answer(answer)


async def test_token_never_appears_in_logs(tmp_path: Path, fake: FakeZalo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # `python -m bot` commands quieten it globally
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    await bot.inbound.start()
    task = asyncio.create_task(bot.inbound.poll())
    try:
        fake.failures.extend(["502", "drop"])
        fake.push(make_update(message_id="k1", text="xin chao", user="u11"))
        await fake.wait_texts("u11", 1)
        await bot.inbound.wait_idle()
        fake.revoked = True
        with pytest.raises(ZaloUnauthorized):
            await asyncio.wait_for(task, timeout=5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.inbound.close()
    assert "HTTP Request" in caplog.text  # httpx logged every call...
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text  # ...without the token
    for record in caplog.records:
        if record.exc_info:
            assert TOKEN not in logging.Formatter().formatException(record.exc_info)


# --- webhook -----------------------------------------------------------------------------
@pytest.fixture
async def webhook(tmp_path: Path, fake: FakeZalo) -> AsyncIterator[tuple[Bot, str]]:
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    await bot.inbound.start()
    runner = web.AppRunner(make_web_app({"zalo": bot.inbound}), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield bot, f"http://127.0.0.1:{port}/webhook/zalo"
    await runner.cleanup()
    await bot.inbound.close()


async def test_webhook_checks_the_secret_first(webhook: tuple[Bot, str]) -> None:
    bot, url = webhook
    update = make_update(envelope=True, message_id="w1", text="xin chao", user="w-u1")
    async with ClientSession() as http:
        async with http.post(url, json=update) as r:
            assert r.status == 401
        async with http.post(url, json=update, headers={"X-Bot-Api-Secret-Token": "wrong-secret-123"}) as r:
            assert r.status == 403
        async with http.post(url, data=b"not json", headers={"X-Bot-Api-Secret-Token": "x"}) as r:
            assert r.status == 403  # a bad body behind a wrong secret is not even looked at
        assert bot.inbox() == [] and bot.fake.texts() == []

        async with http.post(url, json=update, headers={"X-Bot-Api-Secret-Token": SECRET}) as r:
            assert r.status == 200 and (await r.json()) == {"ok": True}
        [menu] = await bot.fake.wait_texts("w-u1", 1)
        assert texts.MENU_QA in menu

        # The same event again (Zalo may redeliver): acknowledged, not answered twice.
        async with http.post(url, json=update, headers={"X-Bot-Api-Secret-Token": SECRET}) as r:
            assert r.status == 200
        # The bare result object works as well as the envelope.
        bare = make_update(message_id="w2", text="ho so hcld nop may bo", user="w-u1")
        async with http.post(url, json=bare, headers={"X-Bot-Api-Secret-Token": SECRET}) as r:
            assert r.status == 200
        got = await bot.fake.wait_texts("w-u1", 2)
        assert_hcld_dossier_answer(got[1])
        await bot.inbound.wait_idle()
        assert len(bot.fake.texts("w-u1")) == 2
        assert sorted(r.update_key for r in bot.inbox()) == ["w1", "w2"]


async def test_webhook_rejects_bad_bodies(webhook: tuple[Bot, str]) -> None:
    bot, url = webhook
    headers = {"X-Bot-Api-Secret-Token": SECRET}
    async with ClientSession() as http:
        async with http.post(url, data=b"x" * (MAX_BODY + 10), headers=headers) as r:
            assert r.status == 413
        async with http.post(url, data=b"{not json", headers=headers) as r:
            assert r.status == 400
        async with http.post(url, json=[1, 2], headers=headers) as r:
            assert r.status == 400
        # A large (but allowed) body sent in chunks, without Content-Length, is read whole.
        big = make_update(message_id="w-big", text="a " * 60_000, user="w-u3")

        async def chunks():  # noqa: ANN202
            data = json.dumps(big).encode()
            for i in range(0, len(data), 10_000):
                yield data[i:i + 10_000]

        async with http.post(url, data=chunks(), headers=headers) as r:
            assert r.status == 200
        [too_long] = await bot.fake.wait_texts("w-u3", 1)
        assert too_long.startswith(texts.TOO_LONG.split("(")[0])
        # Valid JSON without what we need: acknowledged (so Zalo stops retrying) and ignored.
        async with http.post(url, json={"event_name": "message.text.received", "message": {"text": "hi"}},
                             headers=headers) as r:
            assert r.status == 200
        async with http.post(url, json=make_update("unknown_event", message_id="w-unk", user="w-u2"),
                             headers=headers) as r:
            assert r.status == 200
    await bot.inbound.wait_idle()
    assert len(bot.fake.texts()) == 1
    assert sorted((r.update_key, r.status) for r in bot.inbox()) == [("w-big", "done"), ("w-unk", "done")]


async def test_webhook_mode_without_a_secret_refuses_to_start(tmp_path: Path, fake: FakeZalo) -> None:
    bot = await make_bot(zalo_settings(tmp_path, fake, zalo_webhook_secret=None), fake)
    with pytest.raises(ZaloConfigError, match="ZALO_WEBHOOK_SECRET"):
        make_web_app({"zalo": bot.inbound})
    with pytest.raises(ZaloConfigError):
        await bot.channel.set_webhook("https://bot.example.gov.vn/webhook/zalo")
    await bot.inbound.close()


async def test_webhook_set_and_delete_commands(tmp_path: Path, fake: FakeZalo, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    for name, value in {"ZALO_BOT_TOKEN": TOKEN, "ZALO_API_URL": fake.url, "ZALO_WEBHOOK_SECRET": SECRET,
                        "DATA_DIR": str(tmp_path / "data"), "CONTENT_DIR": str(CONTENT)}.items():
        monkeypatch.setenv(name, value)
    url = "https://bot.example.gov.vn/webhook/zalo"
    # The command runs its own event loop; the fake keeps serving on this one.
    assert await asyncio.wait_for(asyncio.to_thread(main, ["webhook", "set", "--channel", "zalo", "--url", url]), 20) == 0
    assert fake.webhook["url"] == url and fake.webhook_secret == SECRET
    assert fake.calls_of("setWebhook")[-1].body == {"url": url, "secret_token": SECRET}
    assert await asyncio.wait_for(asyncio.to_thread(main, ["webhook", "delete", "--channel", "zalo"]), 20) == 0
    assert fake.webhook["url"] == "" and fake.calls_of("deleteWebhook")


async def test_run_command_stops_with_a_readable_error_on_a_refused_token(
        tmp_path: Path, fake: FakeZalo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from bot.cli import main

    fake.token = "999:the-real-bot"
    for name, value in {"ZALO_BOT_TOKEN": TOKEN, "ZALO_API_URL": fake.url, "DATA_DIR": str(tmp_path / "data"),
                        "CONTENT_DIR": str(CONTENT)}.items():
        monkeypatch.setenv(name, value)
    assert await asyncio.wait_for(asyncio.to_thread(main, ["run"]), 20) == 1
    err = capsys.readouterr().err
    assert "Cannot run: Zalo refused the bot token" in err and "ZALO_BOT_TOKEN" in err
    assert "Traceback" not in err and TOKEN not in err


async def test_polling_removes_a_leftover_webhook(tmp_path: Path, fake: FakeZalo,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    fake.webhook = {"url": "https://old.example/webhook/zalo", "updated_at": 1}
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    await bot.inbound.start()
    task = asyncio.create_task(bot.inbound.poll())
    try:
        fake.push(make_update(message_id="p1", text="xin chao", user="u12"))
        await fake.wait_texts("u12", 1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.inbound.close()
    assert fake.webhook["url"] == "" and "was set; deleting it" in caplog.text


# --- both channels in one process ------------------------------------------------------------
TELEGRAM_TOKEN = "123456789:TEST-telegram-token-abcdef"


class TrivialTelegram:
    """Just enough Telegram Bot API for a channel to start and long-poll: getMe, an
    empty getUpdates after a short wait, and `true` for everything else
    (deleteWebhook, setMyCommands, ...). Accepts JSON, form or multipart bodies."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> TrivialTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        await request.read()
        self.calls.append(method)
        if request.match_info["token"] != TELEGRAM_TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        if method.lower() == "getme":
            return web.json_response({"ok": True, "result": {"id": 123456789, "is_bot": True, "first_name": "Trợ lý",
                                                             "username": "thidua_test_bot"}})
        if method.lower() == "getupdates":
            await asyncio.sleep(0.2)
            return web.json_response({"ok": True, "result": []})
        return web.json_response({"ok": True, "result": True})


async def test_telegram_and_zalo_run_together(tmp_path: Path, fake: FakeZalo) -> None:
    try:
        from bot.telegram import TelegramChannel  # noqa: F401
    except ImportError:
        pytest.skip("bot.telegram.TelegramChannel is not there yet (written in parallel); nothing to run beside Zalo")
    from bot.runner import serve

    telegram = await TrivialTelegram().start()
    settings = zalo_settings(tmp_path, fake, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.url)
    app = build_app(settings)
    task = asyncio.create_task(serve(app))
    try:
        fake.push(make_update(message_id="both-1", text="ho so hcld nop may bo", user="u-both"))
        await fake.wait_for(lambda: task.done() or (fake.texts("u-both") and "getUpdates" in telegram.calls),
                            10, "a Zalo answer while Telegram polls too")
        if task.done():
            raise AssertionError("serve() stopped") from task.exception()
        [answer] = fake.texts("u-both")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await telegram.stop()
    assert_hcld_dossier_answer(answer)
    assert {"getMe", "getUpdates"} <= set(telegram.calls)
    with app.repo.session() as s:
        users = list(s.exec(select(User)))
        log = list(s.exec(select(QuestionLog)))
    assert [(u.channel, u.external_id) for u in users] == [("zalo", "u-both")]
    assert [(q.channel, q.text, q.outcome) for q in log] == [("zalo", "ho so hcld nop may bo", "answer")]
