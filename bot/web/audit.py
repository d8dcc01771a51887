"""The record of what an officer did in the console (storage/web_sessions.py, console_audit):
every action route calls `record` once its service has acted, naming what it acted on."""

from __future__ import annotations

from aiohttp import web

from bot.web.console import OFFICER, console_of
from storage import web_sessions as ws


async def record(request: web.Request, action: str, target: str | None = None, detail: dict | None = None) -> None:
    """Who (the session's officer) did `action` to `target`, now."""
    officer = request[OFFICER]
    await console_of(request).db(lambda s: ws.record(s, officer, action, target, detail), commit=True)
