"""Fetching a file from a link a messenger gave (a Zalo photo url), from the
messenger's own file hosts only.

The link comes inside an update, so whoever can send one (or a forged update)
chooses it: left open, the bot would fetch its own machine, the LAN or the cloud
metadata address and keep the answer as a person's evidence. So:

- the link's host, and the host of every redirect, must be one of `FileHosts`
  (an entry matches itself and its subdomains); anything else is refused before
  a connection is made;
- the name is resolved here and every address it resolves to must be public
  (no loopback, private, link-local, carrier NAT, multicast or reserved address,
  no IPv4-mapped IPv6 address); the connection then goes to the address that was
  checked, so a second DNS answer cannot slip another address in between
  (DNS rebinding). TLS still verifies the certificate against the host name.
  A host named exactly in the list is trusted with any address: that is how an
  operator (or a test) serves files from 127.0.0.1 or localhost;
- the whole download, redirects and DNS included, has one time limit, so a
  server that sends a byte every few seconds cannot hold the bot for minutes;
- it stops as soon as the file grows past the size limit.

No proxy from the environment is used: the checks are about where the bot connects.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from bot.files import FetchFailed, FileTooLarge
from bot.kernel import tls

MAX_REDIRECTS = 5
READ_TIMEOUT = 10.0  # seconds for one connect or read; the whole download has its own limit

Resolver = Callable[[str, int], Awaitable[list[str]]]


class HostRefused(FetchFailed):
    """The link, a redirect or the address a host resolves to is not one the bot may fetch from."""


def _norm(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def public_address(address: str) -> bool:
    """True for an address on the public internet: not loopback, private, link-local
    (169.254.169.254, the cloud metadata service), shared (100.64/10), multicast,
    reserved or unspecified, and not an IPv4 address dressed as IPv6 (::ffff:127.0.0.1)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (ip.ipv4_mapped is not None or ip.sixtofour is not None
                                                  or ip.teredo is not None):
        return False
    return ip.is_global and not ip.is_multicast


class FileHosts:
    """The hosts files may be fetched from (ZALO_FILE_HOSTS)."""

    def __init__(self, entries: Iterable[str]):
        self.entries = tuple(dict.fromkeys(e for e in (_norm(x) for x in entries) if e))

    def allows(self, host: str) -> bool:
        host = _norm(host)
        return any(host == e or (not _is_ip(e) and host.endswith("." + e)) for e in self.entries)

    def named(self, host: str) -> bool:
        """The host is an entry itself (not a subdomain of one): trusted with any address."""
        return _norm(host) in self.entries

    def check_url(self, url: httpx.URL) -> None:
        if url.scheme not in ("http", "https"):
            raise HostRefused(f"download: not an http(s) link ({url.scheme or 'no scheme'})")
        if not url.host or not self.allows(url.host):
            raise HostRefused(f"download: {url.host or 'no host'} is not one of the file hosts (ZALO_FILE_HOSTS)")


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, but every TCP connection goes to an address this
    backend resolved and checked itself."""

    def __init__(self, hosts: FileHosts, resolve: Resolver):
        self.hosts = hosts
        self.resolve = resolve
        self.inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Iterable | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        if not self.hosts.allows(host):  # the URL was checked; this is the last line
            raise HostRefused(f"download: {host} is not one of the file hosts (ZALO_FILE_HOSTS)")
        try:
            addresses = [host] if _is_ip(host) else await self.resolve(host, port)
        except OSError as exc:
            raise FetchFailed(f"download: cannot resolve {host} ({type(exc).__name__})") from None
        if not addresses:
            raise FetchFailed(f"download: {host} has no address")
        if not self.hosts.named(host):
            refused = [a for a in addresses if not public_address(a)]
            if refused:  # one bad address is enough: a name that points inside is not Zalo's
                raise HostRefused(f"download: {host} resolves to a non-public address ({refused[0]})")
        failed: Exception | None = None
        for address in addresses:  # in the resolver's order, as a browser would (localhost: ::1, 127.0.0.1)
            try:
                return await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failed = exc
        assert failed is not None
        raise failed

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable | None = None) -> httpcore.AsyncNetworkStream:
        raise HostRefused("download: no unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _CheckedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool that connects through `_CheckedBackend`. httpx
    takes no network backend of its own, so the pool it built is replaced (same
    settings: verified TLS, HTTP/1.1, no proxy)."""

    def __init__(self, backend: _CheckedBackend):
        context = tls.client_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context,
                                                  max_connections=20, max_keepalive_connections=5,
                                                  keepalive_expiry=5.0, network_backend=backend)


class LinkFetcher:
    """Downloads files from links on the allowed hosts, within `time_limit` seconds in all."""

    def __init__(self, hosts: FileHosts, time_limit: float, *, resolve: Resolver = system_resolve):
        self.hosts = hosts
        self.time_limit = time_limit
        self._http = httpx.AsyncClient(transport=_CheckedTransport(_CheckedBackend(hosts, resolve)),
                                       timeout=httpx.Timeout(READ_TIMEOUT), follow_redirects=False,
                                       trust_env=False, headers={"User-Agent": "thidua-bot"})

    async def close(self) -> None:
        await self._http.aclose()

    async def fetch(self, url: str, max_bytes: int) -> bytes:
        """The file's bytes (its type is what the bytes show, not what the server says).
        FileTooLarge past `max_bytes`;
        FetchFailed (HostRefused for a refused host or address) on anything else.
        Messages name the host, never the whole link (it may carry a signature)."""
        try:
            async with asyncio.timeout(self.time_limit):
                return await self._fetch(url, max_bytes)
        except TimeoutError:
            raise FetchFailed(f"download: not finished within {self.time_limit:g} s") from None

    async def _fetch(self, url: str, max_bytes: int) -> bytes:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL:
            raise FetchFailed("download: not a valid link") from None
        for _ in range(MAX_REDIRECTS + 1):
            self.hosts.check_url(target)
            try:
                async with self._http.stream("GET", target) as response:
                    if response.has_redirect_location:
                        target = response.url.join(response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise FetchFailed(f"download from {target.host}: HTTP {response.status_code}")
                    return await _read(response, max_bytes)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchFailed(f"download from {target.host}: {type(exc).__name__}") from None
        raise FetchFailed(f"download: more than {MAX_REDIRECTS} redirects")


async def _read(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FileTooLarge(int(declared), max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FileTooLarge(size, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)
