"""The Zalo channel: what the kernel (bot/kernel) needs of Zalo. Parse (through
bot/zalo/parse.py), verify (the webhook's secret header), fetch (getUpdates, one update
per call; images before the turn, while their links work) and render (text only: Zalo
has no buttons, so choices are a numbered list and the conversation reads the number back).
"""

from __future__ import annotations

import asyncio
import logging

from bot.channel import ChannelError, Parsed, PermanentFailure, RetryAfter, Transient
from bot.kernel.redact import shared
from bot.link_fetch import FileHosts, LinkFetcher
from bot.rendering import ZALO_LIMIT, numbered, split_text
from bot.settings import Settings
from bot.zalo.client import ZaloApiError, ZaloClient, ZaloError, ZaloTransportError, ZaloUnauthorized
from bot.zalo.files import ZaloFetcher
from bot.zalo.parse import CHANNEL, parse_update, unwrap
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
    title = "Zalo"
    capabilities = Capabilities(buttons=False, documents=False, text_limit=ZALO_LIMIT, takes_documents=False)
    webhook_path = WEBHOOK_PATH
    secret_header = SECRET_HEADER
    max_body = MAX_BODY
    max_in_flight = MAX_IN_FLIGHT
    shutdown_grace = SHUTDOWN_GRACE

    def __init__(self, settings: Settings, *, client: ZaloClient | None = None, poll_timeout: int = 30):
        if settings.zalo_bot_token is None:
            raise ZaloConfigError("ZALO_BOT_TOKEN is not set")
        self.settings = settings
        self.client = client or ZaloClient(settings.zalo_bot_token.get_secret_value(), settings.zalo_api_url)
        secret = settings.zalo_webhook_secret
        shared.add(secret.get_secret_value() if secret is not None else None)
        self.poll_timeout = poll_timeout
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
        """Check the token (getMe)."""
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

    async def close(self) -> None:
        await self.client.close()
        await self.fetcher.close()

    # --- parse -----------------------------------------------------------------
    def parse(self, update: dict) -> Parsed:
        """The update as the kernel needs it; the inbox keeps it as Zalo sent it."""
        parsed = parse_update(update, self.bot_names)
        event = parsed.event
        return Parsed(parsed.message_id, update, event, event.user_id if event is not None else None)

    # --- verify (the webhook) ----------------------------------------------------
    @property
    def webhook_secret(self) -> str | None:
        secret = self.settings.zalo_webhook_secret
        return secret.get_secret_value() if secret is not None else None

    ready = True  # updates parse without getMe (which may fail while Zalo is unreachable)

    def check_webhook(self) -> None:
        if self.settings.zalo_webhook_secret is None:
            raise ZaloConfigError(
                "ZALO_WEBHOOK_SECRET must be set (8-256 characters) to serve the Zalo webhook; "
                "use the same value with `python -m bot webhook set --channel zalo --url https://.../webhook/zalo`")

    def unwrap(self, body: object) -> dict:
        return unwrap(body)

    # --- fetch -------------------------------------------------------------------
    async def before_polling(self) -> None:
        """getUpdates does not work while a webhook is set: remove it, saying so."""
        try:
            info = await self.client.get_webhook_info()
            if info.get("url"):
                log.warning("Zalo webhook %s was set; deleting it so long polling works "
                            "(set it again with `python -m bot webhook set --channel zalo`)", info["url"])
                await self.client.delete_webhook()
        except ZaloUnauthorized:
            raise
        except ZaloError as exc:
            log.warning("Zalo: could not check the webhook before polling: %s", exc)

    async def get_updates(self) -> list[dict]:
        """Zalo has no offsets: each answer carries one update (or none, after the
        long poll's timeout), and the next call gets the next one."""
        try:
            raw = await self.client.get_updates(self.poll_timeout)
        except ZaloUnauthorized:
            raise
        except ZaloError as exc:
            raise Transient(str(exc)) from None
        return [] if raw is None else [raw]

    async def prefetch(self, event: IncomingEvent) -> None:
        """Images are downloaded in the sender's lane, while their links work (Zalo's expire)."""
        for a in event.attachments:
            await self.fetcher.prefetch(a, self.max_file_bytes)

    def forget(self, event: IncomingEvent) -> None:
        self.fetcher.forget([a.url for a in event.attachments if a.url])

    # --- render --------------------------------------------------------------------
    async def acknowledge(self, ack: str) -> None:
        """Nothing: Zalo has no buttons."""

    async def typing(self, chat_id: str) -> None:
        await asyncio.wait_for(self.client.send_chat_action(chat_id, "typing"), timeout=5.0)

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
