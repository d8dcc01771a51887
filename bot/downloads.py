"""/d/{token}: the file behind a one-time link (storage/links.py), on the webhook
server. Officers on Zalo get such a link instead of a document, since Zalo bots
cannot send files.

GET only shows a page naming the file, with a button that POSTs to the same
address; the POST spends the link and serves the file. Messengers (Zalo, Telegram)
and link scanners GET every URL in a message to build a preview, often before the
officer taps it: if a GET spent the link, the officer would only ever see "used".
Previewers do not submit forms. The token itself is the capability, so the form
needs no CSRF token.

An unknown, used or expired link gets the same short Vietnamese page with 404, so
the answer tells a guesser nothing. HEAD is not routed (405): nothing a client does
without pressing the button may spend the one use.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import math
import re
import unicodedata
from urllib.parse import quote

from aiohttp import web
from sqlmodel import Session

from storage.files import FileStore
from storage.links import consume_link, peek_link
from storage.models import StoredFile, aware, utcnow

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
# The same look as _PAGE; the form has no action, so it POSTs to the very address shown.
_OFFER = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 36em; margin: 2em auto; padding: 0 1em">
<h1 style="font-size: 1.3em">{title}</h1><p>Tệp: <strong>{name}</strong> ({size}).</p><p>{text}</p>
<form method="post"><button type="submit" style="font-size: 1.1em; padding: 0.5em 1.2em">{button}</button></form>
</body></html>
"""
OFFER_TITLE = "Tải tệp"
OFFER_TEXT = ("Liên kết chỉ dùng được một lần và hết hiệu lực sau {minutes} phút nữa: bấm nút dưới đây để tải tệp "
              "về máy. Tệp có dữ liệu cá nhân: đồng chí không chuyển liên kết này cho người khác.")
OFFER_BUTTON = "Tải tệp về"
GONE_TITLE = "Liên kết không còn hiệu lực"
GONE_TEXT = ("Mỗi liên kết tải tệp chỉ dùng được một lần, trong vài phút. "
             "Đồng chí gửi lại yêu cầu cho bot để nhận liên kết mới.")
FAILED_TITLE = "Chưa tải được tệp"
FAILED_TEXT = "Máy chủ đang gặp sự cố. Đồng chí thử lại sau ít phút hoặc báo Văn phòng."


def _page(status: int, title: str, text: str) -> web.Response:
    return web.Response(status=status, text=_PAGE.format(title=title, text=text), content_type="text/html",
                        charset="utf-8", headers={"Cache-Control": "no-store"})


def _offer(name: str, size: int, minutes: int) -> web.Response:
    # The file name comes from the officer's request (a report's attachment name): escaped.
    body = _OFFER.format(title=OFFER_TITLE, name=html.escape(name), size=human_size(size),
                         text=OFFER_TEXT.format(minutes=minutes), button=OFFER_BUTTON)
    return web.Response(text=body, content_type="text/html", charset="utf-8", headers={
        "Cache-Control": "no-store",
        "X-Robots-Tag": "noindex",
        "Referrer-Policy": "no-referrer",
    })


def human_size(n: int) -> str:
    """A file size as Vietnamese readers write it: 12,3 KB (decimal comma)."""
    if n < 1024:
        return f"{n} byte"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}".replace(".", ",")
        size /= 1024
    return f"{size:.1f} GB".replace(".", ",")


def ascii_name(name: str) -> str:
    """The file name without diacritics, for clients that do not read filename*."""
    folded = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = re.sub(r"[^A-Za-z0-9._ -]+", "_", plain).strip(" .")
    return plain or "tep"


def content_disposition(name: str) -> str:
    """attachment with an ASCII filename and the real (Vietnamese) one as RFC 5987 filename*."""
    return f"attachment; filename=\"{ascii_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def _look(files: FileStore, token: str) -> tuple[str, int, int] | None:
    """The name and size of a link's file and the minutes (rounded up) it still works,
    when it does; reads only."""
    now = utcnow()
    with Session(files.engine) as s:
        link = peek_link(s, token, now)
        if link is None:
            return None
        row = s.get(StoredFile, link.file_id)
        left = math.ceil((aware(link.expires_at) - now).total_seconds() / 60)
        return None if row is None else (link.file_name, row.size, left)


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


def make_page_handler(files: FileStore):  # noqa: ANN201
    async def page(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not _TOKEN.fullmatch(token):
            return _page(404, GONE_TITLE, GONE_TEXT)
        try:
            found = await asyncio.to_thread(_look, files, token)
        except Exception:
            log.exception("download link: could not look the link up")
            return _page(503, FAILED_TITLE, FAILED_TEXT)
        if found is None:
            return _page(404, GONE_TITLE, GONE_TEXT)
        return _offer(*found)

    return page


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
    web_app.router.add_get(ROUTE, make_page_handler(files), allow_head=False)
    web_app.router.add_post(ROUTE, make_handler(files))
