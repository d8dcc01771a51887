"""The delivery worker under faults, through the real aiogram Bot and the fake
Telegram Bot API: a 429 waited out by the worker (not inline) and the message
sent once, a person who blocked the bot marked unreachable, server errors
retried with back-off and then recorded, a database outage backed off and
logged as two lines; and the rate limiter's arithmetic."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

import bot.delivery as delivery_module
from bot import cli
from bot.app import App, build_app
from bot.delivery import MAX_ATTEMPTS, Delivery, Limits, RateLimiter
from bot.kernel.retry import Backoff
from bot.settings import load_settings
from bot.telegram.retry import api_retry
from handlers.events import Reply, reply_to_dict
from storage.models import User, utcnow
from storage.turns import OutboxRow, TurnStore
from tests import wiring
from tests.conftest import REAL_CONTENT
from tests.fake_telegram import FakeTelegram, visible_text
from tests.people import person
from tests.test_hardening import DatabaseAway

TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
# No inline waiting for a 429 at all: every one goes back to the worker.
NO_INLINE_WAIT = api_retry(attempts=3, initial=0.01, maximum=0.05, max_retry_after=0)


@contextlib.asynccontextmanager
async def worker(tmp_path: Path, *, run: bool = True) -> AsyncIterator[tuple[App, FakeTelegram, Delivery]]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=TOKEN,
                                  telegram_api_url=fake.url))
    kernel = wiring.telegram(app, retry=NO_INLINE_WAIT)
    delivery, inbound = kernel.delivery, kernel.inbound["telegram"]
    stop = asyncio.Event()
    await inbound.start()
    task = asyncio.create_task(delivery.run(stop, every=0.05)) if run else None
    try:
        yield app, fake, delivery
    finally:
        stop.set()
        if task is not None:
            await asyncio.wait_for(task, 5)
        await inbound.close()
        await fake.close()


def enqueue(app: App, *chats: int, text: str = "Thông báo") -> list[int]:
    with Session(app.repo.engine) as s:
        ids = TurnStore(s).add_outbox([OutboxRow(f"n-{chat}-{text}", "telegram", str(chat), "notice",
                                                 {"reply": reply_to_dict(Reply(f"{text} {chat}"))}) for chat in chats])
        s.commit()
    return ids


async def test_a_429_is_waited_out_by_the_worker_and_the_message_sent_once(tmp_path: Path):
    async with worker(tmp_path) as (app, fake, delivery):
        fake.fail("sendMessage", 429, retry_after=1)
        [first] = enqueue(app, 801)
        await fake.wait_for(lambda: (app.outbox.get(first).last_error or "").startswith("TelegramRetryAfter"))
        enqueue(app, 802, 803)  # more to send while Telegram asks the bot to wait
        await fake.wait_for(lambda: app.outbox.counts() == {"sent": 3}, timeout=8)
        calls = fake.calls_to("sendMessage", ok_only=False)
        [refused] = [c for c in calls if c.status == 429]
        # Nothing was sent to Telegram until the wait it asked for had passed, and then each message once.
        assert min(c.at for c in calls if c is not refused) - refused.at >= 0.95
        assert sorted(visible_text(c) for c in fake.calls_to("sendMessage")) == [
            "Thông báo 801", "Thông báo 802", "Thông báo 803"]


async def test_a_person_who_blocked_the_bot_is_marked_and_not_written_to_again(tmp_path: Path):
    async with worker(tmp_path) as (app, fake, delivery):
        person(app.repo, "telegram", "804")
        fake.blocked.add("804")
        enqueue(app, 804, text="Nhắc hạn 1")
        await fake.wait_for(lambda: app.outbox.counts().get("blocked") == 1)
        with app.repo.session() as s:
            assert s.get(User, 1).unreachable_at is not None
        tries = len(fake.calls_to("sendMessage", ok_only=False))
        enqueue(app, 804, text="Nhắc hạn 2")  # a later notice is not even tried
        await fake.wait_for(lambda: app.outbox.counts().get("blocked") == 2)
        assert len(fake.calls_to("sendMessage", ok_only=False)) == tries


async def test_server_errors_are_retried_with_back_off_then_recorded(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                                     monkeypatch: pytest.MonkeyPatch):
    async with worker(tmp_path, run=False) as (app, fake, delivery):
        # Every attempt goes to one chat: no waiting on its limit of 1 a second (tested below).
        delivery.limiters = {name: RateLimiter(Limits(1000.0, 1000.0, 100)) for name in delivery.limiters}
        fake.fail("sendMessage", 500, times=1000)
        [row_id] = enqueue(app, 805)
        moment = utcnow()
        waits = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            moment += timedelta(hours=1)  # far enough ahead for any back-off
            assert await delivery.run_once(now=moment) == 0
            row = app.outbox.get(row_id)
            assert row is not None and row.attempts == attempt
            if row.status == "pending":
                not_before = row.not_before if row.not_before.tzinfo else row.not_before.replace(tzinfo=UTC)
                waits.append((not_before - utcnow()).total_seconds())
        assert row.status == "failed" and "Internal Server Error" in (row.last_error or "")
        # The waits grow (2 s, 4 s, 8 s ... with jitter), and each attempt tried the API a bounded number of times.
        assert all(b > a for a, b in zip(waits, waits[1:], strict=False)) and len(waits) == MAX_ATTEMPTS - 1
        assert len(fake.calls_to("sendMessage", ok_only=False)) == MAX_ATTEMPTS * NO_INLINE_WAIT.attempts
    monkeypatch.setattr(cli, "load_settings", lambda: app.settings)
    assert cli.main(["outbox", "--failed"]) == 0
    out = capsys.readouterr().out
    assert "failed 1" in out and "telegram:805" in out and "Internal Server Error" in out


async def test_a_database_outage_is_backed_off_and_logged_once_each_way(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                         monkeypatch: pytest.MonkeyPatch):
    # Probe: 30 s of outage logged "delivery pass failed" every second with two chained
    # tracebacks (3,827 lines, 270 KB). Here every connection to the database fails for
    # 25 passes, then the database comes back.
    caplog.set_level(logging.INFO)
    async with worker(tmp_path, run=False) as (app, fake, delivery):
        ids = enqueue(app, 806, 807, text="Nhắc hạn")
        delivery.backoff = Backoff(0.01, 0.04)  # the production back-off, in hundredths of its seconds
        away = DatabaseAway(monkeypatch, app.outbox.engine, "connect")
        stop = asyncio.Event()
        task = asyncio.create_task(delivery.run(stop, every=0.05))
        try:
            await fake.wait_for(lambda: away.failures >= 25, timeout=10)
            outage = [r for r in caplog.records if r.name == "bot.delivery"]
            assert not fake.calls_to("sendMessage", ok_only=False)
            away.down = False
            await fake.wait_for(lambda: app.outbox.counts() == {"sent": 2}, timeout=10)
        finally:
            stop.set()
            await asyncio.wait_for(task, 5)
    # One line when the outage starts, naming the error, none while it lasts, one when it ends.
    [down] = outage
    assert down.levelno == logging.ERROR and "OperationalError" in down.getMessage() and not down.exc_info
    records = [r for r in caplog.records if r.name == "bot.delivery"]
    [_down, up] = records
    assert "resumed after" in up.getMessage() and not up.exc_info
    # Nothing lost, nothing doubled.
    assert sorted(visible_text(c) for c in fake.calls_to("sendMessage")) == ["Nhắc hạn 806", "Nhắc hạn 807"]
    assert all(app.outbox.get(i).status == "sent" for i in ids)


async def test_the_rate_limiter_keeps_the_overall_and_per_chat_pace(monkeypatch: pytest.MonkeyPatch):
    clock = [0.0]

    async def fake_sleep(seconds: float) -> None:  # time passes only when someone waits
        clock[0] += seconds

    monkeypatch.setattr(delivery_module.asyncio, "sleep", fake_sleep)
    limiter = RateLimiter(Limits(overall=25.0, per_chat=1.0, chat_burst=3), clock=lambda: clock[0])
    released = []
    for i in range(50):
        await limiter.acquire(f"chat{i}")
        released.append(clock[0])
    # 50 chats at 25 a second, with the limiter's margin: the last goes 49 * 1.1/25 s after
    # the first, never more than 25 in 1.1 s.
    assert abs(released[-1] - 49 * RateLimiter.WINDOW / 25) < 1e-6
    assert max(sum(1 for t in released if start <= t < start + RateLimiter.WINDOW - 1e-9) for start in released) <= 25
    clock[0] = 100.0
    one_chat = []
    limiter = RateLimiter(Limits(overall=1000.0, per_chat=1.0, chat_burst=3), clock=lambda: clock[0])
    for _ in range(5):
        await limiter.acquire("one-chat")
        one_chat.append(round(clock[0] - 100.0, 3))
    # One chat: a burst of 3 at once (spaced by the overall pace), then one a second.
    assert one_chat == [0.0, 0.001, 0.002, 1.0, 2.0]
    limiter.pause(30)
    assert limiter.paused_for() == 30


async def test_a_stalled_process_does_not_send_a_burst(monkeypatch: pytest.MonkeyPatch):
    """Slots are planned ahead: when a stalled process wakes its senders late, all at once,
    the sends that really went in the last second decide, not the plan."""
    clock = [0.3]

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds

    monkeypatch.setattr(delivery_module.asyncio, "sleep", fake_sleep)
    limiter = RateLimiter(Limits(overall=10.0, per_chat=100.0, chat_burst=100), clock=lambda: clock[0])
    limiter._sent.extend(0.2 + i / 1000 for i in range(10))  # ten went bunched, just now
    await limiter.acquire("next")  # its planned slot (0.0) is long past
    assert clock[0] >= 0.2 + RateLimiter.WINDOW - 1e-9  # it waited for the first of the ten to age out
