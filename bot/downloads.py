"""GET /d/{token}: the file behind a one-time link (storage/links.py), on the webhook
server. Officers on Zalo get such a link instead of a document, since Zalo bots
cannot send files.

An unknown, used or expired link gets the same short Vietnamese page with 404, so
the answer tells a guesser nothing. HEAD is not routed (405): a client or a link
checker that only asks whether the address exists must not spend the one use.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import unicodedata
from urllib.parse import quote

from aiohttp import web
from sqlmodel import Session

from storage.files import FileStore
from storage.links import consume_link
from storage.models import StoredFile

log = logging.getLogger(__name__)

ROUTE = "/d/{token}"
# secrets.token_urlsafe(32) gives 43 characters; anything else is not ours and never reaches the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")

_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 2em auto; padding: 0 1em">
<h1 style="font-size: 1.3em">{title}</h1><p>{text}</p></body></html>
"""
GONE_TITLE = "Liên kết không còn hiệu lực"
GONE_TEXT = ("Mỗi liên kết tải tệp chỉ dùng được một lần, trong 15 phút. "
             "Đồng chí gửi lại yêu cầu cho bot để nhận liên kết mới.")
FAILED_TITLE = "Chưa tải được tệp"
FAILED_TEXT = "Máy chủ đang gặp sự cố. Đồng chí thử lại sau ít phút hoặc báo Văn phòng."


def _page(status: int, title: str, text: str) -> web.Response:
    return web.Response(status=status, text=_PAGE.format(title=title, text=text), content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-store"})


def ascii_name(name: str) -> str:
    """The file name without diacritics, for clients that do not read filename*."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = re.sub(r"[^A-Za-z0-9._ -]+", "_", plain).strip(" .")
    return plain or "tep"


def content_disposition(name: str) -> str:
    """attachment with an ASCII filename and the real (Vietnamese) one as RFC 5987 filename*."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _take(files: FileStore, token: str) -> tuple[str, str, bytes] | None:
    """Consume the link and read its file in one transaction: when the bytes cannot be
    read, the rollback leaves the link unused for another try."""
    with Session(files.engine, expire_on_commit=False) as s:
        link = consume_link(s, token)
        if link is None:
            return None
        row = s.get(StoredFile, link.file_id)
        if row is None:
            return None
        data = files.path_of(row).read_bytes()
        if hashlib.sha256(data).hexdigest() != row.sha256:
            raise OSError(f"stored file {row.id}: the blob does not match its sha256")
        s.commit()
        return link.file_name, row.mime_type, data


def make_handler(files: FileStore):  # noqa: ANN201
    async def download(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not _TOKEN.fullmatch(token):
            return _page(404, GONE_TITLE, GONE_TEXT)
        try:
            # Database and disk work off the event loop, which also serves the webhooks.
            found = await asyncio.to_thread(_take, files, token)
        except Exception:
            log.exception("download link: could not serve the file")
            return _page(503, FAILED_TITLE, FAILED_TEXT)
        if found is None:
            return _page(404, GONE_TITLE, GONE_TEXT)
        name, mime, data = found
        log.info("download link used: %s (%d bytes)", ascii_name(name), len(data))
        return web.Response(body=data, headers={
            "Content-Type": mime,
            "Content-Disposition": content_disposition(name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        })

    return download


def add_routes(web_app: web.Application, files: FileStore) -> None:
    web_app.router.add_get(ROUTE, make_handler(files), allow_head=False)
