"""Run the configured channels by long polling or behind one webhook server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from bot.app import App
from bot.channel import Channel
from bot.pipeline import Pipeline
from content.loader import ContentError

log = logging.getLogger(__name__)


def make_channels(app: App, pipeline: Pipeline) -> dict[str, Channel]:
    s = app.settings
    channels: dict[str, Channel] = {}
    if s.telegram_bot_token:
        from bot.telegram import TelegramChannel

        channels["telegram"] = TelegramChannel(s, pipeline)
    if s.zalo_bot_token:
        from bot.zalo import ZaloChannel

        channels["zalo"] = ZaloChannel(s, pipeline)
    return channels


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def make_web_app(channels: dict[str, Channel]) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_get("/healthz", healthz)
    for ch in channels.values():
        ch.add_routes(web_app)
    return web_app


def _install_reload(app: App) -> None:
    def reload() -> None:
        try:
            kb = app.knowledge.reload()
            log.info("content reloaded: %d entries", len(kb.entries))
        except ContentError as exc:
            log.error("content reload refused, keeping the old content:\n%s", exc)

    with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, reload)


async def serve(app: App, webhook: bool = False, host: str = "0.0.0.0") -> None:
    pipeline = Pipeline(app.conversation, app.repo)
    channels = make_channels(app, pipeline)
    if not channels:
        raise RuntimeError("no channel configured")
    _install_reload(app)
    # Routes first: a channel that cannot serve webhooks (no secret) refuses before anything starts.
    web_app = make_web_app(channels) if webhook else None
    for ch in channels.values():
        await ch.start()
    try:
        if web_app is not None:
            runner = web.AppRunner(web_app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, host, app.settings.port)
            await site.start()
            log.info("webhook server listening on port %d for %s", app.settings.port, ", ".join(channels))
            try:
                await asyncio.Event().wait()
            finally:
                await runner.cleanup()
        else:
            log.info("long polling: %s", ", ".join(channels))
            await asyncio.gather(*(ch.poll() for ch in channels.values()))
    finally:
        for ch in channels.values():
            with contextlib.suppress(Exception):
                await ch.close()
