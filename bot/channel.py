"""What the runner and the outbound interface expect of a channel adapter."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from handlers.events import Reply


class ChannelError(RuntimeError):
    """A channel cannot run as configured (a refused token, a missing webhook secret).
    The message says what to fix; `python -m bot run` prints it and exits."""


class DeliveryDeferred(Exception):
    """Replies could not be delivered for now (the network or the platform is down,
    or asks to wait). `remaining` are the replies not yet sent: the pipeline keeps
    them and the recovery sweep sends them later, instead of losing the answer."""

    def __init__(self, message: str, remaining: list[Reply]):
        super().__init__(message)
        self.remaining = remaining


class Channel(Protocol):
    name: str

    async def start(self) -> None:
        """Open clients and check the token (raise on an invalid one)."""

    async def poll(self) -> None:
        """Long-poll for updates until cancelled."""

    def add_routes(self, app: web.Application) -> None:
        """Register this channel's webhook endpoint."""

    async def recover_pending(self) -> None:
        """Re-run updates that were accepted but never finished."""

    async def send(self, chat_id: str, replies: list[Reply]) -> None:
        """Deliver replies to a chat (used for answers and for the bot's own messages).
        Raises DeliveryDeferred when a passing failure stopped it."""

    async def set_webhook(self, url: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def close(self) -> None: ...
