"""The Telegram channel: what the kernel (bot/kernel) needs of Telegram. Parse (an
update into an event, through bot/telegram/adapter.py), verify (the webhook's secret
header), fetch (getUpdates, files by file_id) and render (sendMessage, documents,
"typing...", answering button presses)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
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
from aiohttp import ClientError, ClientTimeout

from bot.channel import (
    ChannelError,
    InvalidUpdate,
    Parsed,
    PermanentFailure,
    RecipientBlocked,
    RetryAfter,
    Transient,
)
from bot.kernel.redact import shared
from bot.kernel.retry import Backoff
from bot.plumbing import one_line
from bot.settings import Settings
from bot.telegram.adapter import ALLOWED_UPDATES, CHANNEL, BotIdentity, parse_update, sender_of, slim
from bot.telegram.files import TelegramFetcher
from bot.telegram.render import OutMessage, caption_html, render
from bot.telegram.retry import api_retry, call_with_retry, describe, is_transient
from handlers.commands import telegram_commands
from handlers.events import Capabilities, IncomingEvent, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A message update is a few kilobytes even with a 4,096-character text, its entities
# and the message it replies to; anything far larger is not from Telegram.
MAX_BODY = 256 * 1024


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


class PollConflict(Exception):
    """getUpdates refused: another poller or a webhook holds this token."""


# Chat texts that mean the person cannot be written to any more.
UNREACHABLE_HINTS = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked",
                     "user not found", "peer_id_invalid")


class TelegramChannel:
    name = CHANNEL
    title = "Telegram"
    capabilities = Capabilities(buttons=True, documents=True, text_limit=4096)
    webhook_path = WEBHOOK_PATH
    secret_header = SECRET_HEADER
    max_body = MAX_BODY
    shutdown_grace = 10.0

    def __init__(self, settings: Settings, *, retry: Backoff | None = None, poll_timeout: int = 25,
                 typing_after: float = 1.0, typing_every: float = 4.5, max_in_flight: int = 500):
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.settings = settings
        self.retry = retry or api_retry()
        # Sending retries network blips itself; a 429 goes straight back to the delivery
        # worker, which pauses every send of the bot for as long as Telegram asks.
        self.send_retry = self.retry.fresh(attempts=min(self.retry.attempts or 3, 3), max_retry_after=0.0)
        self.poll_timeout = poll_timeout
        self.typing_after = typing_after
        self.typing_every = typing_every
        self.max_in_flight = max_in_flight
        self._token = settings.telegram_bot_token.get_secret_value()
        secret = settings.telegram_webhook_secret
        self._secret = secret.get_secret_value() if secret is not None else None
        shared.add(self._token, self._secret)
        self.redact = describe
        self.bot: Bot | None = None
        self.me: BotIdentity | None = None
        self._offset: int | None = None
        self._commands_task: asyncio.Task | None = None

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
        self._commands_task = asyncio.ensure_future(self._set_commands())

    async def _set_commands(self) -> None:
        bot = self._ensure_bot()
        commands = [BotCommand(command=c, description=d) for c, d in telegram_commands()]
        try:
            await self._call(lambda: bot.set_my_commands(commands), "setMyCommands")
        except Exception as exc:
            log.warning("could not set the command menu: %s", self.redact(exc))

    async def close(self) -> None:
        if self._commands_task is not None and not self._commands_task.done():
            self._commands_task.cancel()
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.session.close()
            self.bot = None

    # --- parse ----------------------------------------------------------------------
    def parse(self, update: dict) -> Parsed:
        """The update (a new one, or one read back from the inbox) for the kernel. What the
        inbox keeps is the update slimmed to what parsing it needs."""
        update_id = update.get("update_id")
        if type(update_id) is not int:
            raise InvalidUpdate("no update_id")
        stored = slim(update)
        key = str(update_id)
        try:
            inbound = parse_update(stored, self.me or BotIdentity(0, None))
        except Exception as exc:  # noqa: BLE001 - a malformed update is closed with one line
            log.warning("unreadable telegram update %s (%s); skipping it", key, one_line(exc))
            inbound = None
        if inbound is None:
            return Parsed(key, stored, None, sender_of(stored))
        group = (stored.get("message") or {}).get("media_group_id")
        return Parsed(key, stored, inbound.event, sender_of(stored), reply_to=inbound.reply_to,
                      ack=inbound.callback_id, group=str(group) if group and inbound.event else None)

    # --- verify (the webhook) ----------------------------------------------------------
    @property
    def webhook_secret(self) -> str | None:
        return self._secret

    @property
    def ready(self) -> bool:
        """Started: who the bot is (getMe) is known, to tell what in a group is addressed to it."""
        return self.me is not None

    def check_webhook(self) -> None:
        if not self._secret:
            raise ChannelError("TELEGRAM_WEBHOOK_SECRET is not set: refusing webhook mode, since anyone could post "
                               "fake updates. Set it (A-Z, a-z, 0-9, _ and -) and register the webhook again.")

    def unwrap(self, body: object) -> dict:
        if not isinstance(body, dict) or type(body.get("update_id")) is not int:
            raise ValueError("not a Telegram update")
        return body

    # --- fetch ----------------------------------------------------------------------
    async def before_polling(self) -> None:
        self._ensure_bot()

    async def get_updates(self) -> list[dict]:
        """The next updates. The offset moves past them now; Telegram forgets them only
        when the next getUpdates sends it, which the kernel does once they are stored."""
        bot = self._ensure_bot()
        try:
            updates = await bot(RawGetUpdates(offset=self._offset, timeout=self.poll_timeout,
                                              allowed_updates=ALLOWED_UPDATES),
                                request_timeout=self.poll_timeout + 15)
        except TelegramUnauthorizedError:
            raise ChannelError("Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized)") from None
        except TelegramRetryAfter as exc:
            raise RetryAfter(float(exc.retry_after), self.redact(exc)) from None
        except TelegramConflictError as exc:
            raise PollConflict(f"{self.redact(exc)}: another instance is polling with this token, or a webhook is "
                               "set (remove it: python -m bot webhook delete --channel telegram)") from None
        except Exception as exc:
            if is_transient(exc):
                raise Transient(self.redact(exc)) from None
            raise
        ids = [u["update_id"] for u in updates if isinstance(u, dict) and type(u.get("update_id")) is int]
        if ids:
            self._offset = max(ids) + 1
        return [u for u in updates if isinstance(u, dict)]

    @property
    def fetcher(self) -> TelegramFetcher:
        """Fetches what users sent, by file_id, when a handler needs the file."""
        return TelegramFetcher(self._ensure_bot(), retry=self.retry, timeout=self.settings.file_download_seconds)

    async def prefetch(self, event: IncomingEvent) -> None:
        """Nothing: Telegram files are fetched by file_id when a handler needs them."""

    def forget(self, event: IncomingEvent) -> None:
        pass

    # --- render ---------------------------------------------------------------------
    async def acknowledge(self, ack: str) -> None:
        """Stop the spinner of a pressed button."""
        bot = self._ensure_bot()
        await self._call(lambda: bot.answer_callback_query(ack), "answerCallbackQuery")

    async def set_webhook(self, url: str) -> None:
        bot = self._ensure_bot()
        if not self._secret:
            raise ChannelError("TELEGRAM_WEBHOOK_SECRET must be set before registering a webhook")
        await self._call(lambda: bot.set_webhook(url=url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES,
                                                 drop_pending_updates=False), "setWebhook")

    async def delete_webhook(self) -> None:
        bot = self._ensure_bot()
        await self._call(lambda: bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")

    async def typing(self, chat_id: str) -> None:
        """Show "typing..." while the answer takes longer than a moment (until cancelled)."""
        await asyncio.sleep(self.typing_after)
        params = {"chat_id": chat_id, "action": "typing"}
        while True:
            await self._post("sendChatAction", params, lambda: RawSendChatAction(**params))
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

