"""Downloading from a link a messenger gave (bot/link_fetch.py) against a real local
server: only the listed file hosts, no redirect elsewhere, no loopback, private,
link-local or IPv4-mapped address after resolution (the connection goes to the
address that was checked), one time limit for the whole download."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from bot.files import FetchFailed, FileTooLarge
from bot.link_fetch import FileHosts, HostRefused, LinkFetcher, public_address
from bot.settings import SettingsError, load_settings
from tests.file_server import FileServer

JPEG = b"\xff\xd8\xff\xe0" + b"anh chup " * 300


@pytest.fixture
async def server() -> AsyncIterator[FileServer]:
    s = await FileServer().start()
    yield s
    await s.stop()


def resolver(table: dict[str, list[str]], asked: list[str] | None = None):  # noqa: ANN201
    """DNS as the test says: each name's addresses from `table`."""

    async def resolve(host: str, port: int) -> list[str]:
        if asked is not None:
            asked.append(host)
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


async def fetch(hosts: list[str], url: str, *, max_bytes: int = 1_000_000, time_limit: float = 5.0,
                resolve=None) -> bytes:  # noqa: ANN001
    links = LinkFetcher(FileHosts(hosts), time_limit, **({"resolve": resolve} if resolve else {}))
    try:
        return await links.fetch(url, max_bytes)
    finally:
        await links.close()


async def test_a_listed_host_is_fetched_and_limits_hold(server: FileServer) -> None:
    url = server.serve("a.jpg", JPEG)
    assert await fetch(["127.0.0.1"], url) == JPEG
    with pytest.raises(FileTooLarge):
        await fetch(["127.0.0.1"], url, max_bytes=1000)
    with pytest.raises(FetchFailed, match="404"):
        await fetch(["127.0.0.1"], server.url("/files/gone.jpg"))
    for bad in ("file:///etc/passwd", "ftp://127.0.0.1/a.jpg", "not a link"):
        with pytest.raises(FetchFailed):
            await fetch(["127.0.0.1"], bad)


@pytest.mark.parametrize("target", ["http://127.0.0.1:{port}/files/secret", "http://10.0.0.7:{port}/files/secret",
                                    "http://169.254.169.254/latest/meta-data/",
                                    "http://[::ffff:127.0.0.1]:{port}/files/secret",
                                    "http://zdn.vn.evil.example/files/secret"])
async def test_no_redirect_leaves_the_file_hosts(server: FileServer, target: str) -> None:
    """The photo link is on the listed host (named `localhost`); its redirect points at
    this machine, the LAN, the cloud metadata service or a look-alike name."""
    server.serve("secret", b"\x89PNG\r\n\x1a\n internal admin page", "image/png")
    link = server.redirect(target.format(port=server.port), host="localhost")
    with pytest.raises(HostRefused, match="not one of the file hosts"):
        await fetch(["localhost", "zdn.vn"], link)
    assert server.hits("/redirect") == 1 and server.hits("/files/secret") == 0


async def test_a_redirect_within_the_file_hosts_is_followed(server: FileServer) -> None:
    url = server.serve("a.jpg", JPEG, host="localhost")
    assert await fetch(["localhost"], server.redirect(url, host="localhost")) == JPEG


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.1.10", "169.254.169.254", "100.64.0.1",
                                     "::1", "::ffff:127.0.0.1", "fe80::1", "0.0.0.0"])
async def test_a_file_host_name_that_resolves_inside_is_refused(server: FileServer, address: str) -> None:
    """A subdomain of a listed host (any name under zdn.vn passes the list) whose DNS
    answer points inside: refused after resolution, before any connection."""
    server.serve("a.jpg", JPEG)
    asked: list[str] = []
    with pytest.raises(HostRefused, match="non-public address"):
        await fetch(["zdn.vn"], f"http://photo-stal.zdn.vn:{server.port}/files/a.jpg",
                    resolve=resolver({"photo-stal.zdn.vn": [address]}, asked))
    assert asked == ["photo-stal.zdn.vn"] and server.requests == []


async def test_one_inside_address_among_public_ones_is_enough_to_refuse(server: FileServer) -> None:
    server.serve("a.jpg", JPEG)
    with pytest.raises(HostRefused):
        await fetch(["zdn.vn"], f"http://f1.zdn.vn:{server.port}/files/a.jpg",
                    resolve=resolver({"f1.zdn.vn": ["93.184.216.34", "127.0.0.1"]}))
    assert server.requests == []


async def test_the_connection_goes_to_the_address_that_was_checked(server: FileServer) -> None:
    """`files.test` exists only in the test's resolver: the file arrives, so the bot
    connected to the address it resolved itself (a host named in the list may be local),
    with the name in the Host header, after one lookup."""
    url = server.serve("a.jpg", JPEG, host="files.test")
    asked: list[str] = []
    assert await fetch(["files.test"], url, resolve=resolver({"files.test": ["127.0.0.1"]}, asked)) == JPEG
    assert asked == ["files.test"] and server.requests == [("/files/a.jpg", f"files.test:{server.port}")]


async def test_a_second_dns_answer_cannot_send_the_connection_inside(server: FileServer) -> None:
    """DNS rebinding: the first answer is public, every later one points at this machine.
    The bot connects where the first answer said (nothing reaches the local server)."""
    server.serve("a.jpg", JPEG)
    answers = iter([["93.184.216.34"]])
    asked: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        asked.append(host)
        return next(answers, ["127.0.0.1"])

    with pytest.raises(FetchFailed):
        await fetch(["zdn.vn"], f"http://f2.zdn.vn:{server.port}/files/a.jpg", time_limit=1.0, resolve=rebinding)
    assert asked == ["f2.zdn.vn"] and server.requests == []


def test_public_addresses() -> None:
    assert public_address("93.184.216.34") and public_address("2606:2800:220:1:248:1893:25c8:1946")
    for inside in ("127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1",
                   "0.0.0.0", "224.0.0.1", "::1", "fe80::1%eth0", "fc00::1", "::ffff:127.0.0.1",
                   "::ffff:93.184.216.34"):
        assert not public_address(inside), inside


def test_the_file_hosts_setting() -> None:
    assert load_settings().zalo_file_hosts == ("zdn.vn", "zadn.vn")
    assert load_settings(zalo_file_hosts=" Localhost., 127.0.0.1 ,[::1]").zalo_file_hosts == (
        "localhost", "127.0.0.1", "::1")
    hosts = FileHosts(["zdn.vn", "127.0.0.1"])
    assert hosts.allows("photo-stal.zdn.vn") and hosts.allows("ZDN.VN.") and not hosts.allows("evilzdn.vn")
    assert not hosts.allows("127.0.0.10") and not hosts.allows("1.127.0.0.1")
    assert hosts.named("zdn.vn") and not hosts.named("photo-stal.zdn.vn")
    for bad in ("https://zdn.vn/", "zdn.vn/path", "*.zdn.vn", ","):
        with pytest.raises(SettingsError, match="ZALO_FILE_HOSTS"):
            load_settings(zalo_file_hosts=bad)
    with pytest.raises(SettingsError, match="FILE_DOWNLOAD_SECONDS"):
        load_settings(file_download_seconds=0)


async def test_a_drip_is_cut_off_at_the_time_limit(server: FileServer) -> None:
    """One byte every 0.2 s would never end (each read is quick); the whole download
    has 1 s."""
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="within 1 s"):
        await fetch(["127.0.0.1"], server.url("/drip"), time_limit=1.0)
    took = time.monotonic() - started
    assert 0.9 < took < 2.5, took
    assert 2 <= server.drips <= 8
