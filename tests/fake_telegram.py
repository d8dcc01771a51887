"""A small fake Telegram Bot API server for end-to-end tests of the real aiogram Bot.

It listens on 127.0.0.1 (a free port), serves `/bot<token>/<method>`, records
every call, queues updates for getUpdates, checks what real Telegram checks
(HTML markup, message length, callback data size, command names) and can be
told to fail the next calls with 429 retry_after, 500 or a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Self

from aiohttp import web

JSON_FIELDS = {"reply_markup", "commands", "allowed_updates", "link_preview_options", "reply_parameters",
               "scope", "entities", "caption_entities"}
ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler",
                "span", "blockquote", "tg-emoji"}
COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int = 200


@dataclass
class Fault:
    status: int  # 429, 500, or 0 for a dropped connection
    retry_after: int = 1


class _Markup(HTMLParser):
    """Reads Telegram's HTML subset; raises ValueError where Telegram would answer 400."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ANN001
        if tag not in ALLOWED_TAGS:
            raise ValueError(f'Unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise ValueError(f'Unmatched end tag "{tag}"')
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> str:
    """The visible text of a message sent with parse_mode=HTML, or ValueError."""
    # Telegram rejects a bare "<" or "&" that does not start a tag or an entity.
    for m in re.finditer(r"&", text):
        if not re.match(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);", text[m.start():]):
            raise ValueError(f"Can't find end of the entity starting at byte offset {m.start()}")
    for m in re.finditer(r"<", text):
        if not re.match(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?>", text[m.start():]):
            raise ValueError(f"Unexpected start of tag at byte offset {m.start()}")
    parser = _Markup()
    parser.feed(text)
    parser.close()
    if parser.stack:
        raise ValueError(f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"')
    return "".join(parser.text)


class FakeTelegram:
    def __init__(self, token: str, *, bot_id: int = 777000111, username: str = "thidua_test_bot",
                 max_poll_wait: float = 0.5):
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.max_poll_wait = max_poll_wait
        self.calls: list[Call] = []
        self.updates: list[dict] = []
        self.webhook: dict[str, Any] = {}
        self._faults: dict[str, list[Fault]] = {}
        self.blocked: set[str] = set()  # chats whose user blocked the bot: sending there answers 403
        self._new_update = asyncio.Event()
        self._changed = asyncio.Event()
        self._update_ids = itertools.count(100001)
        self._message_ids = itertools.count(5001)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.files: dict[str, dict] = {}  # file_id -> the File object getFile answers
        self.file_data: dict[str, bytes] = {}  # file_path -> bytes served at /file/bot<token>/<file_path>
        self.downloads: list[str] = []  # file paths requested from /file/, in order

    # --- lifecycle ------------------------------------------------------------
    def routes(self, app: web.Application) -> None:
        """The Bot API's paths; a subclass adds its own around them."""
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)

    async def start(self) -> str:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        """`async with FakeTelegram(token) as fake:` started, and closed however the block ends."""
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # --- what tests do ----------------------------------------------------------
    def push(self, update: dict) -> dict:
        """Queue an update for getUpdates (an update_id is assigned when missing)."""
        update.setdefault("update_id", next(self._update_ids))
        self.updates.append(update)
        self._new_update.set()
        return update

    def message_update(self, user_id: int, text: str | None = None, *, chat_id: int | None = None,
                       chat_type: str = "private", first_name: str = "Lan", last_name: str | None = "Nguyễn",
                       **extra: Any) -> dict:
        chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = "Phòng Tổ chức"
        sender = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            sender["last_name"] = last_name
        msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                               "from": sender}
        if text is not None:
            msg["text"] = text
        msg.update(extra)
        return {"update_id": next(self._update_ids), "message": msg}

    def callback_update(self, user_id: int, data: str, *, message_id: int = 1, chat_id: int | None = None,
                        chat_type: str = "private") -> dict:
        chat = {"id": chat_id if chat_id is not None else user_id, "type": chat_type}
        message = {"message_id": message_id, "date": int(time.time()), "chat": chat,
                   "from": {"id": self.bot_id, "is_bot": True, "first_name": "Bot", "username": self.username},
                   "text": "..."}
        cq = {"id": f"cq{next(self._update_ids)}", "from": {"id": user_id, "is_bot": False, "first_name": "Lan"},
              "chat_instance": "ci", "message": message, "data": data}
        return {"update_id": next(self._update_ids), "callback_query": cq}

    def send_message(self, user_id: int, text: str, **kw: Any) -> dict:
        return self.push(self.message_update(user_id, text, **kw))

    def press(self, user_id: int, data: str, **kw: Any) -> dict:
        return self.push(self.callback_update(user_id, data, **kw))

    def add_file(self, file_id: str, data: bytes, *, file_path: str | None = None,
                 file_size: int | None = None, report_size: bool = True) -> dict:
        """Make `data` available to getFile(file_id) and the file download URL. Returns
        the File object getFile answers; `file_size` overrides the size it reports
        (None: the real size), and `report_size=False` leaves it out."""
        path = file_path or f"documents/file_{len(self.files)}_{file_id}"
        info: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"uniq-{file_id}", "file_path": path}
        if report_size:
            info["file_size"] = len(data) if file_size is None else file_size
        self.files[file_id] = info
        self.file_data[path] = data
        return dict(info)

    def fail(self, method: str, status: int, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` answer `status` (429, 500) or drop the connection (0)."""
        self._faults.setdefault(method, []).extend(Fault(status, retry_after) for _ in range(times))

    def calls_to(self, method: str, ok_only: bool = True) -> list[Call]:
        return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def messages_to(self, chat_id: int | str) -> list[Call]:
        return [c for c in self.calls_to("sendMessage") if str(c.params.get("chat_id")) == str(chat_id)]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [c.params["text"] for c in self.messages_to(chat_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait (bounded) until predicate() is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s; calls: {[c.method for c in self.calls]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    # --- the API ------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()  # before the body is read: reading takes more turns of the loop
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        params, files = await self._read(request)
        call = Call(method, params, files, at=arrived)
        self.calls.append(call)
        try:
            if method.startswith("send") and str(params.get("chat_id")) in self.blocked:
                call.status = 403
                return self._error(403, "Forbidden: bot was blocked by the user")
            faults = self._faults.get(method)
            if faults:
                fault = faults.pop(0)
                call.status = fault.status
                if fault.status == 0:
                    assert request.transport is not None
                    request.transport.close()
                    return web.Response(status=500)
                if fault.status == 429:
                    return self._error(429, f"Too Many Requests: retry after {fault.retry_after}",
                                       parameters={"retry_after": fault.retry_after})
                return self._error(fault.status, "Internal Server Error")
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                call.status = 404
                return self._error(404, "Not Found: method not found")
            try:
                result = await handler(params, files)
            except ValueError as exc:
                call.status = 400
                return self._error(400, f"Bad Request: {exc}")
            return web.json_response({"ok": True, "result": result})
        finally:
            self._changed.set()

    @staticmethod
    async def _read(request: web.Request) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        ctype = request.content_type
        if ctype == "application/json":
            params = await request.json()
        elif ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                elif key in JSON_FIELDS:
                    params[key] = json.loads(value)
                else:
                    params[key] = value
        else:
            params = dict(request.query)
        return params, files

    @staticmethod
    def _error(code: int, description: str, parameters: dict | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    def _me(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Trợ lý Thi đua", "username": self.username}

    def _message(self, chat_id: Any, **content: Any) -> dict:
        return {"message_id": next(self._message_ids), "date": int(time.time()),
                "chat": {"id": int(chat_id), "type": "private"}, "from": self._me(), **content}

    async def _m_getMe(self, params: dict, files: dict) -> dict:
        return self._me()

    async def _m_getUpdates(self, params: dict, files: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        if not self.updates and timeout > 0:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        limit = int(params.get("limit") or 100)
        return self.updates[:limit]

    async def _m_getFile(self, params: dict, files: dict) -> dict:
        info = self.files.get(str(params.get("file_id") or ""))
        if info is None:
            raise ValueError("invalid file_id")
        if info.get("file_size", 0) > 20 * 1024 * 1024:
            raise ValueError("file is too big")  # the official Bot API serves files up to 20 MB
        return dict(info)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        self.downloads.append(path)
        self._changed.set()
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        data = self.file_data.get(path)
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, content_type="application/octet-stream")

    async def _m_sendMessage(self, params: dict, files: dict) -> dict:
        text = params.get("text") or ""
        visible = parse_html(text) if params.get("parse_mode") == "HTML" else text
        if not visible.strip():
            raise ValueError("message text is empty")
        if len(visible) > 4096:
            raise ValueError("message is too long")
        self._check_markup(params.get("reply_markup"))
        return self._message(params["chat_id"], text=visible)

    async def _m_sendDocument(self, params: dict, files: dict) -> dict:
        ref = params.get("document", "")
        if not ref.startswith("attach://") or ref[len("attach://"):] not in files:
            raise ValueError("wrong file identifier/HTTP URL specified")
        name, data = files[ref[len("attach://"):]]
        caption = params.get("caption") or ""
        visible = parse_html(caption) if params.get("parse_mode") == "HTML" else caption
        if len(visible) > 1024:
            raise ValueError("message caption is too long")
        doc = {"file_id": f"doc{len(self.calls)}", "file_unique_id": f"u{len(self.calls)}", "file_name": name,
               "file_size": len(data)}
        return self._message(params["chat_id"], document=doc, **({"caption": visible} if visible else {}))

    async def _m_answerCallbackQuery(self, params: dict, files: dict) -> bool:
        if not params.get("callback_query_id"):
            raise ValueError("query is too old and response timeout expired or query ID is invalid")
        return True

    async def _m_sendChatAction(self, params: dict, files: dict) -> bool:
        if params.get("action") not in {"typing", "upload_photo", "upload_document", "find_location"}:
            raise ValueError("wrong parameter action in request")
        return True

    async def _m_setMyCommands(self, params: dict, files: dict) -> bool:
        for cmd in params.get("commands", []):
            if not COMMAND_RE.fullmatch(cmd.get("command", "")):
                raise ValueError("BOT_COMMAND_INVALID")
            if not 1 <= len(cmd.get("description", "")) <= 256:
                raise ValueError("BOT_COMMAND_DESCRIPTION_INVALID")
        return True

    async def _m_setWebhook(self, params: dict, files: dict) -> bool:
        if not str(params.get("url", "")).startswith("https://"):
            raise ValueError("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = params
        return True

    async def _m_deleteWebhook(self, params: dict, files: dict) -> bool:
        self.webhook = {}
        return True

    async def _m_getWebhookInfo(self, params: dict, files: dict) -> dict:
        return {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if not markup:
            return
        rows = markup.get("inline_keyboard")
        if not isinstance(rows, list):
            raise ValueError("object expected as reply markup")
        for row in rows:
            for button in row:
                if not button.get("text"):
                    raise ValueError("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                    raise ValueError("BUTTON_DATA_INVALID")


def visible_text(call: Call) -> str:
    """What the user sees of a sendMessage call."""
    text = call.params.get("text", "")
    return parse_html(text) if call.params.get("parse_mode") == "HTML" else html.unescape(text)


def keyboard(call: Call) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button of a call, in order."""
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]
