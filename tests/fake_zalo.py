"""A fake Zalo Bot API server for tests (aiohttp on 127.0.0.1, a free port).

It follows shared/reference/zalo-bot-api.md: `POST /bot<token>/<method>` with a
JSON body, answers in the `{"ok", "result" | "error_code", "description"}`
envelope, serves queued updates one per getUpdates call (or error 408 after a
short wait), refuses texts over 2,000 characters like the real sendMessage,
and records every call. It also serves photo files for download tests and can
be told to fail the next getUpdates calls (502, a dropped connection, a
non-JSON answer) or to start refusing the token.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures" / "zalo"
TOKEN = "1234567890:FakeZaloSecret-abcdefXYZ"
MAX_TEXT = 2000


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def make_update(kind: str = "text", *, message_id: str, text: str | None = None, user: str = "u-an",
                name: str = "Nguyễn Văn An", chat: str | None = None, envelope: bool = False, **extra: Any) -> dict:
    """A fixture shape with its ids and text replaced. `kind` names a fixture file."""
    data = load_fixture(kind)
    result = data["result"] if "result" in data else data
    msg = result["message"]
    msg["message_id"] = message_id
    if text is not None:
        msg["text"] = text
    if "from" in msg:
        msg["from"]["id"] = user
        for key in ("display_name", "first_name", "name"):
            if key in msg["from"]:
                msg["from"][key] = name
    if "chat" in msg:
        msg["chat"]["id"] = chat or user
    msg.update(extra)
    return {"ok": True, "result": result} if envelope else result


@dataclass
class Call:
    method: str
    body: dict
    at: float
    token_ok: bool


@dataclass
class FakeZalo:
    token: str = TOKEN
    poll_wait: float = 0.15  # how long an empty getUpdates waits before answering 408
    updates: asyncio.Queue = field(default_factory=asyncio.Queue)
    calls: list[Call] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # for the next getUpdates calls: "502" | "drop" | "html"
    webhook: dict = field(default_factory=lambda: {"url": "", "updated_at": 0})
    webhook_secret: str | None = None
    revoked: bool = False
    refuse_send: int = 0  # how many of the next sendMessage calls answer ok:false
    break_send: int = 0  # how many of the next sendMessage calls fail with a 502 page (a passing outage)
    url: str = ""
    _runner: web.AppRunner | None = None
    images: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # name -> (bytes, content type)
    expired: set[str] = field(default_factory=set)  # names of images whose link has expired
    image_requests: list[str] = field(default_factory=list)

    # --- lifecycle ---------------------------------------------------------------
    async def start(self) -> FakeZalo:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/images/{name}", self._image)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests use ------------------------------------------------------------
    def push(self, update: dict) -> None:
        self.updates.put_nowait(update)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def texts(self, chat_id: str | None = None) -> list[str]:
        return [c.body["text"] for c in self.calls_of("sendMessage")
                if c.token_ok and c.body.get("_accepted") and (chat_id is None or c.body.get("chat_id") == chat_id)]

    def serve_image(self, data: bytes, name: str | None = None, content_type: str = "image/jpeg") -> str:
        """Serve `data` at an image link on this server, as Zalo does for a photo; returns the URL."""
        name = name or f"img-{len(self.images) + 1}.jpg"
        self.images[name] = (data, content_type)
        self.expired.discard(name)
        return f"{self.url}/images/{name}"

    def expire(self, url: str) -> None:
        """The link stops working (410 Gone), as Zalo's image links do after a while."""
        self.expired.add(url.rstrip("/").rsplit("/", 1)[-1])

    async def wait_for(self, predicate, timeout: float = 5.0, what: str = "condition") -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}; "
                                     f"calls: {[c.method for c in self.calls][-20:]}")
            await asyncio.sleep(0.01)

    async def wait_texts(self, chat_id: str, count: int, timeout: float = 5.0) -> list[str]:
        await self.wait_for(lambda: len(self.texts(chat_id)) >= count, timeout, f"{count} message(s) to {chat_id}")
        return self.texts(chat_id)

    # --- the API ---------------------------------------------------------------
    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _err(code: int, description: str, status: int = 200) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description}, status=status)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        token_ok = request.match_info["token"] == self.token and not self.revoked
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        call = Call(method, body if isinstance(body, dict) else {}, time.monotonic(), token_ok)
        self.calls.append(call)
        if not token_ok:
            return self._err(401, "Unauthorized", status=401)
        if not isinstance(body, dict):
            return self._err(400, "Bad Request: body must be a JSON object", status=400)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._err(404, f"Not Found: method {method}", status=404)
        return await handler(request, body, call)

    async def _m_getMe(self, _r, _b, _c) -> web.Response:  # noqa: N802
        return self._ok({"id": "bot-fake-1", "account_name": "bot.thidua", "account_type": "BASIC",
                         "can_join_groups": False})

    async def _m_getUpdates(self, request, body, _c) -> web.StreamResponse:  # noqa: N802
        if self.failures:
            kind = self.failures.pop(0)
            if kind == "502":
                return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")
            if kind == "html":
                return web.Response(status=200, text="<html>maintenance</html>", content_type="text/html")
            if kind == "drop":
                request.transport.close()  # type: ignore[union-attr]
                return web.Response(status=500)
        if self.webhook["url"]:
            return self._err(400, "Bad Request: webhook is set, getUpdates is disabled")
        timeout = body.get("timeout", 30)
        wait = min(float(timeout) if isinstance(timeout, int | float) else 30.0, self.poll_wait)
        try:
            update = await asyncio.wait_for(self.updates.get(), timeout=wait)
        except TimeoutError:
            return self._err(408, "Request timeout")
        return self._ok(update)

    async def _m_sendMessage(self, _r, body, call) -> web.Response:  # noqa: N802
        chat_id, text = body.get("chat_id"), body.get("text")
        if self.break_send > 0:
            self.break_send -= 1
            return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")
        if self.refuse_send > 0:
            self.refuse_send -= 1
            return self._err(400, "Bad Request: refused by the test")
        if not isinstance(chat_id, str) or not chat_id:
            return self._err(400, "Bad Request: chat_id is required")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return self._err(400, f"Bad Request: text must be 1-{MAX_TEXT} characters")
        call.body["_accepted"] = True
        return self._ok({"message_id": f"sent-{len(self.calls)}", "date": int(time.time() * 1000)})

    async def _m_sendChatAction(self, _r, body, _c) -> web.Response:  # noqa: N802
        if body.get("action") != "typing" or not body.get("chat_id"):
            return self._err(400, "Bad Request: action must be typing")
        return self._ok(True)

    async def _m_setWebhook(self, _r, body, _c) -> web.Response:  # noqa: N802
        url, secret = body.get("url"), body.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            return self._err(400, "Bad Request: url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return self._err(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "updated_at": int(time.time() * 1000)}
        self.webhook_secret = secret
        return self._ok(self.webhook)

    async def _m_deleteWebhook(self, _r, _b, _c) -> web.Response:  # noqa: N802
        self.webhook = {"url": "", "updated_at": int(time.time() * 1000)}
        self.webhook_secret = None
        return self._ok(self.webhook)

    async def _m_getWebhookInfo(self, _r, _b, _c) -> web.Response:  # noqa: N802
        return self._ok(self.webhook)

    async def _image(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.image_requests.append(name)
        if name in self.expired:
            return web.Response(status=410, text="link expired")
        if name not in self.images:
            return web.Response(status=404, text="not found")
        data, content_type = self.images[name]
        return web.Response(body=data, content_type=content_type)
