"""Fetching an image a Zalo user sent. Zalo gives a link that expires, so the
channel fetches it as soon as the message comes up in its sender's lane, before
the turn (`prefetch`), on the event loop: no worker thread and no database
transaction waits on the network, and neither does the polling loop. The turn's
`fetch` then takes that result (bytes or the reason there are none), so each
link is fetched once; the bytes stay in memory until the turn is over and are
written to the file store only if a handler keeps them.

The download itself is `LinkFetcher`'s: Zalo's file hosts only, public addresses,
one time limit, stopped past the size limit."""

from __future__ import annotations

import logging

from bot.files import FetchFailed, FileTooLarge, check_size
from bot.link_fetch import LinkFetcher
from handlers.events import Attachment

log = logging.getLogger(__name__)

_Result = bytes | FetchFailed | FileTooLarge


class ZaloFetcher:
    def __init__(self, links: LinkFetcher):
        self.links = links
        self._fetched: dict[str, _Result] = {}

    async def prefetch(self, attachment: Attachment, max_bytes: int) -> None:
        """Download now and hold the outcome for the turn's `fetch` (until `forget`)."""
        if not attachment.url or attachment.url in self._fetched:
            return
        try:
            self._fetched[attachment.url] = await self._download(attachment, max_bytes)
        except (FetchFailed, FileTooLarge) as exc:
            log.warning("Zalo image not downloaded: %s", exc)  # names the host, never the link
            self._fetched[attachment.url] = exc

    def forget(self, urls: list[str]) -> None:
        for url in urls:
            self._fetched.pop(url, None)

    async def fetch(self, attachment: Attachment, max_bytes: int) -> tuple[bytes, str | None, str | None]:
        if not attachment.url:
            raise FetchFailed("Zalo attachment without a link")
        held = self._fetched.get(attachment.url)
        if held is None:  # not prefetched (an update caught up after a crash): fetch it now
            data = await self._download(attachment, max_bytes)
        elif isinstance(held, Exception):
            raise held
        else:
            data = held
        check_size(len(data), max_bytes)
        return data, attachment.mime_type, attachment.file_name

    async def _download(self, attachment: Attachment, max_bytes: int) -> bytes:
        check_size(attachment.size, max_bytes)
        assert attachment.url
        return await self.links.fetch(attachment.url, max_bytes)

    async def close(self) -> None:
        await self.links.close()
