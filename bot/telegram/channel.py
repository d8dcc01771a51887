"""The Telegram channel: long polling or webhook, both through the shared pipeline.

Every update is first accepted into the database inbox (so a redelivery is
skipped and a crash is recovered), then handled in its own task. Updates of
one user are handled in arrival order, one at a time; different users never
wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates, SendChatAction, SendMessage, TelegramMethod
from aiogram.types import BotCommand, BufferedInputFile
from aiohttp import ClientError, ClientTimeout, web

from bot.channel import ChannelError, PermanentFailure, RecipientBlocked, RetryAfter, Transient
from bot.pipeline import Pipeline
from bot.plumbing import Backoff, Lanes, RefusedSecrets, TaskSet, secret_matches
from bot.plumbing import one_line as _one_line
from bot.settings import Settings
from bot.telegram.adapter import ALLOWED_UPDATES, CHANNEL, BotIdentity, Inbound, parse_update, sender_of, slim
from bot.telegram.files import TelegramFetcher
from bot.telegram.render import OutMessage, caption_html, render
from bot.telegram.retry import Redactor, RetryPolicy, call_with_retry, is_transient
from bot.webserver import read_body
from handlers.commands import telegram_commands
from handlers.events import Capabilities, IncomingEvent, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A message update is a few kilobytes even with a 4,096-character text, its entities
# and the message it replies to; anything far larger is not from Telegram.
MAX_BODY = 256 * 1024
TYPING_MAX_LANES = 64  # people being answered at once beyond which no "typing..." is shown


class RawGetUpdates(GetUpdates):
    """getUpdates returning the updates exactly as Telegram sent them (the same
    JSON a webhook receives), so both paths store and read one format."""

    __returning__ = list[dict[str, Any]]


class RawSendMessage(SendMessage):
    """sendMessage whose answer is not read into aiogram's Message model: the bot never
    uses it, and validating it cost as much CPU as building and sending the request."""

    __returning__ = Any  # type: ignore[assignment]


class RawSendChatAction(SendChatAction):
    __returning__ = Any  # type: ignore[assignment]


JSON_HEADERS = {"Content-Type": "application/json"}


# Chat texts that mean the person cannot be written to any more.
UNREACHABLE_HINTS = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked",
                     "user not found", "peer_id_invalid")


class TelegramChannel:
    name = CHANNEL
    capabilities = Capabilities(buttons=True, documents=True, text_limit=4096)

    def __init__(self, settings: Settings, pipeline: Pipeline, *, retry: RetryPolicy | None = None,
                 poll_timeout: int = 25, typing_after: float = 1.0, typing_every: float = 4.5,
                 max_in_flight: int = 500, close_timeout: float = 10.0, album_wait: float = 1.0,
                 sleep: Any = asyncio.sleep):
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.pipeline = pipeline
        pipeline.readers[CHANNEL] = self._read
        self.retry = retry or RetryPolicy()
        # Sending retries network blips itself; a 429 goes straight back to the delivery
        # worker, which pauses every send of the bot for as long as Telegram asks.
        self.send_retry = replace(self.retry, attempts=min(self.retry.attempts, 3), max_retry_after=0.0)
        self.poll_timeout = poll_timeout
        self.typing_after = typing_after
        self.typing_every = typing_every
        self.max_in_flight = max_in_flight
        self.close_timeout = close_timeout
        self.album_wait = album_wait
        self._albums: dict[tuple[str, str], list[tuple[str, Inbound]]] = {}
        self._token = settings.telegram_bot_token.get_secret_value()
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value() if secret is not None else None
        self.redact = Redactor([self._token, self._secret])
        self.bot: Bot | None = None
        self.me: BotIdentity | None = None
        self._tasks = TaskSet("telegram", self.redact)
        self._lanes = Lanes(self._tasks)
        self._sleep = sleep
        # Its own back-off: getUpdates keeps succeeding while the database is away, so
        # the fetch back-off (reset by every answer) would retry the store every 0.5 s.
        self.store_backoff = Backoff(self.retry.base_delay, self.retry.max_delay)
        self.refused = RefusedSecrets(CHANNEL, SECRET_HEADER)
        self._commands_task: asyncio.Task | None = None
        self._closing = False

    # --- lifecycle ----------------------------------------------------------------
    def _ensure_bot(self) -> Bot:
        if self.bot is None:
            api = TelegramAPIServer.from_base(self.settings.telegram_api_url)
            try:
                self.bot = Bot(self._token, session=AiohttpSession(api=api))
            except Exception:
                raise ChannelError("TELEGRAM_BOT_TOKEN is not a valid bot token (expected <digits>:<secret>)") from None
        return self.bot

    async def start(self) -> None:
        bot = self._ensure_bot()
        try:
            user = await self._call(bot.get_me, "getMe")
        except Exception as exc:
            await self.close()
            if isinstance(exc, TelegramUnauthorizedError):
                raise ChannelError("Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check the token") from None
            raise ChannelError(f"cannot reach the Telegram Bot API at {self.settings.telegram_api_url}: "
                               f"{self.redact(exc)}") from None
        raw = user if isinstance(user, dict) else {"id": getattr(user, "id", None), "username": getattr(user, "username", None)}
        if not isinstance(raw.get("id"), int):
            await self.close()
            raise ChannelError(f"the Bot API at {self.settings.telegram_api_url} answered getMe without a bot id")
        self.me = BotIdentity(id=int(raw["id"]), username=raw.get("username"))
        log.info("telegram bot @%s (id %s) ready", self.me.username, self.me.id)
        # A convenience: serving does not wait for it, and stopping does not either.
        self._commands_task = self._spawn(self._set_commands())
        await self.recover_pending(timedelta(0))

    async def recover_pending(self, older_than: timedelta | None = None) -> None:
        """Re-run updates accepted but never finished (at start, every one; then periodically)."""
        pending = await self.pipeline.recover(CHANNEL, older_than)
        if pending:
            log.info("re-processing %d telegram update(s) left unfinished", len(pending))
        for key, payload in pending:
            self._dispatch(key, payload)

    async def _set_commands(self) -> None:
        bot = self._ensure_bot()
        commands = [BotCommand(command=c, description=d) for c, d in telegram_commands()]
        try:
            await self._call(lambda: bot.set_my_commands(commands), "setMyCommands")
        except Exception as exc:
            log.warning("could not set the command menu: %s", self.redact(exc))

    async def close(self) -> None:
        self._closing = True
        if self._commands_task is not None and not self._commands_task.done():
            self._commands_task.cancel()
        await self._tasks.close(self.close_timeout)
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.session.close()
            self.bot = None

    # --- long polling -------------------------------------------------------------
    async def poll(self) -> None:
        bot = self._ensure_bot()
        offset: int | None = None
        delay = self.retry.base_delay
        while True:
            await self._wait_for_room()
            asked = time.monotonic()
            try:
                updates = await bot(RawGetUpdates(offset=offset, timeout=self.poll_timeout,
                                                  allowed_updates=ALLOWED_UPDATES),
                                    request_timeout=self.poll_timeout + 15)
            except asyncio.CancelledError:
                raise
            except TelegramUnauthorizedError:
                raise ChannelError("Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized)") from None
            except TelegramRetryAfter as exc:
                await asyncio.sleep(min(float(exc.retry_after), self.retry.max_retry_after))
                continue
            except TelegramConflictError as exc:
                log.error("telegram getUpdates conflict (%s): another instance is polling with this token, or a "
                          "webhook is set (remove it: python -m bot webhook delete --channel telegram)",
                          self.redact(exc))
                delay = await self._pause(delay)
                continue
            except Exception as exc:
                level = logging.WARNING if is_transient(exc) else logging.ERROR
                log.log(level, "telegram getUpdates failed: %s; retrying in %.1f s", self.redact(exc), delay)
                delay = await self._pause(delay)
                continue
            delay = self.retry.base_delay
            if not updates and time.monotonic() - asked < 0.1:
                # An API server that ignores the long-polling timeout: do not hammer it.
                await asyncio.sleep(0.5)
            for update in updates:
                update_id = update.get("update_id")
                if not isinstance(update_id, int):
                    continue
                key = str(update_id)
                update = slim(update)
                try:
                    fresh = await self.pipeline.accept(CHANNEL, key, update, sender_of(update))
                except Exception as exc:
                    # Not stored: do not confirm it, Telegram will deliver it again.
                    wait = self.store_backoff.next()
                    log.error("could not store telegram update %s (%s); retrying in %.1f s", key,
                              self.redact(_one_line(exc)), wait)
                    await self._sleep(wait)
                    break
                self.store_backoff.reset()
                offset = update_id + 1
                if fresh:
                    self._dispatch(key, update)

    async def _pause(self, delay: float) -> float:
        await self._sleep(delay)
        return min(delay * 2, self.retry.max_delay)

    async def _wait_for_room(self) -> None:
        """Back-pressure: stop fetching while too many users' updates are in hand
        (a flooding user's queue is one lane, however long)."""
        await self._lanes.wait_room(self.max_in_flight)

    # --- webhook ------------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        if not self._secret:
            raise ChannelError("TELEGRAM_WEBHOOK_SECRET is not set: refusing webhook mode, since anyone could post "
                               "fake updates. Set it (A-Z, a-z, 0-9, _ and -) and register the webhook again.")
        app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        # The secret is checked before the body is read.
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            self.refused.note(request.remote, given)
            return web.Response(status=401, text="missing secret token")
        if not secret_matches(given, self._secret):
            self.refused.note(request.remote, given)
            return web.Response(status=403, text="wrong secret token")
        if self.me is None or self._closing:
            return web.Response(status=503, text="starting or stopping")
        body = await read_body(request, MAX_BODY)
        if body is None:
            return web.Response(status=413, text="body too large")
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(update, dict) or type(update.get("update_id")) is not int:
            return web.Response(status=400, text="not a Telegram update")
        key = str(update["update_id"])
        update = slim(update)
        try:
            fresh = await self.pipeline.accept(CHANNEL, key, update, sender_of(update))
        except Exception as exc:
            log.error("could not store telegram update %s: %s", key, self.redact(_one_line(exc)))
            return web.Response(status=500, text="try again")  # Telegram redelivers
        if fresh:
            self._dispatch(key, update)
        return web.Response(status=200)

    async def set_webhook(self, url: str) -> None:
        bot = self._ensure_bot()
        if not self._secret:
            raise ChannelError("TELEGRAM_WEBHOOK_SECRET must be set before registering a webhook")
        await self._call(lambda: bot.set_webhook(url=url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES,
                                                 drop_pending_updates=False), "setWebhook")

    async def delete_webhook(self) -> None:
        bot = self._ensure_bot()
        await self._call(lambda: bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")

    # --- handling -----------------------------------------------------------------
    def _dispatch(self, key: str, update: dict) -> None:
        """Start handling one accepted update in the background."""
        try:
            inbound = parse_update(update, self.me or BotIdentity(0, None))
        except Exception as exc:  # noqa: BLE001 - a malformed update is skipped with one line
            log.warning("unreadable telegram update %s (%s); skipping it", key, _one_line(exc))
            inbound = None
        if inbound is not None and inbound.callback_id:
            self._spawn(self._answer_callback(inbound.callback_id))
        if inbound is None or inbound.event is None:
            self._spawn(self.pipeline.finish(CHANNEL, key))
            return
        group = (update.get("message") or {}).get("media_group_id")
        if group:
            self._add_to_album(str(group), key, inbound)
            return
        self._lanes.submit(inbound.event.user_id, lambda: self._handle(key, inbound))

    def _read(self, update: dict) -> IncomingEvent | None:
        """A stored update back as an event (the pipeline catching up after a crash)."""
        inbound = parse_update(update, self.me or BotIdentity(0, None))
        return inbound.event if inbound is not None else None

    def _add_to_album(self, group: str, key: str, inbound: Inbound) -> None:
        """Telegram sends an album as one message per photo, a moment apart, sharing a
        media_group_id: they are gathered for `album_wait` seconds and handled as one
        event with several attachments (each part's inbox row is marked done with it)."""
        assert inbound.event is not None
        album_key = (inbound.event.chat_id, group)
        parts = self._albums.setdefault(album_key, [])
        parts.append((key, inbound))
        if len(parts) == 1:
            self._spawn(self._flush_album(album_key))

    async def _flush_album(self, album_key: tuple[str, str]) -> None:
        await asyncio.sleep(self.album_wait)
        parts = sorted(self._albums.pop(album_key, []), key=lambda p: int(p[1].event.message_id or 0))  # type: ignore[union-attr]
        if not parts:
            return
        first_key, first = parts[0]
        events = [p[1].event for p in parts]
        assert first.event is not None
        merged = replace(first.event, text=next((e.text for e in events if e and e.text), ""),
                         attachments=tuple(a for e in events if e for a in e.attachments))
        also = tuple(k for k, _ in parts[1:])
        self._lanes.submit(merged.user_id, lambda: self._handle(first_key, replace(first, event=merged), also))

    def _spawn(self, coro: Any) -> asyncio.Task:
        return self._tasks.spawn(coro)

    @property
    def fetcher(self) -> TelegramFetcher:
        """Fetches what users sent, by file_id, when a handler needs the file."""
        return TelegramFetcher(self._ensure_bot(), retry=self.retry, timeout=self.settings.file_download_seconds)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every update handed to a background task is done (tests, shutdown)."""
        await self._tasks.wait_idle(timeout)

    async def _answer_callback(self, callback_id: str) -> None:
        bot = self._ensure_bot()
        try:
            await self._call(lambda: bot.answer_callback_query(callback_id), "answerCallbackQuery")
        except Exception as exc:  # an old query (after a restart) can no longer be answered
            log.info("could not answer a button press: %s", self.redact(exc))

    async def _handle(self, key: str, inbound: Inbound, also_done: tuple[str, ...] = ()) -> None:
        event = inbound.event
        assert event is not None
        # With many people waiting at once, "typing..." calls would take the time their
        # answers need (a 250-message burst spent 9% of its CPU on them): skipped then.
        typing = self._spawn(self._typing(event.chat_id)) if self._lanes.active <= TYPING_MAX_LANES else None
        try:
            await self.pipeline.process(event, update_key=key, reply_to=inbound.reply_to, also_done=also_done)
        finally:
            if typing is not None:
                typing.cancel()

    async def _typing(self, chat_id: str) -> None:
        """Show "typing..." while the answer takes longer than a moment."""
        await asyncio.sleep(self.typing_after)
        params = {"chat_id": chat_id, "action": "typing"}
        while True:
            try:
                await self._post("sendChatAction", params, lambda: RawSendChatAction(**params))
            except Exception as exc:
                log.debug("typing action failed: %s", self.redact(exc))
                return
            await asyncio.sleep(self.typing_every)

    # --- sending ------------------------------------------------------------------
    async def deliver(self, chat_id: str, reply: Reply, reply_to: int | str | None = None) -> None:
        """Send one reply (split at 4,096 characters, documents after it); Telegram's
        errors become the neutral ones the delivery worker understands."""
        quote = int(reply_to) if isinstance(reply_to, int | str) and str(reply_to).isdigit() else None
        try:
            for part in render(reply):
                await self._send_part(chat_id, part, quote)
                quote = None  # only the first message quotes the question
            for doc in reply.documents:
                caption = caption_html(doc.caption)
                if doc.caption and caption is None:  # too long for a caption
                    for part in render(Reply(doc.caption)):
                        await self._send_part(chat_id, part, None)
                await self._send_document(chat_id, doc.file_name, doc.data, caption)
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after), self.redact(exc)) from None
        except TelegramForbiddenError as exc:  # blocked by the user, or removed from the group
            raise RecipientBlocked(self.redact(exc)) from None
        except (TelegramBadRequest, TelegramNotFound) as exc:
            if any(hint in str(exc).lower() for hint in UNREACHABLE_HINTS):
                raise RecipientBlocked(self.redact(exc)) from None
            raise PermanentFailure(self.redact(exc)) from None
        except TelegramEntityTooLarge as exc:
            raise PermanentFailure(self.redact(exc)) from None
        except TelegramUnauthorizedError as exc:
            raise Transient(f"the token was refused: {self.redact(exc)}") from None
        except Exception as exc:
            if is_transient(exc):
                raise Transient(self.redact(exc)) from None
            raise

    async def _post(self, api_method: str, params: dict[str, Any], method: Callable[[], TelegramMethod]) -> Any:
        """Call the Bot API with a JSON body built here, through aiogram's HTTP session: for
        the calls every message makes (sendMessage, sendChatAction), aiogram's own path (a
        pydantic model of the call, dumped and form-encoded field by field, and the answer
        validated into a generic model) cost more CPU than the bot's database work for the
        turn. The answer is read here when it is a success; anything else goes through
        aiogram's check_response, so errors are the exceptions aiogram raises. `method`
        builds the aiogram call only for those exceptions."""
        bot = self._ensure_bot()
        session = bot.session
        http = await session.create_session()
        url = session.api.api_url(token=bot.token, method=api_method)
        try:
            async with http.post(url, data=json.dumps(params, ensure_ascii=False).encode(), headers=JSON_HEADERS,
                                 timeout=ClientTimeout(total=session.timeout)) as resp:
                raw = await resp.text()
        except TimeoutError as exc:
            raise TelegramNetworkError(method=method(), message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(method=method(), message=f"{type(exc).__name__}: {exc}") from exc
        if resp.status == 200:
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok") is True:
                return answer.get("result")
        return session.check_response(bot=bot, method=method(), status_code=resp.status, content=raw).result

    async def _send_part(self, chat_id: str, part: OutMessage, reply_to: int | None) -> None:
        params: dict[str, Any] = {"chat_id": chat_id, "text": part.html, "parse_mode": "HTML",
                                  "link_preview_options": {"is_disabled": True}}
        if part.buttons:
            params["reply_markup"] = {"inline_keyboard": [[{"text": c.label, "callback_data": c.id}]
                                                          for c in part.buttons]}
        if reply_to:
            params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}

        def as_method(fields: dict[str, Any]) -> Callable[[], TelegramMethod]:
            # The same call as aiogram's model (its fields validated from the JSON ones), for errors.
            return lambda: RawSendMessage(**{"parse_mode": None, **fields})

        async def html_message() -> Any:
            return await self._post("sendMessage", params, as_method(params))

        async def plain_message() -> Any:
            plain = {k: v for k, v in params.items() if k != "parse_mode"} | {"text": part.plain}
            return await self._post("sendMessage", plain, as_method(plain))

        try:
            await self._send_call(html_message, "sendMessage")
        except TelegramBadRequest as exc:
            if "entit" not in str(exc).lower():
                raise
            # Should not happen (everything is escaped); never lose the answer over markup.
            log.warning("Telegram refused the HTML of a message (%s); sending it as plain text", self.redact(exc))
            await self._send_call(plain_message, "sendMessage")

    async def _send_document(self, chat_id: str, file_name: str, data: bytes, caption: str | None) -> None:
        bot = self._ensure_bot()
        await self._send_call(lambda: bot.send_document(chat_id=chat_id, document=BufferedInputFile(data, file_name),
                                                        caption=caption, parse_mode="HTML" if caption else None),
                              "sendDocument")

    async def _call(self, fn: Any, what: str) -> Any:
        return await call_with_retry(fn, what=what, policy=self.retry, redact=self.redact)

    async def _send_call(self, fn: Any, what: str) -> Any:
        return await call_with_retry(fn, what=what, policy=self.send_retry, redact=self.redact)

