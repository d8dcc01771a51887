"""Signing in by a one-time link, and signing out.

GET /van-phong/dang-nhap/<token> only shows a button; its POST spends the link and opens
the session. Messengers fetch every link in a message for a preview before the officer taps
it (see bot/downloads.py): a GET that spent the link would leave the officer a used one.
The token is the capability, so that form needs no CSRF token; sign-out does.
"""

from __future__ import annotations

import math
import re

from aiohttp import web

from bot.web import texts
from bot.web.console import COOKIE, OFFICER, PREFIX, SESSION_TOKEN, console_of
from bot.web.guard import public, refusal
from storage import web_sessions as ws
from storage.models import aware, utcnow

# secrets.token_urlsafe(16) gives 22 characters; anything else never reaches the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def login_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}{PREFIX}/dang-nhap/{token}"


@public
async def instructions(request: web.Request) -> web.Response:
    return refusal(request, 200, texts.SIGNED_OUT_TITLE, texts.SIGNED_OUT_TEXT)


@public
async def offer(request: web.Request) -> web.Response:
    c = console_of(request)
    token = request.match_info["token"]
    found = await c.db(lambda s: ws.peek_login(s, token)) if TOKEN.fullmatch(token) else None
    if found is None:
        return refusal(request, 404, texts.LINK_GONE_TITLE, texts.LINK_GONE_TEXT)
    minutes = math.ceil((aware(found.expires_at) - utcnow()).total_seconds() / 60)
    response = c.render("sign_in.html", title=texts.OFFER_TITLE, text=texts.OFFER_TEXT.format(minutes=minutes),
                        button=texts.OFFER_BUTTON, officer=None)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response


@public
async def redeem(request: web.Request) -> web.StreamResponse:
    c = console_of(request)
    token = request.match_info["token"]
    agent = request.headers.get("User-Agent")

    def sign_in(s):  # noqa: ANN001, ANN202
        officer = ws.redeem_login(s, token)
        if officer is None:
            return None, None
        if not c.officer_ok(officer):
            return officer, None  # the link is spent all the same
        cookie, _row = ws.open_session(s, officer, user_agent=agent)
        ws.record(s, officer, "sign_in")
        return officer, cookie

    officer, cookie = await c.db(sign_in, commit=True) if TOKEN.fullmatch(token) else (None, None)
    if officer is None:
        return refusal(request, 404, texts.LINK_GONE_TITLE, texts.LINK_GONE_TEXT)
    if cookie is None:
        return refusal(request, 403, texts.NOT_OFFICER_TITLE, texts.NOT_OFFICER_TEXT)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/"})
    response.set_cookie(COOKIE, cookie, path=f"{PREFIX}/", httponly=True, samesite="Strict",
                        secure=c.secure_cookie or request.secure, max_age=int(ws.MAX_TTL.total_seconds()))
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    c = console_of(request)
    token, officer = request[SESSION_TOKEN], request[OFFICER]

    def end(s):  # noqa: ANN001, ANN202
        ws.end_session(s, token)
        ws.record(s, officer, "sign_out")

    await c.db(end, commit=True)
    response = web.Response(status=303, headers={"Location": f"{PREFIX}/dang-nhap"})
    response.del_cookie(COOKIE, path=f"{PREFIX}/")
    return response
