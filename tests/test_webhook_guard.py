"""The webhook server against slow and hostile clients (issue 11, faults 4, 5 and 8):
header timeouts and a connection cap, malformed requests answered 400/413 without
a traceback, and Telegram updates stored without what the bot does not read."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot import webserver
from bot.plumbing import OncePer
from bot.runner import make_web_app
from bot.telegram.channel import MAX_BODY as TG_MAX_BODY
from bot.telegram.channel import SECRET_HEADER as TG_HEADER
from bot.telegram.channel import WEBHOOK_PATH as TG_PATH
from bot.zalo.adapter import SECRET_HEADER as ZALO_HEADER
from bot.zalo.adapter import WEBHOOK_PATH as ZALO_PATH
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.test_hardening import until
from tests.test_telegram import SECRET as TG_SECRET
from tests.test_telegram import running
from tests.test_zalo import SECRET as ZALO_SECRET
from tests.test_zalo import make_bot, zalo_settings


async def _trickle(port: int, stop: asyncio.Event, closed: list[int]) -> None:
    """A client that sends a request's headers one byte at a time, forever."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        closed.append(1)
        return
    try:
        writer.write(b"POST /webhook/telegram HTTP/1.1\r\nHost: x\r\n")
        while not stop.is_set():
            writer.write(b"X")
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1), 0.05) == b"":
                    closed.append(1)
                    return
            except TimeoutError:
                pass
    except (ConnectionError, OSError):
        closed.append(1)
    finally:
        writer.close()


async def test_slow_clients_are_cut_off_and_health_stays_up() -> None:
    # Probe: 20,400 connections trickling headers took every file descriptor; /healthz and
    # valid updates timed out. Here, 150 trickling clients against a cap of 32.
    app = make_web_app({})
    runner, site = await webserver.start(app, "127.0.0.1", 0, limit=32, header_timeout=1.0)
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stop, closed = asyncio.Event(), []
    clients = [asyncio.create_task(_trickle(port, stop, closed)) for _ in range(150)]
    try:
        await until(lambda: site.refused + site.displaced + len(closed) >= 118, what="the cap to act")
        assert len(runner.server.connections) <= 32
        async with aiohttp.ClientSession() as http:
            t0 = time.monotonic()
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
            assert time.monotonic() - t0 < 2.0
        # Headers that never finish are cut off after the header timeout.
        await until(lambda: len(closed) == 150, timeout=15, what="every trickling client cut off")
        assert len(runner.server.connections) <= 1
    finally:
        stop.set()
        await asyncio.gather(*clients, return_exceptions=True)
        await runner.cleanup()


# --- malformed requests ---------------------------------------------------------------

@pytest.fixture
async def tg_fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram("123456:TEST-token_abcdefghijklmnopqrstuvwx")
    await server.start()
    yield server
    await server.close()


async def _raw(port: int, head: bytes, body: bytes = b"") -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def test_malformed_requests_get_400_or_413_and_no_traceback(tmp_path, tg_fake: FakeTelegram,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    # Probe: a \xff byte in the Telegram secret header or deeply nested JSON to Zalo gave a
    # 500 and a traceback; a flood of malformed bodies got 1,215 x 500 of 9,996.
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    caplog.set_level(logging.INFO)
    zfake = await FakeZalo().start()
    tg_settings = load_settings(data_dir=tmp_path / "tg", content_dir=REAL_CONTENT,
                                telegram_bot_token=tg_fake.token, telegram_api_url=tg_fake.url,
                                telegram_webhook_secret=TG_SECRET)
    tg_app = build_app(tg_settings)
    zbot = await make_bot(zalo_settings(tmp_path, zfake), zfake)
    try:
        async with running(tg_app, tg_fake, poll=False) as tg:
            web_app = make_web_app({"telegram": tg.inbound, "zalo": zbot.inbound})
            runner, site = await webserver.start(web_app, "127.0.0.1", 0)
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            tg_head = f"POST {TG_PATH} HTTP/1.1\r\nHost: x\r\n{TG_HEADER}: {TG_SECRET}\r\n".encode()
            z_head = f"POST {ZALO_PATH} HTTP/1.1\r\nHost: x\r\n{ZALO_HEADER}: {ZALO_SECRET}\r\n".encode()
            cases = [
                (f"POST {TG_PATH} HTTP/1.1\r\nHost: x\r\n{TG_HEADER}: ".encode() + b"\xff\xfe\r\n", b"{}", 403),
                (f"POST {ZALO_PATH} HTTP/1.1\r\nHost: x\r\n{ZALO_HEADER}: ".encode() + b"\xff\r\n", b"{}", 403),
                (z_head, _nested(100_000), 400),
                (tg_head, _nested(100_000), 400),
                (tg_head, b"\xff\xfe{", 400),
                (z_head, b"\xff\xfe{", 400),
                (tg_head, b'{"update_id": "1"}', 400),
                (tg_head, b"[1, 2]", 400),
                (z_head, b'"just a string"', 400),
                (tg_head, b"x" * (TG_MAX_BODY + 1), 413),
                (tg_head, b"x" * (1024 * 1024 + 10), 413),
                (z_head, b"x" * (1024 * 1024 + 10), 413),
            ]
            statuses = []
            for _ in range(3):
                for head, body, expected in cases:
                    statuses.append((await _raw(port, head, body), expected))
            assert [got for got, _ in statuses] == [want for _, want in statuses]
            # Wrong field types in an update that parses: no apology, no traceback.
            odd = {"update_id": 4242, "message": {"message_id": "x", "from": {"id": 5, "first_name": 7},
                                                  "chat": {"id": 5, "type": "private"}, "text": 12345}}
            weird_photo = {"update_id": 4243, "message": {"message_id": 9, "from": {"id": 6}, "chat": {"id": 6},
                                                          "photo": [{"file_id": 1}, "x"], "caption": ["a"]}}
            for update in (odd, weird_photo):
                assert await _raw(port, tg_head, json.dumps(update).encode()) == 200
            await until(lambda: all(tg_app.repo.update_status("telegram", k) == "done" for k in ("4242", "4243")),
                        what="the odd updates finished")
            await tg.inbound.wait_idle()
            assert not tg_fake.messages_to(5) and not tg_fake.messages_to(6)
            await runner.cleanup()
    finally:
        await zbot.inbound.close()
        await zfake.stop()
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_nul_in_a_header_is_400_and_one_short_line_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    # Probe: 500 requests with a NUL in a header got their 400, and aiohttp logged an
    # 11-line ERROR traceback for each (298 KB of log in 0.21 s).
    caplog.set_level(logging.DEBUG)
    now = [1000.0]
    client_errors = webserver.ClientErrorLog(OncePer(60.0, clock=lambda: now[0]))
    runner, site = await webserver.start(make_web_app({}), "127.0.0.1", 0, client_errors=client_errors)
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    nul_headers = [b"Host: x\x00y\r\n", f"{TG_HEADER}: ab\x00cd\r\n".encode(), b"X-Anything: \x00\r\n"]
    try:
        statuses = [await _raw(port, b"GET /healthz HTTP/1.1\r\n" + nul_headers[i % 3]) for i in range(300)]
        # Another kind of fault: a header longer than aiohttp reads.
        statuses += [await _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n")
                     for _ in range(20)]
        assert set(statuses) == {400} and len(statuses) == 320
        assert await _raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n") == 200
        lines = [r for r in caplog.records if r.name.startswith(("aiohttp", "bot"))]
        assert len(lines) == 2, [r.getMessage() for r in lines]
        assert all(r.name == "bot.webserver" and r.levelno == logging.WARNING and not r.exc_info
                   and "\n" not in r.getMessage() and "ab" not in r.getMessage() for r in lines)
        assert "Invalid header value char" in lines[0].getMessage()
        # A minute later the next one is logged again, with how many were held back.
        now[0] += 61
        assert await _raw(port, b"GET /healthz HTTP/1.1\r\nX-A: \x00\r\n") == 400
        lines = [r for r in caplog.records if r.name.startswith(("aiohttp", "bot"))]
        assert len(lines) == 3 and "(299 more since the last such line)" in lines[-1].getMessage()
        # aiohttp's pure-Python parser quotes the header in its message; the line never does.
        from aiohttp.http_exceptions import InvalidHeader

        client_errors.log(logging.ERROR, "Error handling request from %s", "127.0.0.9",
                          exc_info=InvalidHeader(f"{TG_HEADER}: {TG_SECRET}\x00".encode()))
        assert caplog.records[-1].getMessage() == "refused a malformed request from 127.0.0.9 with 400: Invalid HTTP header"
    finally:
        await runner.cleanup()


async def _from(source: str, port: int, head: bytes) -> int:
    """A request sent from the loopback address `source` (all of 127/8 is this machine)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(head + b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def test_a_wrong_or_missing_secret_is_logged_once_a_minute_per_source(
        tmp_path, tg_fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    # Probe: a webhook request refused for a wrong or missing secret left no line at all.
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    caplog.set_level(logging.INFO)
    now = [1000.0]
    zfake = await FakeZalo().start()
    tg_app = build_app(load_settings(data_dir=tmp_path / "tg", content_dir=REAL_CONTENT,
                                     telegram_bot_token=tg_fake.token, telegram_api_url=tg_fake.url,
                                     telegram_webhook_secret=TG_SECRET))
    zbot = await make_bot(zalo_settings(tmp_path, zfake), zfake)
    wrong = "pasted-" + TG_SECRET[::-1]
    try:
        async with running(tg_app, tg_fake, poll=False) as tg:
            for channel in (tg.inbound, zbot.inbound):
                channel.refused.once.clock = lambda: now[0]
            runner, site = await webserver.start(make_web_app({"telegram": tg.inbound, "zalo": zbot.inbound}),
                                                 "127.0.0.1", 0)
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            requests = [(f"POST {TG_PATH} HTTP/1.1\r\nHost: x\r\n{TG_HEADER}: {wrong}\r\n", 403),
                        (f"POST {TG_PATH} HTTP/1.1\r\nHost: x\r\n", 401),
                        (f"POST {ZALO_PATH} HTTP/1.1\r\nHost: x\r\n{ZALO_HEADER}: {wrong}\r\n", 403)]
            try:
                for source in ("127.0.0.2", "127.0.0.3"):
                    for _ in range(20):
                        for head, status in requests:
                            assert await _from(source, port, head.encode()) == status
                lines = [r.getMessage() for r in caplog.records if "refused a request" in r.getMessage()]
                # One line per channel and source address in the minute, however many were refused.
                assert sorted(lines) == sorted(
                    f"{channel} webhook: refused a request from {source} with a wrong {header} header"
                    for channel, header in (("telegram", TG_HEADER), ("zalo", ZALO_HEADER))
                    for source in ("127.0.0.2", "127.0.0.3"))
                now[0] += 61
                assert await _from("127.0.0.2", port, requests[1][0].encode()) == 401
                last = [r.getMessage() for r in caplog.records if "refused a request" in r.getMessage()][-1]
                assert last == (f"telegram webhook: refused a request from 127.0.0.2 with no {TG_HEADER} header "
                                "(39 more from there since the last such line)")
            finally:
                await runner.cleanup()
    finally:
        await zbot.inbound.close()
        await zfake.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert wrong not in logged and TG_SECRET[::-1] not in logged


async def test_telegram_updates_are_stored_without_what_the_bot_does_not_read(
        tg_fake: FakeTelegram, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    # Probe: webhook bodies up to 1 MiB were stored whole in the inbox.
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=tg_fake.token,
                             telegram_api_url=tg_fake.url, telegram_webhook_secret=TG_SECRET)
    app = build_app(settings)
    stored: list[int] = []
    accept = app.repo.accept_update

    def measured(channel: str, key: str, payload: dict | None = None, user_key: str | None = None) -> bool:
        stored.append(len(json.dumps(payload)))
        return accept(channel, key, payload, user_key)

    monkeypatch.setattr(app.repo, "accept_update", measured)
    update = tg_fake.message_update(31, "hồ sơ HCLĐ nộp mấy bộ")
    update["message"]["entities"] = [{"type": "bold", "offset": 0, "length": 1}] * 4000
    update["message"]["reply_to_message"] = {"message_id": 1, "from": {"id": 99}, "text": "y" * 50_000}
    update["message"]["from"]["extra"] = "z" * 10_000
    body = json.dumps(update).encode()
    assert 100_000 < len(body) < TG_MAX_BODY
    async with running(app, tg_fake, poll=False) as tg:
        web_app = make_web_app({"telegram": tg.inbound})
        runner, site = await webserver.start(web_app, "127.0.0.1", 0)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with aiohttp.ClientSession() as http:
            async with http.post(f"http://127.0.0.1:{port}{TG_PATH}", data=body,
                                 headers={TG_HEADER: TG_SECRET, "Content-Type": "application/json"}) as resp:
                assert resp.status == 200
        assert len(stored) == 1 and stored[0] < 1000, f"{stored} bytes stored of a {len(body)}-byte update"
        await tg_fake.wait_for(lambda: tg_fake.messages_to(31))
        await tg.inbound.wait_idle()
        await runner.cleanup()
    assert "05 bộ" in tg_fake.messages_to(31)[0].params["text"]


# --- connection accounting ------------------------------------------------------------

async def _closed_at_once(port: int) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    await writer.wait_closed()


async def _one_request(port: int, *, keep_alive: bool) -> asyncio.StreamWriter | None:
    """GET /healthz answered 200; with keep_alive the connection is returned open (the server
    or the caller closes it later)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + (b"" if keep_alive else b"Connection: close\r\n") + b"\r\n"
    writer.write(head)
    await writer.drain()
    status = await reader.readline()
    assert status.split()[1:2] == [b"200"], f"refused: {status!r}"
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    if keep_alive:
        return writer
    writer.close()
    return None


async def _half_open(port: int, head: bytes) -> None:
    """Sends `head` (a whole request, or part of one), shuts its sending side and waits for
    the server to close the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    writer.write_eof()
    await writer.drain()
    await asyncio.wait_for(reader.read(), 10)
    writer.close()



async def test_thousands_of_short_connections_never_deafen_the_server(tg_fake: FakeTelegram, tmp_path) -> None:  # noqa: ANN001
    # Probe: 512 sequential GET /healthz and the server refused every later connection,
    # valid webhooks included, while the process stayed up and logged nothing; kept-alive
    # connections closed by the server after 10 s idle leaked the same way.
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    limit = 16
    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT, telegram_bot_token=tg_fake.token,
                             telegram_api_url=tg_fake.url, telegram_webhook_secret=TG_SECRET)
    app = build_app(settings)
    async with running(app, tg_fake, poll=False) as tg:
        web_app = make_web_app({"telegram": tg.inbound})
        runner, site = await webserver.start(web_app, "127.0.0.1", 0, limit=limit, header_timeout=0.3)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            for round_ in range(4):  # about 1,300 connections, 80 times the cap
                # Opened and closed between two accepts, many times the cap.
                for _ in range(limit * 4):
                    await _closed_at_once(port)
                # Plain requests with Connection: close, and half-open connections (the client
                # shuts its sending side after a whole request or in the middle of its headers).
                for _ in range(limit * 4):
                    await _one_request(port, keep_alive=False)
                    await _half_open(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    await _half_open(port, b"POST /webhook/telegram HTTP/1.1\r\nHost: x\r\nContent-Le")
                # Kept alive, then closed by the client.
                kept = [await _one_request(port, keep_alive=True) for _ in range(limit // 2)]
                for writer in kept:
                    assert writer is not None
                    writer.close()
                # Kept alive and left idle: the server closes them after its idle timeout.
                idle = [await _one_request(port, keep_alive=True) for _ in range(limit // 2)]
                await until(lambda: site.open_connections == 0, timeout=10,
                            what=f"round {round_}: idle connections closed by the server")
                for writer in idle:
                    assert writer is not None
                    writer.close()
                # Connections at once, several times the cap, closed at once (some are refused
                # while the cap is full: the next round's requests must all be answered again).
                await asyncio.gather(*(_closed_at_once(port) for _ in range(limit * 3)), return_exceptions=True)
            await until(lambda: site.open_connections == 0, timeout=10, what="the accounting back to zero")
            # A valid webhook is still answered.
            update = tg_fake.message_update(77, "hồ sơ HCLĐ nộp mấy bộ")
            async with aiohttp.ClientSession() as http:
                async with http.post(f"http://127.0.0.1:{port}{TG_PATH}", json=update,
                                     headers={TG_HEADER: TG_SECRET}) as resp:
                    assert resp.status == 200
            await tg_fake.wait_for(lambda: tg_fake.messages_to(77))
            await tg.inbound.wait_idle()
            await until(lambda: site.open_connections == 0, timeout=10, what="the accounting back to zero")
        finally:
            await runner.cleanup()
