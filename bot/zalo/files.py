"""Fetching an image a Zalo user sent. Zalo gives a link that expires, so the
channel fetches it as soon as the message arrives, through ZaloClient.download
(http(s) only, redirects followed, stopped past the limit)."""

from __future__ import annotations

from bot.files import FetchFailed, FileTooLarge, check_size
from bot.zalo.client import ZaloClient, ZaloError, ZaloFileTooLarge
from handlers.events import Attachment


class ZaloFetcher:
    def __init__(self, client: ZaloClient):
        self.client = client

    async def fetch(self, attachment: Attachment, max_bytes: int) -> tuple[bytes, str | None, str | None]:
        if not attachment.url:
            raise FetchFailed("Zalo attachment without a link")
        check_size(attachment.size, max_bytes)
        try:
            data = await self.client.download(attachment.url, max_bytes=max_bytes)
        except ZaloFileTooLarge as exc:
            raise FileTooLarge(None, max_bytes, self.client.redact(str(exc))) from None
        except ZaloError as exc:
            raise FetchFailed(self.client.redact(str(exc))) from None
        check_size(len(data), max_bytes)
        return data, attachment.mime_type, attachment.file_name
