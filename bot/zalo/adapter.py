"""The Zalo channel: long polling or webhook, both through the shared pipeline.

Every update goes the same way: parse → `pipeline.accept` (the DB inbox; a
redelivered message_id stops here) → `pipeline.process` in a background task,
serialised per user so "2" is read after the menu it answers. Zalo has no
buttons, so choices are rendered as a numbered list and the conversation reads
the number back.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.channel import ChannelError, PermanentFailure, RetryAfter, Transient
from bot.link_fetch import FileHosts, LinkFetcher
from bot.pipeline import Pipeline
from bot.plumbing import Backoff, Lanes, RefusedSecrets, TaskSet, secret_matches
from bot.rendering import ZALO_LIMIT, numbered, split_text
from bot.settings import Settings
from bot.webserver import read_body
from bot.zalo.client import ZaloApiError, ZaloClient, ZaloError, ZaloTransportError, ZaloUnauthorized
from bot.zalo.files import ZaloFetcher
from bot.zalo.parse import CHANNEL, InvalidUpdate, ParsedUpdate, parse_update, unwrap
from handlers.events import Capabilities, IncomingEvent, Reply

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook/zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BODY = 256 * 1024  # bytes; an update is a few hundred bytes
MAX_IN_FLIGHT = 64  # users whose updates are in hand at once; polling waits beyond that
SHUTDOWN_GRACE = 5.0  # seconds close() lets in-flight updates finish (the rest are recovered on start)


ZALO_RETRY_AFTER = 5.0  # seconds; Zalo's 429 ("Quota exceeded") names no wait


def delivery_error(exc: ZaloError) -> Exception:
    """Zalo's error as a neutral delivery error. Zalo documents no code for a person
    who blocked the bot (its error table lists 400, 401, 403 "Internal server
    error", 404, 408, 429), so nothing here is read as RecipientBlocked."""
    if isinstance(exc, ZaloTransportError):
        if "429" in str(exc):  # nginx's HTML 429 page in front of the API
            return RetryAfter(ZALO_RETRY_AFTER, str(exc))
        return Transient(str(exc))
    if isinstance(exc, ZaloApiError):
        code, status = exc.error_code or 0, exc.http_status or 0
        if code == 429 or status == 429:
            return RetryAfter(ZALO_RETRY_AFTER, str(exc))
        if isinstance(exc, ZaloUnauthorized):
            return Transient(f"the token was refused: {exc}")
        if code == 403 or code >= 500 or status >= 500 or code == 408:
            return Transient(str(exc))
        return PermanentFailure(str(exc))
    return Transient(str(exc))


class ZaloConfigError(ChannelError):
    """The Zalo channel cannot run as configured; the message says what to set."""


class ZaloChannel:
    name = CHANNEL
    capabilities = Capabilities(buttons=False, documents=False, text_limit=ZALO_LIMIT, takes_documents=False)

    def __init__(self, settings: Settings, pipeline: Pipeline, *, client: ZaloClient | None = None,
                 poll_timeout: int = 30, backoff_initial: float = 1.0, backoff_max: float = 30.0,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        if settings.zalo_bot_token is None:
            raise ZaloConfigError("ZALO_BOT_TOKEN is not set")
        self.settings = settings
        self.pipeline = pipeline
        pipeline.readers[CHANNEL] = self._read
        self.client = client or ZaloClient(settings.zalo_bot_token.get_secret_value(), settings.zalo_api_url)
        self.poll_timeout = poll_timeout
        self.backoff = Backoff(backoff_initial, backoff_max)
        self._sleep = sleep
        self._tasks = TaskSet("zalo")
        self._lanes = Lanes(self._tasks)
        # Kept apart from the getUpdates back-off, which every fetched update resets.
        self.store_backoff = Backoff(backoff_initial, backoff_max)
        self.refused = RefusedSecrets(CHANNEL, SECRET_HEADER)
        self.bot_info: dict = {}
        self.max_file_bytes = settings.max_file_mb * 1024 * 1024
        self.fetcher = ZaloFetcher(LinkFetcher(FileHosts(settings.zalo_file_hosts), settings.file_download_seconds))

    @property
    def bot_names(self) -> tuple[str, ...]:
        """The names group members mention the bot by, from getMe."""
        names = (self.bot_info.get("account_name"), self.bot_info.get("display_name"), self.bot_info.get("name"))
        return tuple(n.strip() for n in names if isinstance(n, str) and n.strip())

    # --- lifecycle -------------------------------------------------------------
    async def start(self) -> None:
        """Check the token (getMe) and re-run updates accepted before a crash."""
        try:
            self.bot_info = await self.client.get_me()
        except ZaloUnauthorized as exc:
            log.error("%s", exc)
            raise
        except ZaloError as exc:
            # Unreachable now is not fatal: polling backs off and retries, a webhook waits for calls.
            log.warning("Zalo getMe failed, continuing: %s", exc)
        else:
            log.info("Zalo bot %r (id %s) ready", self.bot_info.get("account_name") or self.bot_info.get("name"),
                     self.bot_info.get("id"))
        await self.recover_pending(timedelta(0))

    async def recover_pending(self, older_than: timedelta | None = None) -> None:
        """Re-run updates accepted but never finished (at start, every one; then periodically)."""
        pending = await self.pipeline.recover(CHANNEL, older_than)
        if pending:
            log.info("re-processing %d Zalo update(s) left unfinished", len(pending))
        for key, payload in pending:
            try:
                parsed = parse_update(payload, self.bot_names)
            except InvalidUpdate as exc:
                log.warning("dropping stored Zalo update %s: %s", key, exc)
                await self.pipeline.finish(CHANNEL, key)
                continue
            self._run(parsed, key)

    async def close(self) -> None:
        await self._tasks.close(SHUTDOWN_GRACE)
        await self.client.close()
        await self.fetcher.close()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every update handed to a background task is done (tests, shutdown)."""
        await self._tasks.wait_idle(timeout)

    # --- polling ---------------------------------------------------------------
    async def poll(self) -> None:
        """Long-poll getUpdates one update at a time until cancelled. Transport and
        server errors back off (doubling up to the cap, reset on success); a refused
        token stops polling with ZaloUnauthorized."""
        await self._drop_webhook()
        log.info("Zalo: long polling")
        while True:
            try:
                raw = await self.client.get_updates(self.poll_timeout)
            except ZaloUnauthorized as exc:
                log.error("Zalo polling stopped: %s", exc)
                raise
            except ZaloError as exc:
                delay = self.backoff.next()
                log.warning("Zalo getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await self._sleep(delay)
                continue
            self.backoff.reset()
            if raw is None:
                continue
            await self._take_until_stored(raw)
            # Backpressure: stop fetching while too many users' updates are still in hand.
            await self._lanes.wait_room(MAX_IN_FLIGHT)

    async def _take_until_stored(self, raw: dict) -> None:
        """Zalo will not send an update again once getUpdates returned it: while the
        inbox cannot record it (database down), keep it here and retry, backing off
        up to the cap, and fetch nothing more meanwhile."""
        while True:
            try:
                await self._take(raw)
            except Exception as exc:  # noqa: BLE001 - any storage failure: retry, one line each
                delay = self.store_backoff.next()
                log.warning("Zalo update kept in memory, the inbox cannot store it (%s: %s); retrying in %.1f s",
                            type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "", delay)
                await self._sleep(delay)
                continue
            self.store_backoff.reset()
            return

    async def _drop_webhook(self) -> None:
        """getUpdates does not work while a webhook is set: remove it, saying so."""
        try:
            info = await self.client.get_webhook_info()
            if info.get("url"):
                log.warning("Zalo webhook %s was set; deleting it so long polling works "
                            "(set it again with `python -m bot webhook set --channel zalo`)", info["url"])
                await self.client.delete_webhook()
        except ZaloUnauthorized as exc:
            log.error("Zalo polling stopped: %s", exc)
            raise
        except ZaloError as exc:
            log.warning("Zalo: could not check the webhook before polling: %s", exc)

    # --- webhook ---------------------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        if self.settings.zalo_webhook_secret is None:
            raise ZaloConfigError(
                "ZALO_WEBHOOK_SECRET must be set (8-256 characters) to serve the Zalo webhook; "
                "use the same value with `python -m bot webhook set --channel zalo --url https://.../webhook/zalo`")
        app.router.add_post(WEBHOOK_PATH, self._on_webhook)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        # The secret first, before the body is read or anything else is looked at.
        secret = self.settings.zalo_webhook_secret
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            self.refused.note(request.remote, given)
            return web.json_response({"ok": False, "description": "missing secret token"}, status=401)
        if secret is None or not secret_matches(given, secret.get_secret_value()):
            self.refused.note(request.remote, given)
            return web.json_response({"ok": False, "description": "wrong secret token"}, status=403)
        body = await read_body(request, MAX_BODY)
        if body is None:
            return web.json_response({"ok": False, "description": "body too large"}, status=413)
        try:
            data = json.loads(body)
            update = unwrap(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            log.warning("Zalo webhook: unreadable body (%s)", type(exc).__name__)
            return web.json_response({"ok": False, "description": "body is not a JSON object"}, status=400)
        try:
            await self._take(update)
        except Exception as exc:  # noqa: BLE001 - the database is away: Zalo is told to try again
            log.error("Zalo update could not be stored (%s); answered 503", type(exc).__name__)
            return web.json_response({"ok": False, "description": "try again"}, status=503)
        return web.json_response({"ok": True})

    # --- the shared path ----------------------------------------------------------
    async def _take(self, update: dict) -> None:
        """Parse, accept into the inbox, and hand to a background task. Never raises
        for a bad update: it is logged and ignored."""
        try:
            parsed = parse_update(update, self.bot_names)
        except InvalidUpdate as exc:
            log.warning("ignoring a Zalo update: %s", exc)
            return
        sender = parsed.event.user_id if parsed.event is not None else None
        if not await self.pipeline.accept(CHANNEL, parsed.message_id, update, sender):
            return
        if parsed.event is None:
            log.info("ignoring Zalo event %s (message %s)", parsed.event_name, parsed.message_id)
            await self.pipeline.finish(CHANNEL, parsed.message_id)
            return
        self._run(parsed, parsed.message_id)

    def _spawn(self, coro: Awaitable[object]) -> None:
        self._tasks.spawn(coro)

    def _read(self, update: dict) -> IncomingEvent | None:
        """A stored update back as an event (the pipeline catching up after a crash)."""
        try:
            return parse_update(update, self.bot_names).event
        except InvalidUpdate:
            return None

    def _run(self, parsed: ParsedUpdate, key: str) -> None:
        """Queue the update in its sender's lane (their updates run one at a time, in order)."""
        event = parsed.event
        if event is None:
            self._spawn(self.pipeline.finish(CHANNEL, key))
            return
        self._lanes.submit(event.user_id, lambda: self._process(event, key))

    async def _process(self, event: IncomingEvent, key: str) -> None:
        typing = asyncio.ensure_future(self._typing(event.chat_id))
        # Images are downloaded here, in the sender's lane, while their links work (Zalo's
        # expire): the polling loop and other people's messages do not wait for them.
        urls = [a.url for a in event.attachments if a.url]
        try:
            for a in event.attachments:
                await self.fetcher.prefetch(a, self.max_file_bytes)
            await self.pipeline.process(event, update_key=key)
        finally:
            self.fetcher.forget(urls)
            if not typing.done():
                typing.cancel()

    async def _typing(self, chat_id: str) -> None:
        try:
            await asyncio.wait_for(self.client.send_chat_action(chat_id, "typing"), timeout=5.0)
        except (ZaloError, TimeoutError) as exc:
            log.debug("Zalo typing indicator failed: %s", exc)

    # --- sending -------------------------------------------------------------------
    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        """One reply as text (choices as a numbered list, kept in the last part), split
        under Zalo's 2,000 characters on paragraph boundaries. Zalo cannot send files:
        a handler that has one to give checks `capabilities.documents` and offers
        something else; one that slipped through is logged, not silently dropped."""
        for part in render(reply):
            try:
                await self.client.send_message(chat_id, part)
            except ZaloError as exc:
                raise delivery_error(exc) from None
        for doc in reply.documents:
            log.warning("Zalo cannot send files; %s was not delivered to chat %s", doc.file_name, chat_id)

    async def set_webhook(self, url: str) -> None:
        secret = self.settings.zalo_webhook_secret
        if secret is None:
            raise ZaloConfigError("ZALO_WEBHOOK_SECRET must be set before registering the Zalo webhook")
        result = await self.client.set_webhook(url, secret.get_secret_value())
        log.info("Zalo webhook set to %s", result.get("url") or url)

    async def delete_webhook(self) -> None:
        await self.client.delete_webhook()
        log.info("Zalo webhook deleted")


def render(reply: Reply) -> list[str]:
    """The messages one reply becomes on Zalo."""
    return split_text(numbered(reply), ZALO_LIMIT)


__all__ = ["ZaloChannel", "ZaloConfigError", "render"]
