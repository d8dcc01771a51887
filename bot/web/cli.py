"""`python -m bot web`: serve the officers' console; `python -m bot web login --officer
telegram:123` prints a one-time sign-in link (for an officer at the server, or the first
sign-in before any messenger is set up)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> dict:
    web = sub.add_parser("web", help="serve the officers' console in the browser (/van-phong/)",
                         description="Serve the officers' console on HOST:PORT under /van-phong/ (SQLite works as "
                                     "it is). Officers sign in with a one-time link: /dangnhap to the bot, or "
                                     "`web login --officer CHANNEL:ID` here.")
    web.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1; 0.0.0.0 behind a reverse proxy in a container)")
    web.add_argument("--port", type=int, default=None, help="port (default: PORT, 8080)")
    actions = web.add_subparsers(dest="action", metavar="ACTION")
    login = actions.add_parser("login", help="print a one-time sign-in link for an officer",
                               description="Print a one-time sign-in link (10 minutes, once) to PUBLIC_URL, or "
                                           "to http://localhost:PORT when PUBLIC_URL is not set.")
    login.add_argument("--officer", required=True, metavar="CHANNEL:ID",
                       help="the officer as ADMIN_IDS names them, e.g. telegram:123456 or zalo:abc")
    return {"web": _cmd_web}


def base_url(settings) -> str:  # noqa: ANN001
    return settings.public_url or f"http://localhost:{settings.port}"


def _cmd_web(settings, args) -> int:  # noqa: ANN001
    if args.action == "login":
        return _login(settings, args.officer)
    return _serve(settings, args.host, args.port or settings.port)


def _login(settings, officer: str) -> int:  # noqa: ANN001
    from sqlmodel import Session

    from bot.officer_source import officers_of
    from bot.web.login import login_url
    from storage import db
    from storage.web_sessions import issue_login

    channel, _, user = officer.partition(":")
    db.upgrade(settings.db_url)
    engine = db.make_engine(settings.db_url)
    if not user or not officers_of(settings, engine).is_officer(channel, user):
        print(f"{officer} is not an officer: add it to ADMIN_IDS first (e.g. ADMIN_IDS=telegram:123456)",
              file=sys.stderr)
        return 2
    with Session(engine) as s:
        token = issue_login(s, officer)
        s.commit()
    print(login_url(base_url(settings), token))
    return 0


def _serve(settings, host: str, port: int) -> int:  # noqa: ANN001
    from bot.app import build_app, setup_logging
    from bot.startup import StartupError, port_problem

    setup_logging(settings)
    app = build_app(settings)
    try:
        asyncio.run(serve_console(app, host, port))
    except OSError as exc:
        raise StartupError(port_problem(port, exc)) from None
    return 0


async def serve_console(app, host: str, port: int, stop: asyncio.Event | None = None) -> None:  # noqa: ANN001
    from bot import downloads, webserver
    from bot.runner import healthz
    from bot.web.app import add_console, console_for, to_console

    web_app = webserver.make_app()
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/", to_console)
    downloads.add_routes(web_app, app.files)
    add_console(web_app, console_for(app))
    runner, _site = await webserver.start(web_app, host, port)
    log.info("officers' console on http://%s:%d/van-phong/", host, port)
    print(f"Trang Văn phòng: http://{host}:{port}/van-phong/ (đăng nhập: gửi /dangnhap cho bot, hoặc "
          f"python -m bot web login --officer KÊNH:MÃ)", flush=True)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
