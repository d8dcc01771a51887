"""Fetching the files users send, whatever the messenger: the errors and the
`Fetcher` protocol each channel implements (bot/telegram/files.py, bot/zalo/files.py).

A fetcher returns the bytes with the type and name the platform gave, if any;
storage/files.py then keeps them. Zalo image links expire, so the Zalo channel
fetches as soon as an image arrives; Telegram files are fetched by file_id when
needed. Both refuse a file over the limit before downloading when the platform
tells its size, and stop a download that grows past it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from handlers.events import Attachment
from storage.files import exceeds_limit


class FileTooLarge(Exception):
    """The file is over the limit; `size` is what the platform said or what was read so far."""

    def __init__(self, size: int | None, limit: int, message: str | None = None):
        self.size = size
        self.limit = limit
        super().__init__(message or f"file larger than {limit} bytes" + (f" ({size} bytes)" if size else ""))


class FetchFailed(Exception):
    """The file could not be fetched: an expired link, an unknown file_id, a network error.
    The message never holds a token."""


@runtime_checkable
class Fetcher(Protocol):
    async def fetch(self, attachment: Attachment, max_bytes: int) -> tuple[bytes, str | None, str | None]:
        """(bytes, mime type or None, file name or None); raises FileTooLarge or FetchFailed."""
        ...


def check_size(size: int | None, max_bytes: int) -> None:
    """Raise FileTooLarge when a known size is over `max_bytes`."""
    if exceeds_limit(size, max_bytes):
        raise FileTooLarge(size, max_bytes)
