"""End to end: the real aiogram Bot of the Telegram channel against a fake Bot API
server on 127.0.0.1, polling and webhook, with the real curated content and a
fresh SQLite database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from bot.app import App, build_app, setup_logging
from bot.kernel.inbound import Inbound
from bot.kernel.wiring import Kernel
from bot.pipeline import FloodGuard
from bot.runner import make_web_app
from bot.settings import Settings, load_settings
from bot.telegram import TelegramChannel
from bot.telegram.channel import SECRET_HEADER, WEBHOOK_PATH
from bot.telegram.retry import api_retry
from content.service import Knowledge
from handlers import texts
from handlers.context import TurnContext
from handlers.conversation import Conversation
from handlers.events import Choice, Document, IncomingEvent, Reply, Turn
from storage.models import ProcessedUpdate, User, utcnow
from tests import wiring
from tests.conftest import REAL_CONTENT, shared_knowledge
from tests.fake_telegram import FakeTelegram, keyboard, parse_html, visible_text

CONTENT = REAL_CONTENT
TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
SECRET = "webhook-Secret_0123456789"
FAST = wiring.FAST_RETRY
USER = 5550001
QUESTION = "BK TTg nộp mấy bộ?"  # answered from KH 515/KH-VKS, mục IV.4: "04 bộ"
AMBIGUOUS = "hồ sơ"  # close to several entries: the bot asks which one


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN) as server:
        yield server


@pytest.fixture
def tg_settings(tmp_path: Path, fake: FakeTelegram) -> Settings:
    return load_settings(data_dir=tmp_path / "data", content_dir=CONTENT, telegram_bot_token=TOKEN,
                         telegram_api_url=fake.url, telegram_webhook_secret=SECRET)


@pytest.fixture
def knowledge() -> Knowledge:
    return shared_knowledge()


@pytest.fixture
def tg_app(tg_settings: Settings, knowledge: Knowledge) -> App:
    return build_app(tg_settings, knowledge=knowledge)


class Bot:
    """A started channel, polling the fake server in a background task."""

    def __init__(self, app: App, fake: FakeTelegram, kernel: Kernel):
        self.app, self.fake = app, fake
        self.channel, self.pipeline, self.delivery = kernel.channels["telegram"], kernel.pipeline, kernel.delivery
        self.inbound = kernel.inbound["telegram"]

    async def ask(self, user: int, text: str, **kw: object) -> list[str]:
        """Send a message and wait for the bot's answer to that user (its visible texts)."""
        before = len(self.fake.messages_to(kw.get("chat_id", user)))
        self.fake.send_message(user, text, **kw)  # type: ignore[arg-type]
        await self.fake.wait_for(lambda: self.fake.messages_to(kw.get("chat_id", user))[before:])
        await self.idle()
        return [visible_text(c) for c in self.fake.messages_to(kw.get("chat_id", user))[before:]]

    async def idle(self, timeout: float = 5.0) -> None:
        """Wait until every update taken in has been handled."""
        deadline = time.monotonic() + timeout
        while len(self.inbound.tasks) or not all(self._done(u["update_id"]) for u in self.fake.updates):
            assert time.monotonic() < deadline, "bot did not go idle"
            await asyncio.sleep(0.01)

    def _done(self, update_id: int) -> bool:
        return self.app.repo.update_status("telegram", str(update_id)) in ("done", "failed")


@contextlib.asynccontextmanager
async def running(app: App, fake: FakeTelegram, *, poll: bool = True, flood: FloodGuard | None = None,
                  worker: bool = True, **kw: object) -> AsyncIterator[Bot]:
    kw.setdefault("retry", FAST)
    kernel = wiring.telegram(app, flood=flood, limits={}, **kw)
    delivery, inbound = kernel.delivery, kernel.inbound["telegram"]
    stop = asyncio.Event()
    sender = asyncio.create_task(delivery.run(stop, every=0.2)) if worker else None
    await inbound.start()
    task = asyncio.create_task(inbound.poll()) if poll else None
    try:
        yield Bot(app, fake, kernel)
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 5)
        await asyncio.wait_for(inbound.close(), 15)
        stop.set()
        if sender is not None:
            await asyncio.wait_for(sender, 5)


def _users(app: App) -> list[User]:
    with app.repo.session() as s:
        return list(s.exec(select(User)))


def _inbox(app: App) -> list[ProcessedUpdate]:
    with app.repo.session() as s:
        return list(s.exec(select(ProcessedUpdate)))


# --- menus, answers, buttons ----------------------------------------------------------

async def test_start_sets_commands_and_menu_arrives_as_inline_keyboard(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        commands = (await fake.wait_for(lambda: fake.calls_to("setMyCommands")))[0].params["commands"]
        assert [c["command"] for c in commands] == ["start", "menu", "hoi", "huy", "hoivanphong", "gui", "baocaocuatoi",
                                                     "lich", "hoso", "trogiup"]
        assert all(c["description"] for c in commands)

        await bot.ask(USER, "/start")
        call = fake.messages_to(USER)[-1]
        assert call.params["parse_mode"] == "HTML"
        assert "Kính chào đồng chí Lan Nguyễn" in visible_text(call)
        buttons = keyboard(call)
        assert (texts.MENU_FORMS, "t:hinh-thuc") in buttons
        assert len(buttons) == 7
        assert all(len(data.encode()) <= 64 for _label, data in buttons)
    users = _users(tg_app)
    assert [(u.channel, u.external_id, u.display_name) for u in users] == [("telegram", str(USER), "Lan Nguyễn")]


async def test_question_is_answered_with_its_source_and_logged(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        answer = "\n".join(await bot.ask(USER, QUESTION))
    assert "04 bộ" in answer
    source = next(line for line in answer.splitlines() if line.startswith("Nguồn:"))
    assert "KH 515/KH-VKS" in source and "IV.4" in source
    assert f"<i>{source}</i>" in fake.messages_to(USER)[-1].params["text"]
    title = tg_app.knowledge.kb.by_id[tg_app.repo.question_log()[0].entry_id].title
    assert fake.messages_to(USER)[-1].params["text"].startswith(f"<b>{title}</b>\n\n")  # what is answered, first
    log = tg_app.repo.question_log()
    assert len(log) == 1
    assert (log[0].channel, log[0].outcome, log[0].text) == ("telegram", "answer", QUESTION)
    assert log[0].user_id == _users(tg_app)[0].id


async def test_button_press_is_answered_and_opens_the_chosen_entry(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        await bot.ask(USER, "/menu")
        fake.press(USER, "t:ho-so")
        await fake.wait_for(lambda: len(fake.messages_to(USER)) >= 2)
        await bot.idle()
        assert len(fake.calls_to("answerCallbackQuery")) == 1
        topic = fake.messages_to(USER)[-1]
        entries = [(label, data) for label, data in keyboard(topic) if data.startswith("e:")]
        assert entries, "the topic lists its entries as buttons"
        target = next(e for e in entries if "Thủ tướng" in e[0])

        fake.press(USER, target[1])
        await fake.wait_for(lambda: len(fake.messages_to(USER)) >= 3)
        await bot.idle()
        assert len(fake.calls_to("answerCallbackQuery")) == 2
        entry_text = visible_text(fake.messages_to(USER)[-1])
        assert "04 bộ" in entry_text and "Nguồn:" in entry_text
        assert (texts.BACK_TO_MENU, "menu") in keyboard(fake.messages_to(USER)[-1])


async def test_clarify_choice_leads_to_the_answer(tg_app: App, fake: FakeTelegram) -> None:
    question = AMBIGUOUS
    assert tg_app.knowledge.match(question).kind == "clarify", "content changed: pick another ambiguous question"
    async with running(tg_app, fake) as bot:
        texts_ = await bot.ask(USER, question)
        assert texts.CLARIFY in texts_[-1]
        options = [b for b in keyboard(fake.messages_to(USER)[-1]) if b[1].startswith("e:")]
        assert len(options) >= 2
        label, data = options[0]
        fake.press(USER, data)
        await fake.wait_for(lambda: len(fake.messages_to(USER)) >= 2)
        await bot.idle()
        chosen = visible_text(fake.messages_to(USER)[-1])
        entry = tg_app.knowledge.kb.by_id[data[2:]]
        assert entry.source in chosen
    assert [q.outcome for q in tg_app.repo.question_log()] == ["clarify"]


async def test_numbered_answer_also_picks_a_clarify_option(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        await bot.ask(USER, AMBIGUOUS)
        first = keyboard(fake.messages_to(USER)[-1])[0][1]
        answer = await bot.ask(USER, "1")
        assert tg_app.knowledge.kb.by_id[first[2:]].source in answer[-1]


# --- rendering ------------------------------------------------------------------------

async def test_long_answer_is_split_with_the_keyboard_on_the_last_part(tg_app: App, fake: FakeTelegram,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    paragraphs = [f"Đoạn {i}: " + ("nội dung <b>&</b> thi đua, khen thưởng " * 12).strip() for i in range(60)]
    long_reply = Reply("\n\n".join(paragraphs), [Choice("menu", texts.BACK_TO_MENU)])
    assert len(long_reply.text) > 3 * 4096
    monkeypatch.setattr(Conversation, "handle", lambda self, ctx: Turn([long_reply], state=ctx.state))
    async with running(tg_app, fake) as bot:
        await bot.ask(USER, "dài")
    calls = fake.messages_to(USER)
    assert len(calls) >= 4
    for call in calls:
        assert len(call.params["text"]) <= 4096
        assert len(parse_html(call.params["text"])) <= 4096
    assert [bool(keyboard(c)) for c in calls] == [False] * (len(calls) - 1) + [True]
    # Cut between paragraphs, nothing lost.
    shown = [visible_text(c) for c in calls]
    assert all(s.startswith("Đoạn ") for s in shown)
    assert "\n\n".join(shown) == long_reply.text.strip()


async def test_channel_send_delivers_documents_and_replies(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake, poll=False) as bot:
        await bot.channel.deliver(str(USER), Reply("Báo cáo <tháng>", documents=[
            Document("bao-cao.xlsx", b"PK\x03\x04data", caption="Danh sách <gương> & tập thể"),
            Document("tom-tat.docx", b"docx", caption="x" * 2000)]))
    docs = fake.calls_to("sendDocument")
    assert [d.files[next(iter(d.files))][0] for d in docs] == ["bao-cao.xlsx", "tom-tat.docx"]
    assert docs[0].files[next(iter(docs[0].files))][1] == b"PK\x03\x04data"
    assert docs[0].params["caption"] == "Danh sách &lt;gương&gt; &amp; tập thể"
    assert "caption" not in docs[1].params  # too long for a caption: sent as a message before the file
    assert [visible_text(c) for c in fake.messages_to(USER)] == ["Báo cáo <tháng>", "x" * 2000]


async def test_hostile_input_is_handled_politely_and_escaped(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        markup = await bot.ask(USER, "<b>x</b><script>alert(1)</script> & hồ sơ")
        huge = await bot.ask(USER, "hồ sơ " * 1000)
        emoji = await bot.ask(USER, "🚗🏠🌧")  # symbols that are no small talk ("👍" is: test_understanding)
        mixed = await bot.ask(USER, "hồ sơ BK TTg 🙏 <i>gấp</i> &amp;")
    assert all(c.status == 200 for c in fake.calls)
    assert markup and huge and emoji and mixed
    assert "tối đa 1000 ký tự" in huge[0]
    assert texts.NOT_TEXT in emoji[0]
    for call in fake.messages_to(USER):
        assert "<script" not in call.params["text"] and "<b>x" not in call.params["text"]
    # The questions the bot could not answer are recorded verbatim for curators.
    logged = [q.text for q in tg_app.repo.question_log()]
    assert "<b>x</b><script>alert(1)</script> & hồ sơ" in logged


async def test_typing_is_shown_while_the_answer_takes_time(tg_app: App, fake: FakeTelegram,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    original = Conversation.handle

    def slow(self: Conversation, ctx: TurnContext) -> Turn:
        time.sleep(0.3)
        return original(self, ctx)

    monkeypatch.setattr(Conversation, "handle", slow)
    async with running(tg_app, fake, typing_after=0.05) as bot:
        await bot.ask(USER, QUESTION)
        action = fake.calls_to("sendChatAction")
        assert action and action[0].params == {"chat_id": str(USER), "action": "typing"}
        assert action[0].at < fake.messages_to(USER)[0].at
        # Answers quicker than `typing_after` show no typing at all (a roomy threshold here,
        # so a loaded machine does not turn a quick answer into a slow one).
        n = len(fake.calls_to("sendChatAction"))
        monkeypatch.setattr(Conversation, "handle", original)
        bot.channel.typing_after = 2.0
        await bot.ask(USER, "/trogiup")
        assert len(fake.calls_to("sendChatAction")) == n


# --- delivery safety --------------------------------------------------------------------

async def test_duplicate_update_is_processed_once(tg_app: App, fake: FakeTelegram) -> None:
    update = fake.message_update(USER, QUESTION)
    async with running(tg_app, fake) as bot:
        fake.push(update)
        await fake.wait_for(lambda: fake.messages_to(USER))
        await bot.idle()
        fake.push(dict(update))  # Telegram delivers the same update again
        fake.send_message(USER, "/trogiup")  # and something after it, to know the first was seen
        await fake.wait_for(lambda: len(fake.messages_to(USER)) >= 2)
        await bot.idle()  # one user's updates are handled in order: a second answer would be in by now
    texts_ = [visible_text(c) for c in fake.messages_to(USER)]
    assert sum("04 bộ" in t for t in texts_) == 1
    rows = [r for r in _inbox(tg_app) if r.update_key == str(update["update_id"])]
    assert len(rows) == 1 and rows[0].status == "done"
    assert len(tg_app.repo.question_log()) == 1


async def test_duplicate_webhook_delivery_is_processed_once(tg_app: App, fake: FakeTelegram) -> None:
    update = fake.message_update(USER, QUESTION)
    async with running(tg_app, fake, poll=False) as bot, _webhook_client(bot.inbound) as client:
        for _ in range(3):
            resp = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
            assert resp.status == 200
        await fake.wait_for(lambda: fake.messages_to(USER))
        await bot.idle()  # every update taken in is handled: a second answer would be in by now
    assert len(fake.messages_to(USER)) == 1
    assert [r.status for r in _inbox(tg_app)] == ["done"]


async def test_handler_crash_gives_an_apology_and_the_bot_keeps_serving(
        tg_app: App, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    original = Conversation.handle
    crashes = []

    def crash_once(self: Conversation, ctx: TurnContext) -> Turn:
        if not crashes:
            crashes.append(ctx.event)
            raise RuntimeError("boom in handler")
        return original(self, ctx)

    monkeypatch.setattr(Conversation, "handle", crash_once)
    caplog.set_level(logging.INFO)
    async with running(tg_app, fake) as bot:
        first = await bot.ask(USER, QUESTION)
        second = await bot.ask(USER, QUESTION)
    assert first == [texts.INTERNAL_ERROR]
    assert "04 bộ" in second[0]
    assert "boom in handler" in caplog.text and "Traceback" in caplog.text
    assert all(r.status == "done" for r in _inbox(tg_app))


async def test_429_retry_after_is_honoured_and_the_message_delivered_once(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        fake.fail("sendMessage", 429, retry_after=1)
        started = time.monotonic()
        answer = await bot.ask(USER, QUESTION)
        elapsed = time.monotonic() - started
    attempts = fake.calls_to("sendMessage", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.95
    assert elapsed >= 0.95
    assert len(answer) == 1 and "04 bộ" in answer[0]


async def test_network_and_server_errors_are_retried_with_backoff(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        fake.fail("sendMessage", 500)
        fake.fail("sendMessage", 0)  # connection dropped
        answer = await bot.ask(USER, QUESTION)
        assert [c.status for c in fake.calls_to("sendMessage", ok_only=False)] == [500, 0, 200]
        assert len(answer) == 1 and "04 bộ" in answer[0]

        # A server that keeps failing: the inline retries are bounded and the answer is kept...
        fake.fail("sendMessage", 500, times=bot.channel.send_retry.attempts)
        fake.send_message(USER, "ho so huan chuong lao dong nop may bo")
        await fake.wait_for(lambda: any(r.status == "pending" and r.attempts == 1 for r in tg_app.outbox.rows()))
        await bot.idle()
        assert len(fake.calls_to("sendMessage", ok_only=False)) == 3 + bot.channel.send_retry.attempts
        # ...and the worker delivers it later, once, without handling the question again; a
        # long delay makes it say it is late and drop its buttons.
        sent = await bot.delivery.run_once(now=utcnow() + timedelta(minutes=10))
        assert sent == 1
        late = fake.messages_to(USER)[-1]
        assert visible_text(late).startswith(texts.LATE_ANSWER.format(question="ho so huan chuong lao dong nop may bo"))
        assert "05 bộ" in visible_text(late)
        assert "reply_markup" not in late.params  # no stale buttons on a late answer
        later = await bot.ask(USER, "/trogiup")
        assert later and "Hướng dẫn" in later[0]
    assert {r.status for r in _inbox(tg_app)} == {"done"}
    assert {r.status for r in tg_app.outbox.rows()} == {"sent"}
    assert [q.text for q in tg_app.repo.question_log()].count("ho so huan chuong lao dong nop may bo") == 1


async def test_polling_survives_get_updates_failures(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake) as bot:
        fake.fail("getUpdates", 500)
        fake.fail("getUpdates", 0)
        fake.fail("getUpdates", 429, retry_after=1)
        answer = await bot.ask(USER, "/trogiup")
    assert "Hướng dẫn" in answer[0]
    assert {0, 429, 500} <= {c.status for c in fake.calls_to("getUpdates", ok_only=False)}


async def test_a_flooding_user_is_slowed_without_stalling_others(tg_app: App, fake: FakeTelegram) -> None:
    flooder, other = 601, 602
    async with running(tg_app, fake, flood=FloodGuard(limit=3, window=1.5)) as bot:
        for i in range(6):
            fake.send_message(flooder, f"hồ sơ mấy bộ {i}")
        await fake.wait_for(lambda: len(fake.messages_to(flooder)) >= 4)  # 3 answers and the warning
        other_sent = time.monotonic()
        fake.send_message(other, "/trogiup")
        answered = await fake.wait_for(lambda: fake.messages_to(other), timeout=3)
        assert answered[0].at - other_sent < 1.0, "another user's answer waited for the flooder"
        assert len(fake.messages_to(flooder)) < 7, "the flooder is still being slowed"
        await fake.wait_for(lambda: len(fake.messages_to(flooder)) >= 7, timeout=6)
        await bot.idle()
    flood_texts = [visible_text(c) for c in fake.messages_to(flooder)]
    assert flood_texts.count(texts.SLOW_DOWN) == 1
    # The flooder's messages were still answered in order.
    asked = [q.text for q in tg_app.repo.question_log() if q.text.startswith("hồ sơ mấy bộ")]
    assert asked == [f"hồ sơ mấy bộ {i}" for i in range(6)]


async def test_one_users_messages_are_handled_in_order_while_users_run_in_parallel(
        tg_app: App, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    original = Conversation.handle
    seen: list[tuple[str, str]] = []

    def slow(self: Conversation, ctx: TurnContext) -> Turn:
        seen.append((ctx.event.user_id, ctx.event.text))
        time.sleep(0.2)
        return original(self, ctx)

    monkeypatch.setattr(Conversation, "handle", slow)
    async with running(tg_app, fake) as bot:
        started = time.monotonic()
        for i in range(3):
            for user in (701, 702, 703, 704):
                fake.send_message(user, f"/hoi câu {i}")
        await fake.wait_for(lambda: all(len(fake.messages_to(u)) == 3 for u in (701, 702, 703, 704)), timeout=10)
        elapsed = time.monotonic() - started
        await bot.idle()
    for user in ("701", "702", "703", "704"):
        assert [t for u, t in seen if u == user] == [f"/hoi câu {i}" for i in range(3)]
    assert elapsed < 12 * 0.2, "users were served one after another"


async def test_unfinished_updates_are_recovered_on_start(tg_app: App, fake: FakeTelegram) -> None:
    # A previous run accepted this update and died before answering it.
    update = fake.message_update(USER, QUESTION)
    assert tg_app.repo.accept_update("telegram", str(update["update_id"]), update)
    async with running(tg_app, fake, poll=False) as bot:
        await fake.wait_for(lambda: fake.messages_to(USER))
        await bot.idle()
    assert "04 bộ" in visible_text(fake.messages_to(USER)[0])
    assert tg_app.repo.update_status("telegram", str(update["update_id"])) == "done"


# --- what arrives -----------------------------------------------------------------------

async def test_photos_documents_and_stickers_become_events(tg_app: App, fake: FakeTelegram,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[IncomingEvent] = []
    original = Conversation.handle

    def spy(self: Conversation, ctx: TurnContext) -> Turn:
        events.append(ctx.event)
        return original(self, ctx)

    monkeypatch.setattr(Conversation, "handle", spy)
    photo = [{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 60, "file_size": 1000},
             {"file_id": "big", "file_unique_id": "b", "width": 1280, "height": 960, "file_size": 90000}]
    doc = {"file_id": "doc1", "file_unique_id": "d", "file_name": "to-trinh.pdf", "mime_type": "application/pdf",
           "file_size": 2048}
    async with running(tg_app, fake) as bot:
        fake.push(fake.message_update(USER, photo=photo, caption="Ảnh trao thưởng"))
        fake.push(fake.message_update(USER, document=doc))
        fake.push(fake.message_update(USER, sticker={"file_id": "st", "file_unique_id": "st", "type": "regular",
                                                     "width": 1, "height": 1, "is_animated": False,
                                                     "is_video": False}))
        await fake.wait_for(lambda: len(fake.messages_to(USER)) >= 3)
        await bot.idle()
    assert len(events) == 3
    p, d, s = events
    assert (p.channel, p.chat_id, p.user_id, p.display_name) == ("telegram", str(USER), str(USER), "Lan Nguyễn")
    assert [(a.kind, a.file_id, a.caption) for a in p.attachments] == [("photo", "big", "Ảnh trao thưởng")]
    assert [(a.kind, a.file_id, a.file_name, a.mime_type) for a in d.attachments] == [
        ("document", "doc1", "to-trinh.pdf", "application/pdf")]
    assert s.unsupported == "sticker" and not s.attachments
    shown = [visible_text(c) for c in fake.messages_to(USER)]
    assert shown[2] == texts.UNSUPPORTED["sticker"]


async def test_in_groups_the_bot_answers_only_when_addressed(tg_app: App, fake: FakeTelegram) -> None:
    group = -100123
    kw = {"chat_id": group, "chat_type": "supergroup"}
    async with running(tg_app, fake) as bot:
        fake.send_message(801, "hồ sơ BK TTg nộp mấy bộ?", **kw)  # chatter: ignored
        fake.send_message(801, "/trogiup@other_bot", **kw)  # another bot's command: ignored
        answer = await bot.ask(802, f"@{fake.username} {QUESTION}", **kw)
        assert "04 bộ" in answer[0]
        assert len(fake.messages_to(group)) == 1
        assert fake.messages_to(group)[0].params["reply_parameters"]["message_id"] > 0
        assert "Hướng dẫn" in (await bot.ask(803, f"/trogiup@{fake.username}", **kw))[0]
        assert "Hướng dẫn" in (await bot.ask(803, "/trogiup", **kw))[0]
        bots_message = {"message_id": 1, "date": 1, "chat": {"id": group, "type": "supergroup"},
                        "from": {"id": fake.bot_id, "is_bot": True, "first_name": "Bot"}}
        replied = await bot.ask(804, QUESTION, reply_to_message=bots_message, **kw)
        assert "04 bộ" in replied[0]
    logged = [q.text for q in tg_app.repo.question_log()]
    assert logged == [QUESTION, QUESTION]  # the mention was stripped
    assert {u.external_id for u in _users(tg_app)} == {"802", "803", "804"}


# --- webhook --------------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def _webhook_client(inbound: Inbound) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(make_web_app({"telegram": inbound}), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_webhook_checks_the_secret_then_accepts_and_answers(tg_app: App, fake: FakeTelegram) -> None:
    async with running(tg_app, fake, poll=False) as bot, _webhook_client(bot.inbound) as client:
        update = fake.message_update(USER, QUESTION)
        missing = await client.post(WEBHOOK_PATH, json=update)
        wrong = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET + "x"})
        wrong_utf8 = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: "sai-mật-khẩu"})
        assert (missing.status, wrong.status, wrong_utf8.status) == (401, 403, 403)
        assert _inbox(tg_app) == [] and not fake.messages_to(USER)

        garbage = await client.post(WEBHOOK_PATH, data=b"{not json", headers={SECRET_HEADER: SECRET})
        assert garbage.status == 400

        t0 = time.monotonic()
        ok = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert ok.status == 200 and time.monotonic() - t0 < 1.0
        await fake.wait_for(lambda: fake.messages_to(USER))
        await bot.idle()
        assert "04 bộ" in visible_text(fake.messages_to(USER)[0])

        health = await client.get("/healthz")
        assert health.status == 200 and (await health.json()) == {"ok": True}
    assert [r.status for r in _inbox(tg_app)] == ["done"]
    assert not fake.calls_to("getUpdates")


async def test_webhook_mode_is_refused_without_a_secret(tmp_path: Path, tg_app: App, fake: FakeTelegram) -> None:
    settings = load_settings(data_dir=tmp_path / "data", content_dir=CONTENT, telegram_bot_token=TOKEN,
                             telegram_api_url=fake.url)
    channel = TelegramChannel(settings)
    with pytest.raises(RuntimeError, match="TELEGRAM_WEBHOOK_SECRET"):
        make_web_app(wiring.build(tg_app, {"telegram": channel}).inbound)
    await channel.close()


def test_cli_run_webhook_refuses_without_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture) -> None:
    from bot.cli import main

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CONTENT_DIR", str(CONTENT))
    started: list[bool] = []
    monkeypatch.setattr(TelegramChannel, "start", lambda self: started.append(True))
    assert main(["run", "--webhook"]) == 1
    err = capsys.readouterr().err
    assert "TELEGRAM_WEBHOOK_SECRET" in err and TOKEN not in err
    assert not started, "refused before contacting Telegram"


async def test_webhook_set_and_delete_register_with_the_secret(tg_app: App, fake: FakeTelegram) -> None:
    channel = TelegramChannel(tg_app.settings, retry=FAST)
    try:
        await channel.set_webhook("https://bot.example.gov.vn/webhook/telegram")
        assert fake.webhook["url"] == "https://bot.example.gov.vn/webhook/telegram"
        assert fake.webhook["secret_token"] == SECRET
        assert fake.webhook["allowed_updates"] == ["message", "callback_query"]
        await channel.delete_webhook()
        assert fake.webhook == {}
        assert len(fake.calls_to("deleteWebhook")) == 1
    finally:
        await channel.close()


async def test_cli_webhook_set_and_delete(tg_settings: Settings, tg_app: App, fake: FakeTelegram,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from bot import cli

    monkeypatch.setattr(cli, "load_settings", lambda: tg_settings)
    monkeypatch.setattr("bot.app.build_app", lambda settings, migrate=True: tg_app)
    # The CLI runs its own event loop: in a thread, while this loop serves the fake API.
    url = "https://bot.example.gov.vn/webhook/telegram"
    assert await asyncio.to_thread(cli.main, ["webhook", "set", "--channel", "telegram", "--url", url]) == 0
    assert (fake.webhook["url"], fake.webhook["secret_token"]) == (url, SECRET)
    assert await asyncio.to_thread(cli.main, ["webhook", "delete", "--channel", "telegram"]) == 0
    assert fake.webhook == {}
    out, err = capsys.readouterr()
    assert "webhook set to" in out and "webhook deleted" in out
    assert TOKEN not in out + err


# --- secrets --------------------------------------------------------------------------------

async def test_token_and_secret_never_reach_the_logs(tg_app: App, fake: FakeTelegram, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    setup_logging(tg_app.settings)  # the production logging, undone by conftest's _restore_logging
    logging.getLogger().setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    original = Conversation.handle
    crashed: list[bool] = []

    def crash_once(self: Conversation, ctx: TurnContext) -> Turn:
        if not crashed:
            crashed.append(True)
            raise RuntimeError(f"handler failed while holding {TOKEN}")
        return original(self, ctx)

    monkeypatch.setattr(Conversation, "handle", crash_once)
    async with running(tg_app, fake) as bot, _webhook_client(bot.inbound) as client:
        await bot.ask(USER, QUESTION)  # the handler error path
        fake.fail("sendMessage", 500)
        fake.fail("sendMessage", 0)
        fake.fail("getUpdates", 500)
        await bot.ask(USER, "hồ sơ mấy bộ")
        fake.fail("sendMessage", 500, times=bot.channel.send_retry.attempts)  # a delivery kept for later
        fake.send_message(USER, "/trogiup")
        await fake.wait_for(lambda: sum(c.status == 500 for c in fake.calls) >= bot.channel.send_retry.attempts + 2)
        await bot.idle()
        fake.fail("answerCallbackQuery", 500, times=FAST.attempts)
        fake.press(USER, "menu")
        await fake.wait_for(lambda: len(fake.calls_to("answerCallbackQuery", ok_only=False)) >= FAST.attempts)
        await bot.idle()
        await client.post(WEBHOOK_PATH, json={"update_id": 1}, headers={SECRET_HEADER: "nope"})
        await client.post(WEBHOOK_PATH, json={"update_id": 2}, headers={SECRET_HEADER: SECRET})
        await bot.idle()
    # A server that is not there at all, and a token it refuses.
    gone = load_settings(data_dir=tmp_path / "d2", content_dir=CONTENT, telegram_bot_token=TOKEN,
                         telegram_api_url="http://127.0.0.1:9", telegram_webhook_secret=SECRET)
    channel = TelegramChannel(gone, retry=FAST)
    with pytest.raises(RuntimeError) as unreachable:
        await channel.start()
    await channel.close()
    fake.token = "42:another"
    channel = TelegramChannel(tg_app.settings, retry=FAST)
    with pytest.raises(RuntimeError) as refused:
        await channel.start()
    await channel.close()
    logging.getLogger("test").error("end of traffic")
    out, err = capsys.readouterr()
    captured = caplog.text + out + err + str(unreachable.value) + str(refused.value)
    assert "end of traffic" in captured
    assert "retrying" in caplog.text and "Traceback" in caplog.text  # the error paths were logged
    assert TOKEN not in captured
    assert TOKEN.split(":", 1)[1] not in captured
    assert SECRET not in captured
    assert "401 Unauthorized" in str(refused.value)


async def test_start_fails_clearly_on_a_refused_token(tg_app: App, fake: FakeTelegram) -> None:
    fake.token = "42:another"
    channel = TelegramChannel(tg_app.settings, retry=FAST)
    with pytest.raises(RuntimeError, match="TELEGRAM_BOT_TOKEN"):
        await channel.start()
    await channel.close()


async def test_stopping_does_not_wait_for_the_command_menu(tg_app: App, fake: FakeTelegram) -> None:
    # Right after start, with setMyCommands failing and its retries spaced out,
    # a stop must not sit through those retries.
    fake.fail("setMyCommands", 500, times=5)
    slow = api_retry(attempts=5, initial=2.0, maximum=8.0)
    channel = TelegramChannel(tg_app.settings, retry=slow)
    await channel.start()
    await fake.wait_for(lambda: fake.calls_to("setMyCommands", ok_only=False))
    started = time.monotonic()
    await channel.close()
    assert time.monotonic() - started < 1.5
