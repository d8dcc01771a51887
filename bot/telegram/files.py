"""Fetching a file a Telegram user sent, by its file_id, when it is needed.

getFile gives the file's path (and usually its size) on the Bot API server; the
bytes are then read from `{base}/file/bot{token}/{path}`, the URL aiogram builds
for the configured TelegramAPIServer. The size is checked against the limit
before anything is downloaded (from the update, then from getFile), and the
download stops as soon as it grows past the limit. No error text carries the token.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramEntityTooLarge

from bot.files import FetchFailed, FileTooLarge, check_size
from bot.kernel.redact import shared
from bot.kernel.retry import Backoff
from bot.telegram.retry import api_retry, call_with_retry, describe
from handlers.events import Attachment

DOWNLOAD_TIMEOUT = 30.0  # seconds for one file in all (FILE_DOWNLOAD_SECONDS)
CHUNK = 64 * 1024


class TelegramFetcher:
    def __init__(self, bot: Bot, *, retry: Backoff | None = None, timeout: float = DOWNLOAD_TIMEOUT):
        self.bot = bot
        self.retry = retry or api_retry(attempts=3)
        self.timeout = timeout
        shared.add(bot.token)
        self.redact = describe

    async def fetch(self, attachment: Attachment, max_bytes: int) -> tuple[bytes, str | None, str | None]:
        if not attachment.file_id:
            raise FetchFailed("Telegram attachment without a file_id")
        check_size(attachment.size, max_bytes)
        file_path, size = await self._get_file(attachment.file_id, max_bytes)
        check_size(size, max_bytes)
        data = await self._download(file_path, max_bytes)
        check_size(len(data), max_bytes)
        name = attachment.file_name or PurePosixPath(file_path).name or None
        return data, attachment.mime_type, name

    async def _get_file(self, file_id: str, max_bytes: int) -> tuple[str, int | None]:
        try:
            result: Any = await call_with_retry(lambda: self.bot.get_file(file_id), what="getFile",
                                                policy=self.retry, redact=self.redact)
        except TelegramEntityTooLarge as exc:
            raise FileTooLarge(None, max_bytes, f"Telegram getFile: {self.redact(exc.message)}") from None
        except TelegramBadRequest as exc:
            if "too big" in exc.message.lower():
                # The official Bot API serves files up to 20 MB only.
                raise FileTooLarge(None, max_bytes, f"Telegram getFile: {self.redact(exc.message)}") from None
            raise FetchFailed(f"Telegram getFile: {self.redact(exc.message)}") from None
        except TelegramAPIError as exc:
            raise FetchFailed(f"Telegram getFile: {self.redact(exc)}") from None
        # A raw dict when aiogram could not read the answer but the call went through.
        get = result.get if isinstance(result, dict) else lambda key: getattr(result, key, None)
        file_path, size = get("file_path"), get("file_size")
        if not file_path:
            raise FetchFailed("Telegram getFile gave no file_path (the file cannot be downloaded)")
        return str(file_path), size if isinstance(size, int) else None

    async def _download(self, file_path: str, max_bytes: int) -> bytes:
        api = self.bot.session.api
        if api.is_local:
            # A local Bot API server: the file is on this machine's disk.
            try:
                buffer = await self.bot.download_file(file_path, destination=io.BytesIO(), timeout=self.timeout)
            except OSError as exc:
                raise FetchFailed(f"Telegram file: {type(exc).__name__}") from None
            assert buffer is not None
            return buffer.read()
        url = api.file_url(self.bot.token, file_path)
        chunks: list[bytes] = []
        size = 0
        stream = self.bot.session.stream_content(url=url, timeout=self.timeout, chunk_size=CHUNK,
                                                 raise_for_status=True)
        try:
            async for chunk in stream:
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(size, max_bytes, f"Telegram file: larger than {max_bytes} bytes")
                chunks.append(chunk)
        except aiohttp.ClientResponseError as exc:  # its text holds the URL, so the token: never show it
            raise FetchFailed(f"Telegram file: HTTP {exc.status}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FetchFailed(f"Telegram file: {self.redact(exc)}") from None
        finally:
            await stream.aclose()
        return b"".join(chunks)
