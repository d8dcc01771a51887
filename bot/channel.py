"""What the runner, the pipeline and the delivery worker expect of a channel
adapter, and the neutral delivery errors each channel maps its own onto."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from handlers.events import Capabilities, Reply


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


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    async def start(self) -> None:
        """Open clients and check the token (raise on an invalid one)."""

    async def poll(self) -> None:
        """Long-poll for updates until cancelled."""

    def add_routes(self, app: web.Application) -> None:
        """Register this channel's webhook endpoint."""

    async def recover_pending(self) -> None:
        """Re-run updates that were accepted but whose turn was never committed."""

    async def deliver(self, chat_id: str, reply: Reply, reply_to: str | None = None) -> None:
        """Send one reply (split as the messenger needs). Raises a DeliveryError subclass."""

    async def set_webhook(self, url: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def close(self) -> None: ...
