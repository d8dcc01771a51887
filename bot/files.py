"""Fetching the files users send, whatever the messenger: the errors and the
`Fetcher` protocol each channel implements (bot/telegram/files.py, bot/zalo/files.py).

A fetcher returns the bytes with the type and name the platform gave, if any;
storage/files.py then keeps them. Zalo image links expire, so the Zalo channel
fetches an image in its sender's lane just before the turn (bot/zalo/files.py);
Telegram files are fetched by file_id when needed. Both refuse a file over the
limit before downloading when the platform tells its size, stop a download that
grows past it, and give up after FILE_DOWNLOAD_SECONDS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from sqlmodel import Session

from handlers.context import FileUnavailable
from handlers.events import Attachment
from storage.files import FileStore, exceeds_limit, sniff_mime
from storage.models import StoredFile

# Seconds a handler waits for a file from the messenger: longer than a download may take
# (FILE_DOWNLOAD_SECONDS, at most 60), so the download's own limit is what cuts it off.
FETCH_TIMEOUT = 90.0


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


class TurnFiles:
    """`ctx.files` for one turn. Handlers run in a worker thread; a fetch runs on the
    event loop (where the messenger's client lives) and the thread waits for it. The
    row is written in the turn's session; a turn that does not commit leaves bytes with
    no row, which `FileStore.remove_orphans` deletes later."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fetcher: Fetcher | None, store: FileStore,
                 session: Session, owner_user_id: int, channel: str):
        self.loop = loop
        self.fetcher = fetcher
        self.store = store
        self.session = session
        self.owner = owner_user_id
        self.channel = channel

    def put(self, data: bytes, mime_type: str, file_name: str) -> StoredFile:
        return self.store.put(data, mime_type=mime_type, original_name=file_name, owner_user_id=self.owner,
                              channel=self.channel, session=self.session)

    def drop_unreferenced(self, sha256s: Iterable[str]) -> int:
        return self.store.drop_unreferenced(sha256s)

    def keep(self, attachment: Attachment, max_bytes: int, kinds: frozenset[str] | None = None) -> StoredFile:
        if exceeds_limit(attachment.size, max_bytes):
            raise FileUnavailable("too_large", f"{attachment.size} bytes")
        if self.fetcher is None:
            raise FileUnavailable("unavailable", f"{self.channel} cannot fetch files")
        future = asyncio.run_coroutine_threadsafe(self.fetcher.fetch(attachment, max_bytes), self.loop)
        try:
            data, mime, name = future.result(timeout=FETCH_TIMEOUT)
        except FileTooLarge as exc:
            raise FileUnavailable("too_large", str(exc)) from None
        except (FetchFailed, TimeoutError) as exc:
            future.cancel()
            raise FileUnavailable("unavailable", str(exc)) from None
        if kinds is not None:
            # Checked before anything is written: refused bytes never reach the file store.
            kind = sniff_mime(data)
            if kind not in kinds:
                raise FileUnavailable("wrong_type", f"the bytes are {kind or 'of no known type'}", kind=kind)
        source = attachment.file_id or attachment.url
        return self.store.put(data, mime_type=mime or attachment.mime_type, original_name=name or attachment.file_name,
                              owner_user_id=self.owner, channel=self.channel, source_ref=source, session=self.session)
