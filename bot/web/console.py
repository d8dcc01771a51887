"""The console's shared pieces: its settings, the database in a worker thread, the
templates, and the answers every page may give (refusals, the security headers)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from sqlalchemy.engine import Engine
from sqlmodel import Session

from content.service import Knowledge
from storage.files import FileStore

PREFIX = "/van-phong"
COOKIE = "vp_phien"
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# No inline script or style anywhere: a script injected into a report's story could not run.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

T = TypeVar("T")


@dataclass
class Console:
    engine: Engine
    files: FileStore
    knowledge: Knowledge
    is_officer: Callable[[str, str], bool]
    tz: ZoneInfo
    secure_cookie: bool  # PUBLIC_URL is https: the cookie is sent over HTTPS only
    templates: jinja2.Environment
    admins: AbstractSet[tuple[str, str]] = frozenset()  # ADMIN_IDS: officers the console cannot remove
    sources_dir: Path | None = None  # CONTENT_SOURCES_DIR: each content save is also checked as `content verify` does

    def officer_ok(self, officer: str) -> bool:
        channel, _, user = officer.partition(":")
        return bool(user) and self.is_officer(channel, user)

    async def db(self, work: Callable[[Session], T], commit: bool = False) -> T:
        """`work` on a session in a worker thread (the event loop also serves the webhooks)."""

        def run() -> T:
            with Session(self.engine, expire_on_commit=False) as s:
                out = work(s)
                if commit:
                    s.commit()
                return out

        return await asyncio.to_thread(run)

    def render(self, name: str, status: int = 200, **context: Any) -> web.Response:
        body = self.templates.get_template(name).render(prefix=PREFIX, **context)
        return web.Response(status=status, text=body, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})


KEY = web.AppKey("console", Console)
# What the guard learnt of the request's session (bot/web/guard.py).
OFFICER = web.RequestKey("officer", str)  # channel:user id
OFFICER_NAME = web.RequestKey("officer_name", str)
CSRF = web.RequestKey("csrf", str)
SESSION_TOKEN = web.RequestKey("session_token", str)


def make_templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def console_of(request: web.Request) -> Console:
    return request.app[KEY]
