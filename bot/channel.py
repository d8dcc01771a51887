"""What the runner and the outbound interface expect of a channel adapter."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from handlers.events import Reply


class ChannelError(RuntimeError):
    """A channel cannot run as configured (a refused token, a missing webhook secret).
    The message says what to fix; `python -m bot run` prints it and exits."""


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
        """Deliver replies to a chat (used for answers and for the bot's own messages)."""

    async def set_webhook(self, url: str) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def close(self) -> None: ...
