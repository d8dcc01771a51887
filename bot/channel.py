"""What the kernel, the pipeline and the delivery worker expect of a channel, the
update it parses, and the neutral errors each channel maps its own onto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from handlers.events import Capabilities, IncomingEvent, Reply


class ChannelError(RuntimeError):
    """A channel cannot run as configured (a refused token, a missing webhook secret).
    The message says what to fix; `python -m bot run` prints it and exits."""


class DeliveryError(Exception):
    """A message could not be delivered. The subclass says what to do about it;
    the message never holds a token."""


class RetryAfter(DeliveryError):
    """The messenger asks to slow down (429): wait `seconds`, then send the same message."""

    def __init__(self, seconds: float, message: str = ""):
        super().__init__(message or f"retry after {seconds} s")
        self.seconds = float(seconds)


class RecipientBlocked(DeliveryError):
    """The person blocked the bot, left, or no longer exists: stop writing to them."""


class PermanentFailure(DeliveryError):
    """The messenger refused this message (a bad request): sending it again will not help."""


class Transient(DeliveryError):
    """Network trouble or a server error: try again later, a bounded number of times."""


class InvalidUpdate(ValueError):
    """An update this channel cannot answer (no id, no chat): logged and not stored."""


@dataclass(frozen=True)
class Parsed:
    """One update as the kernel needs it, whatever the messenger."""

    key: str  # the inbox key: a redelivery with the same key is skipped
    stored: dict  # what the inbox keeps, read back by `parse` when the update is replayed
    event: IncomingEvent | None  # None: accepted and closed without a turn (not for the bot)
    sender: str | None = None  # who wrote: a later message of theirs waits for this one after a crash
    reply_to: int | str | None = None  # the message the first reply quotes (groups)
    ack: str | None = None  # a button press to acknowledge (Telegram's callback query id)
    group: str | None = None  # parts sent a moment apart that make one event (a Telegram album)


class Channel(Protocol):
    """What a messenger supplies to the kernel (bot/kernel): parse, verify, fetch, render."""

    name: str
    title: str  # the messenger's name in log lines
    capabilities: Capabilities
    max_in_flight: int  # people whose updates may be in hand before polling waits
    shutdown_grace: float  # seconds a stop lets turns in progress finish
    # verify: the webhook
    webhook_path: str
    secret_header: str
    max_body: int

    @property
    def webhook_secret(self) -> str | None: ...

    @property
    def ready(self) -> bool:
        """Whether updates can be parsed yet (the webhook answers 503 before)."""

    def check_webhook(self) -> None:
        """Raise ChannelError when webhooks cannot be served safely (no secret set)."""

    def unwrap(self, body: object) -> dict:
        """The update in a webhook's JSON body; ValueError when it is not one (answered 400)."""

    # parse
    def parse(self, update: dict) -> Parsed:
        """Raises InvalidUpdate for an update that cannot be answered. Also reads back a
        stored update (`Parsed.stored`), for recovery and catching up."""

    # fetch
    async def start(self) -> None:
        """Open clients and check the token (raise ChannelError on a refused one)."""

    async def before_polling(self) -> None: ...

    async def get_updates(self) -> list[dict]:
        """The next updates (long polling). Raises ChannelError to stop, RetryAfter to wait,
        Transient (or anything else) to be retried with back-off."""

    async def prefetch(self, event: IncomingEvent) -> None:
        """Download what must be downloaded before the turn (links that expire)."""

    def forget(self, event: IncomingEvent) -> None: ...

    # render
    async def acknowledge(self, ack: str) -> None: ...

    async def typing(self, chat_id: str) -> None:
        """Show "typing..." until cancelled."""

    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        """Send one reply (split as the messenger needs). Raises a DeliveryError subclass."""

    async def set_webhook(self, url: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def close(self) -> None: ...
