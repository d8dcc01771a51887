"""Run the configured channels by long polling or behind one webhook server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from datetime import timedelta

from aiohttp import web

from bot import downloads, health, webserver
from bot.app import App, build_conversation, link_maker
from bot.delivery import Delivery
from bot.kernel import webhook
from bot.kernel.inbound import Inbound
from bot.kernel.wiring import assemble, make_channels
from bot.leader import worker_lock
from bot.scheduler import make_scheduler
from bot.startup import StartupError, port_problem
from content.deadlines import inert_examples_line
from content.loader import ContentError
from storage.files import FileStore

log = logging.getLogger(__name__)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def make_web_app(inbound: dict[str, Inbound], files: FileStore | None = None,
                 console: web.Application | None = None) -> web.Application:
    web_app = webserver.make_app(client_max_size=1024 * 1024)
    web_app.router.add_get("/healthz", healthz)
    if files is not None:  # GET /d/{token}: one-time links to exports, for officers on Zalo
        downloads.add_routes(web_app, files)
    for side in inbound.values():
        webhook.add_routes(side, web_app)
    if console is not None:  # /van-phong/: the officers' console on the same port
        from bot.web.app import add_console

        add_console(web_app, console)
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


def _console(app: App) -> web.Application:
    from bot.web.app import console_for

    return console_for(app)


def _warm_up(app: App) -> None:
    """The learned ranker, loaded or trained in the background (a daemon thread: a stop does not wait
    for a training); questions that need it meanwhile wait for it, as they would have anyway."""
    def warm() -> None:
        started = time.monotonic()
        try:
            app.knowledge.warm_up()
        except Exception:  # noqa: BLE001 - the first question needing it tries again, and says why
            log.exception("the learned ranker could not be built at start")
        else:
            log.info("learned ranker ready in %.1f s", time.monotonic() - started)

    threading.Thread(target=warm, name="ranker-warm-up", daemon=True).start()


RECOVER_AFTER = timedelta(seconds=90)  # an update pending this long was dropped by a stopped instance


async def _run_worker(app: App, delivery: Delivery, stop: asyncio.Event) -> None:
    """Send the outbox while this instance holds the worker lock (one instance at a
    time on PostgreSQL, so the messengers' rate limits hold across instances)."""
    async with worker_lock(app.repo.engine, stop) as held:
        if held:
            log.info("this instance sends the outbox")
            await delivery.run(stop)


def _install_stop(stop: asyncio.Event) -> None:
    # systemd stops services with SIGTERM: finish what is in flight and close
    # cleanly instead of dying mid-answer (the inbox would recover it, but a
    # clean stop answers sooner and sends nothing twice).
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)


async def serve(app: App, webhook: bool = False, host: str = "0.0.0.0", stop: asyncio.Event | None = None) -> None:
    channels = make_channels(app.settings)
    if not channels:
        raise RuntimeError("no channel configured")
    # One-time links to stored files are served only where the webhook server runs.
    links = webhook and app.settings.public_url
    conversation = build_conversation(app.settings, app.knowledge, make_link=link_maker(links),
                                      officers=app.officers) if links else None
    kernel = assemble(app, channels, conversation=conversation, recover_after=RECOVER_AFTER)
    delivery, inbound = kernel.delivery, kernel.inbound
    stop = stop or asyncio.Event()
    _install_reload(app)
    _install_stop(stop)
    # Routes first: a channel that cannot serve webhooks (no secret) refuses before anything starts.
    web_app = make_web_app(inbound, app.files, _console(app)) if webhook else None
    if web_app is not None:
        try:
            webserver.check_port(host, app.settings.port)
        except OSError as exc:
            raise StartupError(port_problem(app.settings.port, exc)) from None
    started: list[Inbound] = []
    scheduler = make_scheduler(app, inbound, delivery)
    worker: asyncio.Task | None = None
    worker_stop = asyncio.Event()
    heartbeat: asyncio.Task | None = None
    try:
        for side in inbound.values():
            await side.start()
            started.append(side)
        scheduler.start()
        _warm_up(app)
        examples = inert_examples_line(app.knowledge.kb.deadlines)
        if examples:
            log.warning(examples)
        worker = asyncio.create_task(_run_worker(app, delivery, worker_stop))
        # For `python -m bot health` (Docker's HEALTHCHECK): written from this loop, removed on stop.
        heartbeat = asyncio.create_task(health.beat(health.heartbeat_path(app.settings), worker_stop,
                                                    webhook=web_app is not None, port=app.settings.port))
        if web_app is not None:
            # Header and body timeouts, and a cap on open connections (bot/webserver.py).
            try:
                runner, _site = await webserver.start(web_app, host, app.settings.port)
            except OSError as exc:  # taken since the check above
                raise StartupError(port_problem(app.settings.port, exc)) from None
            log.info("webhook server listening on port %d for %s", app.settings.port, ", ".join(channels))
            try:
                await stop.wait()
            finally:
                await runner.cleanup()
        else:
            log.info("long polling: %s", ", ".join(channels))
            polling = asyncio.gather(*(side.poll() for side in inbound.values()))
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if polling in done:
                stopping.cancel()
                polling.result()  # a channel that stopped polling (e.g. token revoked) ends the run
            else:
                polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
        log.info("stopped")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        worker_stop.set()
        for task in (worker, heartbeat):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=10)
        for side in reversed(started):
            with contextlib.suppress(Exception):
                await side.close()
