"""Who gets in: every route of the console except the sign-in pages and the static files
needs a live session of someone who is an officer now, and every state-changing request
the session's CSRF token. An officer removed from ADMIN_IDS loses every session at their
next request. Every answer carries the security headers (bot/web/console.py)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.web import texts
from bot.web.console import COOKIE, CSRF, OFFICER, SECURITY_HEADERS, SESSION_TOKEN, console_of
from storage import web_sessions as ws

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"


def public(handler: Handler) -> Handler:
    """Marks a route anyone may open (the sign-in pages, the static files)."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


def refusal(request: web.Request, status: int, title: str, text: str) -> web.Response:
    return console_of(request).render("message.html", status=status, title=title, text=text, officer=None)


async def _csrf_of(request: web.Request) -> str:
    sent = request.headers.get(CSRF_HEADER)
    if sent:
        return sent
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # aiohttp keeps it: the handler reads the same form again
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def protect(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await _checked(request, handler)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _checked(request: web.Request, handler: Handler) -> web.StreamResponse:
    original = request.match_info.handler
    if getattr(original, "public", False) or isinstance(request.match_info.route.resource, web.StaticResource):
        return await handler(request)
    c = console_of(request)
    token = request.cookies.get(COOKIE, "")
    if not token or len(token) > 64:
        return refusal(request, 401, texts.SIGNED_OUT_TITLE, texts.SIGNED_OUT_TEXT)
    session = await c.db(lambda s: ws.live_session(s, token), commit=True)
    if session is None:
        return refusal(request, 401, texts.SIGNED_OUT_TITLE, texts.SIGNED_OUT_TEXT)
    if not c.officer_ok(session.officer):
        # No longer an officer: every session of theirs ends now, not at its expiry.
        await c.db(lambda s: ws.end_all(s, session.officer), commit=True)
        return refusal(request, 403, texts.NOT_OFFICER_TITLE, texts.NOT_OFFICER_TEXT)
    if request.method not in SAFE:
        sent = await _csrf_of(request)
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
            return refusal(request, 403, texts.CSRF_TITLE, texts.CSRF_TEXT)
    request[OFFICER] = session.officer
    request[CSRF] = session.csrf
    request[SESSION_TOKEN] = token
    return await handler(request)
