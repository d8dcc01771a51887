"""Faults an adversarial probe found in the inbox, recovery and channel plumbing
(issue 11), each reproduced against the real channels and the fake Bot APIs:
the database going away under polling, a flooding user, the recovery sweep, a
reply sent while the database was cut, reused update ids, long names and ids."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.app import build_app
from bot.delivery import Delivery
from bot.pipeline import FloodGuard
from bot.settings import load_settings
from handlers import texts
from handlers.events import IncomingEvent, Reply
from storage.models import OutboxMessage, ProcessedUpdate, User, utcnow
from storage.turns import TurnStore
from tests.conftest import REAL_CONTENT, Talk
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, make_update
from tests.test_telegram import TOKEN as TG_TOKEN
from tests.test_telegram import running
from tests.test_zalo import make_bot, zalo_settings


@pytest.fixture
async def fake() -> FakeZalo:
    f = await FakeZalo().start()
    yield f
    await f.stop()


@pytest.fixture
async def tg_fake() -> FakeTelegram:
    async with FakeTelegram(TG_TOKEN) as server:
        yield server


class DatabaseAway:
    """While `down`, the patched methods fail as they do when the connection to the
    database is cut (psycopg's OperationalError, wrapped by SQLAlchemy)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, obj: object, *names: str):
        self.down = True
        self.failures = 0
        for name in names:
            original = getattr(obj, name)

            def failing(*args: object, _original: Callable = original, **kw: object) -> object:
                if self.down:
                    self.failures += 1
                    raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))
                return _original(*args, **kw)

            monkeypatch.setattr(obj, name, failing)


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def zalo_polling(tmp_path, fake: FakeZalo, flood: FloodGuard | None = None):  # noqa: ANN001, ANN201
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    if flood is not None:
        bot.pipeline.flood = flood
    await bot.inbound.start()
    task = asyncio.create_task(bot.inbound.poll())
    try:
        yield bot
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.inbound.tasks.close(0.2)  # a flood still queued is not waited for
        await bot.inbound.close()


# --- 1. nothing taken from Zalo is lost while the database is away --------------------

async def test_zalo_polling_keeps_updates_in_memory_while_the_database_is_away(
        tmp_path, fake: FakeZalo, monkeypatch: pytest.MonkeyPatch) -> None:
    # Probe: 11 of 11 messages fetched during the outage were never answered.
    bot = await make_bot(zalo_settings(tmp_path, fake), fake)
    await bot.inbound.start()
    away = DatabaseAway(monkeypatch, bot.app.repo, "accept_update")
    users = [f"down-{i}" for i in range(11)]
    for i, user in enumerate(users):
        fake.push(make_update(message_id=f"m-down-{i}", text="/trogiup", user=user))
    task = asyncio.create_task(bot.inbound.poll())
    try:
        await until(lambda: len(bot.sleeps) >= 7, what="retries of the store")
        # Only the first update was taken from Zalo; the rest wait there, not in a lost task.
        assert fake.updates.qsize() == 10
        assert bot.sleeps[:7] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]  # backing off to the cap
        away.down = False
        await fake.wait_for(lambda: all(fake.texts(u) for u in users), timeout=15, what="every answer")
        await bot.inbound.wait_idle()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.inbound.close()
    assert [len(fake.texts(u)) for u in users] == [1] * 11  # lost 0, doubled 0


# --- 2. a flooding user costs other users nothing --------------------------------------

async def test_a_zalo_flood_does_not_make_other_users_wait(tmp_path, fake: FakeZalo) -> None:
    # Probe: 200 messages in 2 s from one chat made five other users wait 50-58 s (the
    # flooder's held-back tasks filled the 64 in-flight slots and polling stopped).
    async with zalo_polling(tmp_path, fake, flood=FloodGuard(limit=20, window=10.0)) as bot:
        for i in range(200):
            fake.push(make_update(message_id=f"flood-{i}", text="/trogiup", user="flooder"))
        await until(lambda: fake.updates.empty(), what="the flood to be fetched")
        waits = []
        for k in range(5):
            sent = time.monotonic()
            fake.push(make_update(message_id=f"other-{k}", text="/trogiup", user=f"other-{k}"))
            await fake.wait_texts(f"other-{k}", 1, timeout=20)
            waits.append(time.monotonic() - sent)
        assert max(waits) < 3.0, f"other users waited {waits}"
        assert len(fake.texts("flooder")) < 200  # the flooder is still being slowed down
        assert bot.inbound.lanes.active <= 2  # however long the flooder's queue, it is one lane


async def test_a_telegram_flood_does_not_fill_the_in_flight_slots(tg_app_factory, tg_fake: FakeTelegram) -> None:
    # Probe: 600 messages from one user made others wait up to 30 s (500 slots).
    app = tg_app_factory(tg_fake)
    async with running(app, tg_fake, flood=FloodGuard(limit=5, window=10.0), max_in_flight=16) as bot:
        for i in range(40):
            tg_fake.send_message(900, f"/hoi {i}")
        await tg_fake.wait_for(lambda: len(_inbox(app)) == 40, timeout=10)
        sent = time.monotonic()
        tg_fake.send_message(901, "/trogiup")
        await tg_fake.wait_for(lambda: tg_fake.messages_to(901), timeout=20)
        assert time.monotonic() - sent < 3.0
        assert bot.inbound.lanes.active <= 2
        await bot.inbound.tasks.close(0.2)


@pytest.fixture
def tg_app_factory(tmp_path):  # noqa: ANN001, ANN201
    def make(fake: FakeTelegram):  # noqa: ANN202
        settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TG_TOKEN,
                                 telegram_api_url=fake.url)
        return build_app(settings)
    return make


# --- 3. recovery never re-runs what this process holds ---------------------------------

def _inbox(app) -> list[ProcessedUpdate]:  # noqa: ANN001
    with app.repo.session() as s:
        return list(s.exec(select(ProcessedUpdate).order_by(ProcessedUpdate.id)))


async def test_the_sweep_leaves_updates_this_process_holds(tmp_path, fake: FakeZalo) -> None:
    # Probe: 260 messages in 2 s from one user got 269 answers: the sweep took updates
    # still waiting behind the flood limit, counted attempts on them, and ran them again.
    async with zalo_polling(tmp_path, fake, flood=FloodGuard(limit=2, window=0.5)) as bot:
        for i in range(8):
            fake.push(make_update(message_id=f"held-{i}", text=f"/hoi {i}", user="busy"))
        await until(lambda: fake.updates.empty() and len(_inbox(bot.app)) == 8, what="all 8 accepted")
        assert any(r.status == "pending" for r in _inbox(bot.app))
        # The sweep, as if the held updates had waited past RECOVER_AFTER.
        await bot.inbound.recover_pending(timedelta(0))
        assert [r.attempts for r in _inbox(bot.app)] == [0] * 8  # nothing claimed
        await until(lambda: all(r.status == "done" for r in _inbox(bot.app)), timeout=15, what="all answered")
        await bot.inbound.wait_idle()
    answers = [t for t in fake.texts("busy") if t != texts.SLOW_DOWN]
    assert len(answers) == 8  # doubled 0
    assert [q.text for q in bot.app.repo.question_log()] == []  # /hoi prompts, nothing else ran


async def test_the_sweep_still_takes_what_a_failed_turn_left(tmp_path, fake: FakeZalo,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side of the lease: a turn that failed (database cut mid-turn) is released,
    and the sweep answers it."""
    async with zalo_polling(tmp_path, fake) as bot:
        away = DatabaseAway(monkeypatch, TurnStore, "touch_user")
        fake.push(make_update(message_id="cut-1", text="/trogiup", user="cut"))
        await until(lambda: away.failures >= 1, what="the failed turn")
        await bot.inbound.wait_idle()
        assert bot.pipeline.holding == set()
        away.down = False
        await bot.inbound.recover_pending(timedelta(0))
        await fake.wait_texts("cut", 1)
        await bot.inbound.wait_idle()
    assert len(fake.texts("cut")) == 1


class Recorder:
    name = "console"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        self.sent.append((chat_id, reply.text))


async def test_a_reply_sent_while_the_database_was_cut_is_not_sent_again(app, monkeypatch) -> None:  # noqa: ANN001
    # Probe: with the database cut while 20 answers were in flight, all 20 were sent a
    # second time when their outbox lease ran out.
    talk = Talk(app, channel="console")
    talk("/trogiup", user="c1")
    with app.repo.session() as s:
        ids = [r.id for r in s.exec(select(OutboxMessage).where(OutboxMessage.status == "pending"))]
    channel = Recorder()
    delivery = Delivery(app.outbox, {"console": channel}, lease=timedelta(milliseconds=200))  # type: ignore[dict-item]
    away = DatabaseAway(monkeypatch, app.outbox, "mark_sent_many")
    sending = asyncio.create_task(delivery.send_now(ids))
    await until(lambda: channel.sent and away.failures >= 1, what="sent, not recorded")
    with app.repo.session() as s:
        lease = s.exec(select(OutboxMessage.lease_until).where(OutboxMessage.id == ids[0])).one()
    await until(lambda: utcnow().replace(tzinfo=None) > lease.replace(tzinfo=None), what="the lease to run out")
    assert await delivery.run_once() == 0  # the worker does not take the row back
    away.down = False
    await asyncio.wait_for(sending, 10)
    assert await delivery.run_once() == 0
    assert len(channel.sent) == len(ids) == 1
    assert app.outbox.get(ids[0]).status == "sent"


# --- 9. a reused update id is a new update once the redelivery window has passed -----------

async def test_a_reused_telegram_update_id_is_answered(tg_app_factory, tg_fake: FakeTelegram) -> None:
    # Probe: after a platform reset, 16 of 30 new messages were never answered.
    app = tg_app_factory(tg_fake)
    async with running(app, tg_fake) as bot:
        for i in range(30):
            tg_fake.push(tg_fake.message_update(1000 + i, "/trogiup") | {"update_id": 500 + i})
        await tg_fake.wait_for(lambda: all(tg_fake.messages_to(1000 + i) for i in range(30)))
        await bot.idle()
    # A week without updates later, Telegram (and the restarted bot) start again from ids used before.
    tg_fake.updates.clear()
    with app.repo.session() as s:
        s.execute(update(ProcessedUpdate).values(created_at=utcnow() - timedelta(days=8)))
        s.commit()
    async with running(app, tg_fake) as bot:
        for i in range(30):
            tg_fake.push(tg_fake.message_update(2000 + i, "/trogiup") | {"update_id": 500 + i})
        await tg_fake.wait_for(lambda: all(tg_fake.messages_to(2000 + i) for i in range(30)), timeout=15)
        await bot.idle()
        # Within the window the same id is still a redelivery.
        assert app.repo.accept_update("telegram", "510", {"update_id": 510}) is False
    assert [len(tg_fake.messages_to(2000 + i)) for i in range(30)] == [1] * 30


# --- 10. Telegram polling backs off while the database is away ---------------------------

async def test_telegram_polling_backs_off_to_a_cap_while_the_database_is_away(
        tg_app_factory, tg_fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, caplog) -> None:  # noqa: ANN001
    # Probe: an error logged every 0.5 s, the delay never growing.
    from bot.kernel.retry import Backoff
    from bot.telegram.retry import api_retry

    app = tg_app_factory(tg_fake)
    away = DatabaseAway(monkeypatch, app.repo, "accept_update")
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        await asyncio.sleep(0)

    policy = api_retry(attempts=4, initial=0.5, maximum=8.0)
    caplog.set_level(logging.INFO)
    async with running(app, tg_fake, retry=policy, backoff=Backoff(0.5, 8.0), sleep=sleep) as bot:
        tg_fake.send_message(77, "/trogiup")
        await until(lambda: len(sleeps) >= 6, what="six retries")
        assert sleeps[:6] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
        away.down = False
        await tg_fake.wait_for(lambda: tg_fake.messages_to(77), timeout=10)
        await bot.idle()
    stored = [r for r in caplog.records if "could not store telegram update" in r.getMessage()]
    assert stored and all(r.exc_info is None and "\n" not in r.getMessage() for r in stored)
    assert len(tg_fake.messages_to(77)) == 1


# --- 7. long names and ids, NUL bytes and lone surrogates ---------------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_app(request, tmp_path):  # noqa: ANN001, ANN201
    if request.param == "sqlite":
        yield build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT))
        return
    from tests.conftest import pg_schema

    url = request.getfixturevalue("postgres_url")
    with pg_schema(url) as schema_url:
        app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, database_url=schema_url))
        yield app
        app.repo.engine.dispose()


def test_long_names_and_ids_and_odd_text_never_end_in_the_apology(any_db_app) -> None:  # noqa: ANN001
    # Probe (PostgreSQL): a name over 256 characters or an id over 128 made every message
    # of that person end in the apology; a NUL byte or a lone surrogate broke the log insert.
    app = any_db_app
    talk = Talk(app)
    long_id = "z" * 200
    other_long = "z" * 199 + "y"
    asked = ["hồ sơ HCLĐ nộp mấy bộ\x00", "bằng khen \ud800 thủ tướng cần mấy bộ", "ho so hcld nop may bo"]
    replies = [talk(asked[0], user=long_id, display_name="Nguyễn " * 60),
               talk(asked[1], user=long_id, display_name="Nguyễn " * 60),
               talk(asked[2], user=other_long)]
    for got in replies:
        assert texts.INTERNAL_ERROR not in [r.text for r in got]
    with app.repo.session() as s:
        users = list(s.exec(select(User).where(User.channel == "zalo")))
        rows = list(s.exec(select(OutboxMessage).where(OutboxMessage.kind == "reply")))
    assert len(users) == 2 and all(len(u.external_id) <= 128 for u in users)  # two people, kept apart
    assert all(u.display_name is None or len(u.display_name) <= 256 for u in users)
    assert {r.payload.get("to") for r in rows} == {long_id, other_long}  # replies go to the real chat id
    logged = [q.text for q in app.repo.question_log()]
    assert logged == ["hồ sơ HCLĐ nộp mấy bộ", "bằng khen \ufffd thủ tướng cần mấy bộ", "ho so hcld nop may bo"]


async def test_a_reply_goes_to_the_whole_long_chat_id(app) -> None:  # noqa: ANN001
    talk = Talk(app, channel="console")
    long_id = "c" * 300
    talk("/trogiup", user=long_id)
    with app.repo.session() as s:
        ids = [r.id for r in s.exec(select(OutboxMessage))]
    channel = Recorder()
    await Delivery(app.outbox, {"console": channel}).send_now(ids)  # type: ignore[dict-item]
    assert [chat for chat, _ in channel.sent] == [long_id]


def test_clean_event_leaves_ordinary_text_alone() -> None:
    from bot.pipeline import clean_event

    event = IncomingEvent(channel="zalo", chat_id="1", user_id="1", text="Bằng khen 😀", display_name="An")
    assert clean_event(event) is event
