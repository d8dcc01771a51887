"""The one-line message an action leaves for the page it redirects to ("Đã duyệt báo cáo
GT-..."), carried by a short-lived cookie and shown once. Jinja escapes it like any text."""

from __future__ import annotations

from urllib.parse import quote, unquote

from aiohttp import web

from bot.web.console import PREFIX, console_of

FLASH = "vp_tb"
MAX_CHARS = 300  # a cookie holds 4 KB; Vietnamese letters take up to 9 bytes quoted


def leave(request: web.Request, response: web.StreamResponse, text: str, ok: bool) -> None:
    clipped = text if len(text) <= MAX_CHARS else text[:MAX_CHARS - 1] + "…"
    response.set_cookie(FLASH, ("1" if ok else "0") + quote(clipped), path=PREFIX, max_age=60, httponly=True,
                        samesite="Strict", secure=console_of(request).secure_cookie)


def take(request: web.Request) -> dict | None:
    """The message left for this page, if any ({"text", "ok"}); `forget` ends it."""
    raw = request.cookies.get(FLASH)
    if not raw:
        return None
    return {"text": unquote(raw[1:])[:MAX_CHARS], "ok": raw[0] == "1"}


def forget(response: web.StreamResponse) -> None:
    response.del_cookie(FLASH, path=PREFIX)
