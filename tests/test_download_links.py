"""One-time download links (for officers on Zalo, which cannot receive files): a link
works once, expires after its life (15 minutes here), and of two requests at the same moment exactly
one gets the file, on SQLite and on PostgreSQL. On a real server on 127.0.0.1,
GET /d/{token} only shows a page with a button (messengers' link previews GET every
URL, and must not spend the one use); POST serves the bytes with a Vietnamese file
name, then 404."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import downloads
from bot.runner import make_web_app
from storage import db
from storage.files import DOCX, FileStore
from storage.links import consume_link, create_link, link_url, peek_link
from storage.models import DownloadLink

T0 = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
NAME = "Bản tóm tắt thành tích - Nguyễn Văn Ấn.docx"
DATA = b"PK\x03\x04 not really a docx, bytes to serve"
TTL = timedelta(minutes=15)  # the mechanism, for any life; the lives the bot gives are in test_export_links.py


def _engine(url: str) -> Engine:
    db.upgrade(url)
    return db.make_engine(url)


@pytest.fixture
def sqlite_engine(tmp_path: Path):  # noqa: ANN201
    engine = _engine(f"sqlite:///{tmp_path / 'data' / 'bot.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine(pg_url: str):  # noqa: ANN201
    engine = _engine(pg_url)
    yield engine
    engine.dispose()


def _file(engine: Engine, root: Path) -> tuple[FileStore, int]:
    files = FileStore(root, engine)
    return files, files.put(DATA, mime_type=DOCX, original_name=NAME).id  # type: ignore[return-value]


def _link(engine: Engine, file_id: int, now: datetime | None = None, ttl: timedelta = TTL, name: str = NAME) -> str:
    with Session(engine) as s:
        token = create_link(s, file_id, name, "zalo:officer-1", ttl, now=now)
        s.commit()
    return token


def _consume(engine: Engine, token: str, now: datetime | None = None) -> DownloadLink | None:
    with Session(engine, expire_on_commit=False) as s:
        link = consume_link(s, token, now)
        s.commit()
    return link


def _peek(engine: Engine, token: str, now: datetime | None = None) -> DownloadLink | None:
    with Session(engine, expire_on_commit=False) as s:
        return peek_link(s, token, now)


def test_peeking_does_not_spend_a_link(sqlite_engine: Engine, tmp_path: Path):
    _, fid = _file(sqlite_engine, tmp_path / "data")
    token = _link(sqlite_engine, fid, now=T0)
    for minute in (1, 2, 3):  # a preview, a scanner, the officer opening the page
        seen = _peek(sqlite_engine, token, T0 + timedelta(minutes=minute))
        assert seen is not None and seen.file_id == fid and seen.file_name == NAME and seen.used_at is None
    assert _consume(sqlite_engine, token, T0 + timedelta(minutes=4)) is not None
    assert _peek(sqlite_engine, token, T0 + timedelta(minutes=5)) is None  # used
    assert _peek(sqlite_engine, "no-such-token", T0) is None
    other = _link(sqlite_engine, fid, now=T0)
    assert _peek(sqlite_engine, other, T0 + timedelta(minutes=15)) is None  # expired
    assert _peek(sqlite_engine, other, (T0 + timedelta(minutes=14)).replace(tzinfo=None)) is not None
    vn = (T0 + timedelta(minutes=14)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert _peek(sqlite_engine, other, vn) is not None


def test_a_link_works_once(sqlite_engine: Engine, tmp_path: Path):
    _, fid = _file(sqlite_engine, tmp_path / "data")
    token = _link(sqlite_engine, fid, now=T0)
    assert len(token) == 43  # secrets.token_urlsafe(32)
    link = _consume(sqlite_engine, token, T0 + timedelta(minutes=1))
    assert link is not None and link.file_id == fid and link.file_name == NAME
    assert link.created_for == "zalo:officer-1" and link.used_at is not None
    assert _consume(sqlite_engine, token, T0 + timedelta(minutes=2)) is None
    assert _consume(sqlite_engine, "no-such-token", T0) is None
    assert link_url("https://bot.example.vn/", token) == f"https://bot.example.vn/d/{token}"


def test_a_link_expires_after_its_life(sqlite_engine: Engine, tmp_path: Path):
    _, fid = _file(sqlite_engine, tmp_path / "data")
    late, just_in_time, local = (_link(sqlite_engine, fid, now=T0) for _ in range(3))
    assert _consume(sqlite_engine, late, T0 + timedelta(minutes=15)) is None
    assert _consume(sqlite_engine, just_in_time, T0 + timedelta(minutes=14, seconds=59)) is not None
    # A `now` in another time zone is the same moment (SQLite compares stored times as
    # text: 15:14 at +07 must count as before 08:15 UTC); a naive `now` is UTC.
    vn = (T0 + timedelta(minutes=14)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    assert _consume(sqlite_engine, local, vn) is not None
    naive = _link(sqlite_engine, fid, now=T0)
    assert _consume(sqlite_engine, naive, (T0 + timedelta(minutes=15)).replace(tzinfo=None)) is None
    naive = _link(sqlite_engine, fid, now=T0)
    assert _consume(sqlite_engine, naive, (T0 + timedelta(minutes=14)).replace(tzinfo=None)) is not None
    short = _link(sqlite_engine, fid, now=T0, ttl=timedelta(minutes=1))
    assert _consume(sqlite_engine, short, T0 + timedelta(minutes=2)) is None


def _race(engine: Engine, token: str, now: datetime) -> list[DownloadLink | None]:
    """Two threads, each with its own connection, consume the same token at once."""
    start = threading.Barrier(2)
    results: list[DownloadLink | None] = []
    lock = threading.Lock()

    def one() -> None:
        start.wait()
        got = _consume(engine, token, now)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2
    return results


def _exactly_one_wins_each_race(engine: Engine, fid: int, rounds: int = 20) -> None:
    for _ in range(rounds):
        token = _link(engine, fid, now=T0)
        results = _race(engine, token, T0 + timedelta(minutes=1))
        assert sum(r is not None for r in results) == 1, results


def test_two_requests_at_once_exactly_one_wins_on_sqlite(sqlite_engine: Engine, tmp_path: Path):
    _, fid = _file(sqlite_engine, tmp_path / "data")
    _exactly_one_wins_each_race(sqlite_engine, fid)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_two_requests_at_once_exactly_one_wins_on_postgresql(pg_engine: Engine, tmp_path: Path):
    _, fid = _file(pg_engine, tmp_path / "data")
    _exactly_one_wins_each_race(pg_engine, fid)
    # The worst moment, forced: the second request arrives while the first has marked
    # the link used but not committed yet. It must wait for the row, then lose.
    token = _link(pg_engine, fid, now=T0)
    first = Session(pg_engine, expire_on_commit=False)
    assert consume_link(first, token, T0 + timedelta(minutes=1)) is not None
    second: list[DownloadLink | None] = []
    t = threading.Thread(target=lambda: second.append(_consume(pg_engine, token, T0 + timedelta(minutes=1))))
    t.start()

    def second_waits_for_the_row() -> bool:
        with pg_engine.connect() as c:
            return bool(c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                       "AND query LIKE 'UPDATE download_links%'")).scalar())

    _wait_for(second_waits_for_the_row, "the second UPDATE to wait for the row lock")
    assert not second
    first.commit()
    first.close()
    t.join(30)
    assert second == [None]


# --- GET and POST /d/{token} -----------------------------------------------------------

@pytest.fixture
async def served(sqlite_engine: Engine, tmp_path: Path):  # noqa: ANN201
    files, fid = _file(sqlite_engine, tmp_path / "data")
    app = web.Application()
    downloads.add_routes(app, files)
    async with TestClient(TestServer(app, host="127.0.0.1", port=0)) as client:
        yield client, files, fid


def _assert_offer(r, page: str) -> None:  # noqa: ANN001
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Robots-Tag"] == "noindex"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert '<form method="post">' in page and "Tải tệp về" in page
    assert NAME in page and f"({len(DATA)} byte)" in page


def _assert_file(r, data: bytes) -> None:  # noqa: ANN001
    assert r.status == 200
    assert data == DATA
    assert r.headers["Content-Type"] == DOCX
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Ban tom tat thanh tich - Nguyen Van An.docx"; ')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == NAME


async def _assert_gone(r) -> None:  # noqa: ANN001
    assert r.status == 404
    page = await r.text()
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Liên kết không còn hiệu lực" in page and "Traceback" not in page and "Tải tệp về" not in page


async def test_get_shows_a_page_and_never_spends_the_link(served, sqlite_engine: Engine):  # noqa: ANN001
    client, _, fid = served
    token = _link(sqlite_engine, fid)
    for _ in range(2):  # the messenger's preview, then the officer opening the link
        r = await client.get(f"/d/{token}")
        _assert_offer(r, await r.text())
    r = await client.post(f"/d/{token}")
    _assert_file(r, await r.read())
    await _assert_gone(await client.post(f"/d/{token}"))  # once only
    await _assert_gone(await client.get(f"/d/{token}"))  # and the page says so afterwards


async def test_the_page_escapes_the_file_name(served, sqlite_engine: Engine):  # noqa: ANN001
    client, _, fid = served
    token = _link(sqlite_engine, fid, name='<script>alert("x")</script> & Báo cáo.xlsx')
    page = await (await client.get(f"/d/{token}")).text()
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; Báo cáo.xlsx" in page


async def test_unknown_malformed_and_expired_links_get_the_same_404(served, sqlite_engine: Engine):  # noqa: ANN001
    client, _, fid = served
    expired = _link(sqlite_engine, fid, now=datetime.now(UTC) - timedelta(minutes=16))
    for path in (f"/d/{expired}", "/d/" + "A" * 43, "/d/short", "/d/..%2F..%2Fetc%2Fpasswd"):
        for method in (client.get, client.post):
            r = await method(path)
            assert r.status == 404, (method, path)
            assert "Liên kết không còn hiệu lực" in await r.text()


async def test_head_does_not_spend_the_link(served, sqlite_engine: Engine):  # noqa: ANN001
    client, _, fid = served
    token = _link(sqlite_engine, fid)
    assert (await client.head(f"/d/{token}")).status == 405
    assert (await client.get(f"/d/{token}")).status == 200
    r = await client.post(f"/d/{token}")
    assert r.status == 200 and await r.read() == DATA


async def test_a_missing_blob_is_503_and_leaves_the_link_usable(served, sqlite_engine: Engine):  # noqa: ANN001
    client, files, fid = served
    token = _link(sqlite_engine, fid)
    blob = files.path_of(files.get(fid))  # type: ignore[arg-type]
    hidden = blob.with_name("hidden")
    blob.rename(hidden)
    r = await client.post(f"/d/{token}")
    assert r.status == 503
    page = await r.text()
    assert "Chưa tải được tệp" in page and "Traceback" not in page and "FileNotFoundError" not in page
    hidden.rename(blob)  # the file is back: the link was not spent by the failure
    r = await client.post(f"/d/{token}")
    assert r.status == 200 and await r.read() == DATA


def test_the_webhook_server_routes_downloads(sqlite_engine: Engine, tmp_path: Path):
    files, _ = _file(sqlite_engine, tmp_path / "data")
    paths = {r.resource.canonical for r in make_web_app({}, files).router.routes() if r.resource is not None}
    assert downloads.ROUTE in paths and "/healthz" in paths
    assert downloads.ROUTE not in {r.resource.canonical for r in make_web_app({}).router.routes() if r.resource}


async def test_the_shipped_nginx_site_lets_only_a_download_get_through(tmp_path: Path, sqlite_engine: Engine):
    """deploy/nginx-thidua-bot.conf in front of the download route: the page (GET) and
    the file (POST) work through it; other shapes, methods and bodies stop at nginx."""
    import ssl
    import subprocess

    import aiohttp

    from tests.procs import free_port
    from tests.test_deploy import need, nginx_conf

    nginx = need("nginx")
    files, fid = _file(sqlite_engine, tmp_path / "data")
    token = _link(sqlite_engine, fid)
    backend = web.Application()
    downloads.add_routes(backend, files)
    runner = web.AppRunner(backend)
    await runner.setup()
    upstream = free_port()
    await web.TCPSite(runner, "127.0.0.1", upstream).start()
    https = free_port()
    conf = nginx_conf(tmp_path, http_port=free_port(), https_port=https, upstream_port=upstream)
    proc = subprocess.Popen([nginx, "-e", str(tmp_path / "error.log"), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    tls = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
    tls.check_hostname = False
    base = f"https://127.0.0.1:{https}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls)) as http:
            deadline = time.monotonic() + 20
            while True:  # until nginx accepts TLS connections
                assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
                try:
                    async with http.get(f"{base}/d/short") as r:
                        assert r.status == 404  # not a token's shape: nginx answers, not the bot
                        assert "Liên kết" not in await r.text()
                        break
                except aiohttp.ClientConnectorError:
                    assert time.monotonic() < deadline, "nginx did not start listening"
                    await asyncio.sleep(0.05)
            for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
                async with http.request(method, f"{base}/d/{token}") as r:
                    assert r.status == 403, method
            async with http.post(f"{base}/d/{token}", data=b"x" * 4096) as r:
                assert r.status == 413  # the form posts nothing: no body of size reaches the bot
            async with http.head(f"{base}/d/{token}") as r:
                assert r.status == 405  # nginx lets HEAD along with GET; the bot refuses it
            for _ in range(2):  # a preview, then the officer: the page, and the link stays unused
                async with http.get(f"{base}/d/{token}") as r:
                    _assert_offer(r, await r.text())
            async with http.post(f"{base}/d/{token}") as r:
                _assert_file(r, await r.read())
            async with http.post(f"{base}/d/{token}") as r:
                await _assert_gone(r)
    finally:
        proc.terminate()
        proc.wait(10)
        await runner.cleanup()


def test_public_url_is_an_https_base_address():
    from bot.settings import SettingsError, load_settings

    assert load_settings(public_url="https://bot.example.vn/").public_url == "https://bot.example.vn"
    assert load_settings(public_url="  ").public_url is None
    assert load_settings(public_url="http://127.0.0.1:8080").public_url == "http://127.0.0.1:8080"
    for bad in ("http://bot.example.vn", "bot.example.vn", "https://bot.example.vn/?x=1"):
        with pytest.raises(SettingsError, match="PUBLIC_URL"):
            load_settings(public_url=bad)
