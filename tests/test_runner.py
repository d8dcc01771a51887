"""bot.runner.serve with stand-in channels: clean stop, and no channel left open."""

from __future__ import annotations

import asyncio
import os
import socket
import time

import aiohttp
import pytest

from bot import runner, scheduler
from bot.app import App
from handlers.events import Capabilities


class StubChannel:
    capabilities = Capabilities()
    max_in_flight = 64
    shutdown_grace = 1.0
    secret_header = "X-Secret"
    max_body = 1024
    webhook_secret = "s"
    ready = True

    def __init__(self, name: str, fail_start: bool = False):
        self.name = self.title = name
        self.webhook_path = f"/webhook/{name}"
        self.fail_start = fail_start
        self.events: list[str] = []

    async def start(self) -> None:
        self.events.append("start")
        if self.fail_start:
            raise RuntimeError("refused")

    async def before_polling(self) -> None:
        self.events.append("poll")

    async def get_updates(self) -> list[dict]:
        await asyncio.Event().wait()
        return []

    def check_webhook(self) -> None:
        self.events.append("routes")

    async def recover_pending(self) -> None:  # as the scheduler's sweep sees it (an Inbound)
        self.events.append("recover")

    async def close(self) -> None:
        self.events.append("close")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> dict[str, StubChannel]:
    channels = {"telegram": StubChannel("telegram"), "zalo": StubChannel("zalo")}
    monkeypatch.setattr(runner, "make_channels", lambda settings: channels)
    return channels


async def test_polling_stops_cleanly_on_request(app: App, stubs: dict[str, StubChannel]):
    stop = asyncio.Event()
    task = asyncio.create_task(runner.serve(app, stop=stop))
    for _ in range(500):  # until both channels poll (bounded)
        if all("poll" in ch.events for ch in stubs.values()):
            break
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert stubs["telegram"].events == ["start", "poll", "close"]
    assert stubs["zalo"].events == ["start", "poll", "close"]


async def test_webhook_server_serves_healthz_and_stops(app: App, stubs: dict[str, StubChannel]):
    app.settings.port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.serve(app, webhook=True, host="127.0.0.1", stop=stop))
    async with aiohttp.ClientSession() as http:
        for _ in range(50):
            try:
                async with http.get(f"http://127.0.0.1:{app.settings.port}/healthz") as resp:
                    assert resp.status == 200 and (await resp.json()) == {"ok": True}
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
        else:
            pytest.fail("webhook server did not come up")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert stubs["zalo"].events == ["routes", "start", "close"]


async def test_a_channel_that_fails_to_start_closes_the_ones_already_started(app: App,
                                                                              stubs: dict[str, StubChannel]):
    stubs["zalo"].fail_start = True
    with pytest.raises(RuntimeError, match="refused"):
        await asyncio.wait_for(runner.serve(app, stop=asyncio.Event()), 5)
    assert stubs["telegram"].events == ["start", "close"]
    assert stubs["zalo"].events == ["start"]


async def test_the_scheduler_sweeps_for_left_updates_and_prunes(app: App, stubs: dict[str, StubChannel]):
    sched = scheduler.make_scheduler(app, stubs)
    assert {job.id for job in sched.get_jobs()} == {"recovery_sweep", "prune", "reminders", "content_refresh"}
    await scheduler.recovery_sweep(stubs)
    assert stubs["zalo"].events.count("recover") == 1 and stubs["telegram"].events.count("recover") == 1
    await scheduler.prune(app)  # nothing old yet: runs and removes nothing


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_health_says_alive_while_serving_and_not_after(app: App, stubs: dict[str, StubChannel], webhook: bool):
    # Docker's HEALTHCHECK runs `python -m bot health`: long polling opens no port, so the
    # running bot's heartbeat tells; in webhook mode GET /healthz must answer too.
    from bot import health

    app.settings.port = free_port()
    alive, line = health.check(app.settings)
    assert not alive and line.startswith("not running")
    stop = asyncio.Event()
    task = asyncio.create_task(runner.serve(app, webhook=webhook, host="127.0.0.1", stop=stop))
    result = (False, "")
    for _ in range(100):  # until the heartbeat is written and, with webhooks, the port answers
        result = await asyncio.to_thread(health.check, app.settings)
        if result[0]:
            break
        await asyncio.sleep(0.05)
    assert result[0], result[1]
    assert ("webhook server on port" in result[1]) is webhook
    # A stale heartbeat (a stuck event loop) is not alive.
    path = health.heartbeat_path(app.settings)
    stuck = await asyncio.to_thread(health.check, app.settings, time.time() + health.STALE_AFTER + 100)
    assert not stuck[0] and stuck[1].startswith("stuck"), stuck
    stop.set()
    await asyncio.wait_for(task, 5)
    assert not path.exists()
    alive, line = health.check(app.settings)
    assert not alive and line.startswith("not running"), line


def test_health_command_exit_codes(app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    from bot import cli, health

    monkeypatch.setenv("DATA_DIR", str(app.settings.data_dir))
    assert cli.main(["health"]) == 1
    assert "not running" in capsys.readouterr().err
    health.write_heartbeat(health.heartbeat_path(app.settings), webhook=False, port=8080)
    assert cli.main(["health"]) == 0
    assert capsys.readouterr().out.startswith(f"alive: process {os.getpid()}, long polling")
    # The process of the heartbeat is gone (a killed bot leaves its file behind).
    dead = 2 ** 22 + 12345
    health.heartbeat_path(app.settings).write_text(
        f'{{"pid": {dead}, "at": {time.time()}, "webhook": false, "port": 8080}}', encoding="utf-8")
    assert cli.main(["health"]) == 1
    assert f"process {dead} of the last heartbeat" in capsys.readouterr().err


async def test_start_up_says_the_example_deadlines_are_inert(tmp_path, stubs: dict[str, StubChannel],  # noqa: ANN001
                                                              caplog: pytest.LogCaptureFixture):
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT))
    stop = asyncio.Event()
    with caplog.at_level("INFO", logger="bot.runner"):
        task = asyncio.create_task(runner.serve(app, stop=stop))
        for _ in range(500):
            if all("poll" in ch.events for ch in stubs.values()):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)
    lines = [r.getMessage() for r in caplog.records if "example deadline" in r.getMessage()]
    assert len(lines) == 1 and "are inert (never sent" in lines[0] and "remove `example: true`" in lines[0]


async def test_the_learned_ranker_is_ready_before_the_first_question(tmp_path, stubs: dict[str, StubChannel],  # noqa: ANN001
                                                                     caplog: pytest.LogCaptureFixture):
    """At start the ranker is loaded or trained in the background: the first question that needs it
    would otherwise wait for a training (seconds on a fresh machine)."""
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import FIXTURE_CONTENT

    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=FIXTURE_CONTENT))
    assert not app.knowledge.matcher.ranker_ready
    stop = asyncio.Event()
    with caplog.at_level("INFO", logger="bot.runner"):
        task = asyncio.create_task(runner.serve(app, stop=stop))
        deadline = time.monotonic() + 30
        while not app.knowledge.matcher.ranker_ready and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)
    assert app.knowledge.matcher.ranker_ready  # no message came: the start built it
    deadline = time.monotonic() + 5
    while not any("learned ranker ready in" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert any("learned ranker ready in" in r.getMessage() for r in caplog.records)
