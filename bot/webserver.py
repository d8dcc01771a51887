"""The webhook server's defences against slow and hostile clients.

aiohttp alone waits for a request's headers as long as its keep-alive timeout
(an hour by default) and accepts connections until the process runs out of file
descriptors: 20,000 clients trickling headers took every descriptor, /healthz
and real updates timed out, and each refused accept was logged. Here:

- headers must arrive within HEADER_TIMEOUT seconds of the connection (or of the
  previous response on a kept-alive one), a body within BODY_TIMEOUT;
- at most `max_connections` are open; at the limit a new connection displaces the
  oldest one that has no request in progress, or is closed at once if all are busy;
- an unexpected failure in a handler is one log line and a 500, never a traceback;
- a request aiohttp cannot parse (a NUL in a header, a line too long) gets its 400 and
  at most one short line a minute per kind of fault, not aiohttp's 11-line traceback
  each (500 such requests made 298 KB of log in 0.21 s).
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
import socket
import time
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from bot.plumbing import OncePer, one_line

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0  # seconds; also how long an idle kept-alive connection stays open
BODY_TIMEOUT = 10.0  # seconds to receive a body once its headers are in
MAX_CONNECTIONS = 512  # open connections at most (fewer when the descriptor limit is low)

UNSTARTED_GRACE = 10.0  # seconds before a handler whose connection never started is forgotten

BUSY = web.AppKey("busy_connections", set)


def max_connections(wanted: int = MAX_CONNECTIONS) -> int:
    """`wanted`, or half the process's descriptor limit if that is lower: the other half
    is for the database, the messengers' APIs and the log."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(16, min(wanted, soft // 2))


class ClientErrorLog(logging.LoggerAdapter):
    """The logger aiohttp's request handler writes to: requests it could not parse are
    the client's fault, and become one short warning per kind a minute (with how many
    were held back); everything else goes to aiohttp's own logger unchanged."""

    def __init__(self, once: OncePer | None = None):
        super().__init__(logging.getLogger("aiohttp.server"), {})
        self.once = once or OncePer(60.0)

    def log(self, level: int, msg: object, *args: Any, exc_info: Any = None, **kwargs: Any) -> None:
        if level > logging.DEBUG and isinstance(exc_info, HttpProcessingError) and 400 <= exc_info.code < 500:
            # The fault's name, without the request's bytes that aiohttp quotes after it (on
            # the next lines, after a colon, or as b'...'): they may hold a secret.
            first = (str(exc_info.message).strip().splitlines() or [""])[0]
            kind = re.split(r":|b?['\"]", first, maxsplit=1)[0].strip()[:100] or type(exc_info).__name__
            held = self.once.due(re.sub(r"\d+", "N", kind))
            if held is not None:
                log.warning("refused a malformed request from %s with %d: %s%s", args[0] if args else "?",
                            exc_info.code, kind, f" ({held} more since the last such line)" if held else "")
            return
        super().log(level, msg, *args, exc_info=exc_info, **kwargs)


@web.middleware
async def guard(request: web.Request, handler):  # noqa: ANN001, ANN201
    """Marks the connection busy while a request is handled (so it is never the one
    displaced), and turns an unexpected failure into a 500 and one log line."""
    busy = request.app[BUSY]
    busy.add(request.protocol)
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except (asyncio.CancelledError, ConnectionError):
        raise
    except Exception as exc:  # noqa: BLE001 - the client gets a status, the log one line
        log.error("%s %s failed: %s", request.method, request.path, one_line(exc))
        return web.Response(status=500, text="internal error")
    finally:
        busy.discard(request.protocol)


def make_app(client_max_size: int = 1024 * 1024) -> web.Application:
    app = web.Application(client_max_size=client_max_size, middlewares=[guard])
    app[BUSY] = set()
    return app


async def read_body(request: web.Request, limit: int, timeout: float = BODY_TIMEOUT) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes (answer 413). A body
    that does not arrive within `timeout` seconds raises HTTPRequestTimeout (408)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while chunk := await request.content.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
    except TimeoutError:
        raise web.HTTPRequestTimeout(text="body too slow") from None
    return b"".join(chunks)


class _Refused(asyncio.Protocol):
    """A connection over the limit with every other one busy: closed at once."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class GuardedSite(web.TCPSite):
    """A TCP site whose connections are capped (see the module's docstring)."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, *, limit: int | None = None,
                 busy: set | None = None):
        super().__init__(runner, host, port)
        self.limit = limit or max_connections()
        self.busy = busy if busy is not None else set()
        self.refused = 0
        self.displaced = 0
        # Every handler this site made, until its connection is lost: the value is when it was
        # made, or None once its connection has started. Counted here rather than from server.connections: the loop accepts a batch of
        # connections before any of them is registered there, and a closed one stays listed
        # there until its close completes. (An earlier list of handlers "not yet registered"
        # never forgot one that opened and closed between two accepts: after 512 such
        # connections every new one was refused.)
        self._open: dict[RequestHandler, float | None] = {}

    @property
    def open_connections(self) -> int:
        """Connections accepted and not yet lost (handlers whose connection never started
        are forgotten after UNSTARTED_GRACE seconds)."""
        self._forget_unstarted()
        return len(self._open)

    def _forget_unstarted(self) -> None:
        # A handler whose connection never started (the accept failed after the factory
        # ran) would otherwise be counted forever.
        cutoff = time.monotonic() - UNSTARTED_GRACE
        for handler in [h for h, made in self._open.items() if made is not None and made < cutoff]:
            del self._open[handler]

    def _watch(self, server: web.Server) -> None:
        """Hooks the server's own notices of a handler's connection starting and ending (aiohttp's
        handlers have __slots__, so they are watched through the server they report to)."""
        started, lost = server.connection_made, server.connection_lost

        def connection_made(handler: RequestHandler, transport: asyncio.Transport) -> None:
            if handler in self._open:
                self._open[handler] = None  # started: counted until lost, however long
            started(handler, transport)

        def connection_lost(handler: RequestHandler, exc: BaseException | None = None) -> None:
            self._open.pop(handler, None)
            lost(handler, exc)

        server.connection_made = connection_made  # type: ignore[method-assign]
        server.connection_lost = connection_lost  # type: ignore[method-assign]

    def _protocol(self) -> asyncio.Protocol:
        server = self._runner.server
        assert server is not None
        if self.open_connections >= self.limit:
            idle = next((h for h in self._open if h.transport is not None and h not in self.busy), None)
            if idle is None:
                self.refused += 1
                return _Refused()
            self.displaced += 1
            idle.force_close()
            # Its connection_lost comes on a later loop iteration: stop counting it now.
            self._open.pop(idle, None)
        handler = server()
        self._open[handler] = time.monotonic()
        return handler

    async def start(self) -> None:
        await web.BaseSite.start(self)
        assert self._runner.server is not None
        self._watch(self._runner.server)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self._host, self._port,
                                                reuse_address=self._reuse_address, reuse_port=self._reuse_port,
                                                backlog=self._backlog)
        self._bound_port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self._port


def check_port(host: str, port: int) -> None:
    """Raise OSError now if host:port cannot be listened on (in use, or not allowed),
    before the channels start and long before the server is bound."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's create_server does
        probe.bind(address)


async def start(app: web.Application, host: str, port: int, *, limit: int | None = None,
                header_timeout: float = HEADER_TIMEOUT,
                client_errors: ClientErrorLog | None = None) -> tuple[web.AppRunner, GuardedSite]:
    """Serve `app` (built by make_app) on host:port with the defences above."""
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=header_timeout,
                           logger=client_errors or ClientErrorLog())
    await runner.setup()
    site = GuardedSite(runner, host, port, limit=limit, busy=app.get(BUSY))
    await site.start()
    return runner, site


__all__ = ["BODY_TIMEOUT", "HEADER_TIMEOUT", "ClientErrorLog", "GuardedSite", "check_port", "make_app", "read_body", "start"]
