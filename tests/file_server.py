"""A file host for download tests (aiohttp on 127.0.0.1, a free port), playing both
a messenger's file server and what an attacker points a photo link at: files with
any content type, redirects to any address, an "internal" page that records being
read, and a drip that sends one byte at a time for as long as the client waits."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class FileServer:
    drip_every: float = 0.2  # seconds between the bytes of /drip
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # name -> (bytes, content type)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header), in order
    drips: int = 0  # bytes of /drip sent so far
    drip_started: float | None = None
    drip_ended: float | None = None  # when the client gave up (or the server stopped)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> FileServer:
        app = web.Application()
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/redirect", self._redirect)
        app.router.add_get("/drip", self._drip)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def serve(self, name: str, data: bytes, content_type: str = "image/jpeg", host: str = "127.0.0.1") -> str:
        self.files[name] = (data, content_type)
        return self.url(f"/files/{name}", host)

    def redirect(self, to: str, host: str = "127.0.0.1") -> str:
        """A link that answers 302 to `to`."""
        from urllib.parse import quote

        return self.url(f"/redirect?to={quote(to, safe='')}", host)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    async def _file(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.headers.get("Host", "")))
        found = self.files.get(request.match_info["name"])
        if found is None:
            return web.Response(status=404, text="not found")
        data, content_type = found
        return web.Response(body=data, headers={"Content-Type": content_type})

    async def _redirect(self, request: web.Request) -> web.Response:
        self.requests.append((request.path, request.headers.get("Host", "")))
        raise web.HTTPFound(request.query["to"])

    async def _drip(self, request: web.Request) -> web.StreamResponse:
        self.requests.append((request.path, request.headers.get("Host", "")))
        response = web.StreamResponse(headers={"Content-Type": "image/jpeg"})
        await response.prepare(request)
        self.drip_started = time.monotonic()
        try:
            await response.write(b"\xff\xd8\xff")
            while True:
                await asyncio.sleep(self.drip_every)
                await response.write(b"x")
                self.drips += 1
        except (ConnectionError, asyncio.CancelledError):
            self.drip_ended = time.monotonic()
            raise
