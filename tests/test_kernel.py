"""The messaging kernel (bot/kernel) with a channel that is nothing but parse, verify,
fetch and render: the one poll loop and the one webhook handler serve it as they serve
Telegram and Zalo. Also the one back-off policy and the one redactor."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App, build_app
from bot.channel import InvalidUpdate, Parsed, Transient
from bot.kernel.redact import RedactingFilter, Redactor, secrets_of
from bot.kernel.retry import Backoff
from bot.runner import make_web_app
from bot.settings import load_settings
from handlers.commands import help_text
from handlers.events import Capabilities, IncomingEvent, Reply
from tests import wiring
from tests.conftest import REAL_CONTENT


class PagerChannel:
    """A made-up messenger: updates are {"id", "from", "text"}, replies are recorded."""

    name = title = "pager"
    capabilities = Capabilities(buttons=False, documents=False, text_limit=4000)
    webhook_path = "/webhook/pager"
    secret_header = "X-Pager-Secret"
    webhook_secret = "pager-secret-123"
    max_body = 4096
    max_in_flight = 8
    shutdown_grace = 2.0
    ready = True

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.failures: list[Exception] = []
        self.sent: list[tuple[str, str]] = []

    # parse
    def parse(self, update: dict) -> Parsed:
        if not isinstance(update.get("id"), str) or not isinstance(update.get("from"), str):
            raise InvalidUpdate("no id or sender")
        who = update["from"]
        event = IncomingEvent(channel=self.name, chat_id=who, user_id=who, text=str(update.get("text") or ""),
                              message_id=update["id"])
        return Parsed(update["id"], update, event, who)

    # verify
    def check_webhook(self) -> None:
        pass

    def unwrap(self, body: object) -> dict:
        if not isinstance(body, dict):
            raise ValueError("not a pager update")
        return body

    # fetch
    async def start(self) -> None:
        pass

    async def before_polling(self) -> None:
        pass

    async def get_updates(self) -> list[dict]:
        if self.failures:
            raise self.failures.pop(0)
        return [await self.inbox.get()]

    async def prefetch(self, event: IncomingEvent) -> None:
        pass

    def forget(self, event: IncomingEvent) -> None:
        pass

    # render
    async def acknowledge(self, ack: str) -> None:
        pass

    async def typing(self, chat_id: str) -> None:
        pass

    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        self.sent.append((chat_id, reply.full_text))

    async def close(self) -> None:
        pass

    def texts(self, chat_id: str) -> list[str]:
        return [text for chat, text in self.sent if chat == chat_id]


@pytest.fixture
def app(tmp_path: Path) -> App:
    return build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT))


async def until(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_a_channel_of_parse_fetch_and_render_is_served_by_the_one_poll_loop(app: App) -> None:
    pager = PagerChannel()
    sleeps: list[float] = []

    async def sleep(delay: float) -> None:
        sleeps.append(delay)

    kernel = wiring.build(app, {"pager": pager}, backoff=Backoff(0.5, 2.0), sleep=sleep)
    inbound = kernel.inbound["pager"]
    stop = asyncio.Event()
    worker = asyncio.create_task(kernel.delivery.run(stop, every=0.05))
    await inbound.start()
    pager.failures = [Transient("network"), Transient("network"), Transient("network"), Transient("network")]
    polling = asyncio.create_task(inbound.poll())
    try:
        pager.inbox.put_nowait({"id": "1", "from": "an", "text": "/start"})
        pager.inbox.put_nowait({"id": "2", "from": "an", "text": "/trogiup"})
        pager.inbox.put_nowait({"id": "1", "from": "an", "text": "/start"})  # a redelivery: skipped
        pager.inbox.put_nowait({"nothing": "here"})  # cannot be answered: logged, not stored
        await until(lambda: len(pager.texts("an")) >= 2)
        await inbound.wait_idle()
        assert sleeps == [0.5, 1.0, 2.0, 2.0]  # the fetch back-off, doubling to its cap
        first, second = pager.texts("an")
        assert first.startswith("Kính chào") and help_text(officer=False).splitlines()[0] in second
        assert [app.repo.update_status("pager", k) for k in ("1", "2")] == ["done", "done"]
    finally:
        polling.cancel()
        await asyncio.gather(polling, return_exceptions=True)
        await inbound.close()
        stop.set()
        await worker


async def test_the_one_webhook_handler_checks_the_secret_then_accepts_once(app: App) -> None:
    pager = PagerChannel()
    kernel = wiring.build(app, {"pager": pager})
    client = TestClient(TestServer(make_web_app(kernel.inbound), host="127.0.0.1"))
    await client.start_server()
    headers = {"X-Pager-Secret": pager.webhook_secret}
    try:
        update = {"id": "w1", "from": "binh", "text": "/start"}
        assert (await client.post("/webhook/pager", json=update)).status == 401
        assert (await client.post("/webhook/pager", json=update, headers={"X-Pager-Secret": "no"})).status == 403
        assert (await client.post("/webhook/pager", data=b"{", headers=headers)).status == 400
        for _ in range(2):  # the second is a redelivery: acknowledged, not answered again
            assert (await client.post("/webhook/pager", json=update, headers=headers)).status == 200
        await kernel.inbound["pager"].wait_idle()
        assert len(pager.texts("binh")) == 1
    finally:
        await client.close()
        await kernel.inbound["pager"].close()


async def test_an_update_accepted_before_a_crash_is_answered_at_the_next_start(app: App) -> None:
    pager = PagerChannel()
    kernel = wiring.build(app, {"pager": pager})
    # The last process stored it and died before its turn.
    assert await kernel.pipeline.accept("pager", "c1", {"id": "c1", "from": "chi", "text": "/start"}, "chi")
    restarted = wiring.build(app, {"pager": pager})
    await restarted.inbound["pager"].start()
    await restarted.inbound["pager"].wait_idle()
    await until(lambda: pager.texts("chi"))
    assert pager.texts("chi")[0].startswith("Kính chào")
    assert app.repo.update_status("pager", "c1") == "done"
    await restarted.inbound["pager"].close()


def test_backoff_doubles_to_its_cap_with_jitter_and_a_bound() -> None:
    b = Backoff(1.0, 8.0)
    assert [b.next() for _ in range(5)] == [1, 2, 4, 8, 8]
    other = b.fresh()
    assert other.next() == 1  # counts its own failures
    b.reset()
    assert b.next() == 1
    spread = Backoff(2.0, 300.0, attempts=3, jitter=0.5)
    assert all(1.5 <= spread.delay(1) <= 2.5 for _ in range(50))
    assert not spread.gives_up(2) and spread.gives_up(3)


def test_the_redactor_masks_tokens_secrets_and_the_database_password() -> None:
    settings = load_settings(telegram_bot_token="123456:TOKEN-abc", zalo_webhook_secret="zalo-secret-99",
                             database_url="postgresql://bot:p%40ss-w0rd-xyz@db:5432/bot")
    redact = Redactor(secrets_of(settings))
    line = ("https://api/bot123456:TOKEN-abc/getMe secret=zalo-secret-99 "
            "postgresql://bot:p@ss-w0rd-xyz@db/bot postgresql://bot:p%40ss-w0rd-xyz@db/bot")
    assert redact(line) == "https://api/bot***/getMe secret=*** postgresql://bot:***@db/bot postgresql://bot:***@db/bot"
    assert redact(RuntimeError("at 123456:TOKEN-abc")) == "RuntimeError: at ***"

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(redact))
    logger = logging.getLogger("test.kernel.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise ConnectionError("password authentication failed for postgresql://bot:p@ss-w0rd-xyz@db")
        except ConnectionError:
            logger.exception("database away")
    finally:
        logger.removeHandler(handler)
    assert "p@ss-w0rd-xyz" not in stream.getvalue() and "database away" in stream.getvalue()
