"""Photos Zalo users send, through the real Zalo channel polling the fake Zalo Bot
API, with the photo links on a real local file server: a link that redirects
inside is not followed, a link that drips holds neither the polling loop nor
anyone else, each link is fetched once, and nothing refused (or sent outside a
form) stays on disk; `python -m bot clean` removes files no row refers to."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.delivery import Limits, RateLimiter
from handlers.reports import texts as rt
from storage.models import StoredFile
from tests.fake_zalo import make_update
from tests.file_server import FileServer
from tests.test_office_channels import Bots, both
from tests.test_reports_files import at_files_step

JPEG = b"\xff\xd8\xff\xe0" + b"anh chup " * 300
HTML = b"<!doctype html><html><body>trang quan tri noi bo</body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00 chuong trinh"
STAFF = "nv-thu"


@pytest.fixture
async def server() -> AsyncIterator[FileServer]:
    s = await FileServer().start()
    yield s
    await s.stop()


class Zalo:
    """One Zalo user's messages and the bot's answers to them."""

    def __init__(self, b: Bots, user: str):
        self.b, self.user = b, user

    async def send(self, update: dict, replies: int = 1, timeout: float = 10.0) -> str:
        before = len(self.b.zalo.texts(self.user))
        self.b.zalo.push(update)
        return (await self.b.zalo.wait_texts(self.user, before + replies, timeout))[-1]

    def photo(self, url: str, n: int) -> dict:
        return make_update("image", message_id=f"{self.user}-{n}", user=self.user, photo=url)


def fast(b: Bots) -> None:
    b.delivery.limiters = {name: RateLimiter(Limits(1000.0, 1000.0, 100)) for name in b.delivery.limiters}


def on_disk(b: Bots) -> set[str]:
    return {p.name for p in b.app.files.files_dir.rglob("*") if p.is_file()}


def rows(b: Bots) -> list[StoredFile]:
    with Session(b.app.repo.engine) as s:
        return list(s.exec(select(StoredFile)))


@pytest.mark.parametrize("inside", ["http://127.0.0.1:{port}/files/secret", "http://169.254.169.254/latest/",
                                    "http://10.0.0.7/files/secret", "http://[::ffff:127.0.0.1]:{port}/files/secret"])
async def test_a_photo_link_that_redirects_inside_is_not_kept(tmp_path: Path, server: FileServer, inside: str):
    """The photo link is on the file host (here `localhost`); it redirects to this
    machine, the metadata service, the LAN, or this machine written as IPv6."""
    server.serve("secret", b"\xff\xd8\xff\xe0 noi dung noi bo " * 20)
    async with both(tmp_path, zalo_file_hosts="localhost") as b:
        fast(b)
        at_files_step(b.app, STAFF, "zalo")
        said = await Zalo(b, STAFF).send(Zalo(b, STAFF).photo(server.redirect(inside.format(port=server.port),
                                                                               host="localhost"), 1))
        assert rt.FILE_UNAVAILABLE.format(name="ảnh 1") in said and "Đã nhận tệp" not in said
        assert server.hits("/redirect") == 1 and server.hits("/files/secret") == 0
        assert rows(b) == [] and on_disk(b) == set()


async def test_a_dripping_photo_holds_neither_polling_nor_other_people(tmp_path: Path, server: FileServer):
    """A link that sends a byte every 0.2 s for ever: the download is cut off at
    FILE_DOWNLOAD_SECONDS (1.5 s here) and meanwhile another person is answered."""
    async with both(tmp_path, zalo_file_hosts="127.0.0.1", file_download_seconds=1.5) as b:
        fast(b)
        at_files_step(b.app, STAFF, "zalo")
        started = time.monotonic()
        dripping = asyncio.create_task(Zalo(b, STAFF).send(Zalo(b, STAFF).photo(server.url("/drip"), 1)))
        await b.zalo.wait_for(lambda: server.drips >= 1, what="the drip to start")
        other = await Zalo(b, "nv-khac").send(make_update(message_id="k1", text="xin chào", user="nv-khac"), 1,
                                              timeout=3.0)
        other_waited = time.monotonic() - started
        assert "Kính chào" in other and server.drip_ended is None  # answered while the drip went on
        said = await dripping
        cut_after = time.monotonic() - started
        assert rt.FILE_UNAVAILABLE.format(name="ảnh 1") in said
        assert other_waited < 1.5 and 1.4 < cut_after < 4.0, (other_waited, cut_after)
        await b.zalo.wait_for(lambda: server.drip_ended is not None, what="the download to be dropped")
        assert rows(b) == [] and on_disk(b) == set()
        print(f"other person answered after {other_waited:.2f} s; drip cut after {cut_after:.2f} s")


async def test_each_photo_is_fetched_once_even_when_refused(tmp_path: Path, server: FileServer):
    big = server.serve("big.jpg", b"\xff\xd8\xff\xe0" + bytes(1024 * 1024 + 10))
    gone = server.url("/files/gone.jpg")
    page = server.serve("page.png", HTML, "image/png")
    async with both(tmp_path, zalo_file_hosts="127.0.0.1", max_file_mb=1) as b:
        fast(b)
        at_files_step(b.app, STAFF, "zalo")
        z = Zalo(b, STAFF)
        assert "ảnh 1 lớn quá" in await z.send(z.photo(big, 1))
        assert rt.FILE_UNAVAILABLE.format(name="ảnh 1") in await z.send(z.photo(gone, 2))
        assert "Nội dung tệp ảnh 1 không phải" in await z.send(z.photo(page, 3))
        assert [server.hits(f"/files/{name}") for name in ("big.jpg", "gone.jpg", "page.png")] == [1, 1, 1]


async def test_refused_bytes_and_photos_outside_a_form_leave_nothing_on_disk(tmp_path: Path, server: FileServer):
    page = server.serve("page.png", HTML, "image/png")
    program = server.serve("app.png", EXE, "image/png")
    good = server.serve("good.jpg", JPEG)
    stray = server.serve("stray.jpg", JPEG + b" khac")
    async with both(tmp_path, zalo_file_hosts="127.0.0.1") as b:
        fast(b)
        at_files_step(b.app, STAFF, "zalo")
        z = Zalo(b, STAFF)
        assert "Nội dung tệp ảnh 1 không phải" in await z.send(z.photo(page, 1))
        assert "Nội dung tệp ảnh 1 không phải" in await z.send(z.photo(program, 2))
        assert "Đã nhận tệp ảnh 1" in await z.send(z.photo(good, 3))
        # Someone not in any form sends a photo: answered, not kept.
        other = Zalo(b, "nv-ngoai")
        await other.send(other.photo(stray, 1))
        assert server.hits("/files/stray.jpg") <= 1
        [kept] = rows(b)
        assert on_disk(b) == {kept.sha256} and b.app.files.open(kept.id) == JPEG


def test_clean_removes_files_no_row_refers_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture) -> None:
    from bot import cli
    from bot.app import build_app
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    settings = load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT)
    app = build_app(settings)
    kept = app.files.put(JPEG, mime_type="image/jpeg", original_name="a.jpg")
    hour_ago = time.time() - 3700
    os.utime(app.files.path_of(kept), (hour_ago, hour_ago))  # old, but a row refers to it
    old_orphan = app.files.blob_path("ab" * 32)
    old_orphan.parent.mkdir(parents=True)
    old_orphan.write_bytes(HTML)
    left_tmp = old_orphan.parent / ".abababab.x1.tmp"
    left_tmp.write_bytes(b"half")
    for path in (old_orphan, left_tmp):
        os.utime(path, (hour_ago, hour_ago))
    new_orphan = app.files.blob_path("cd" * 32)  # a turn that has not committed yet
    new_orphan.parent.mkdir(parents=True)
    new_orphan.write_bytes(EXE)

    monkeypatch.setattr(cli, "load_settings", lambda: settings)
    assert cli.main(["clean"]) == 0
    assert f"removed 2 stored file(s) no row refers to, {len(HTML) + 4} bytes" in capsys.readouterr().out
    assert not old_orphan.exists() and not left_tmp.exists()
    assert new_orphan.exists() and app.files.open(kept.id) == JPEG


async def test_the_hourly_prune_removes_files_no_row_refers_to(tmp_path: Path) -> None:
    from bot.app import build_app
    from bot.scheduler import prune
    from bot.settings import load_settings
    from tests.conftest import REAL_CONTENT

    app = build_app(load_settings(data_dir=tmp_path / "data", content_dir=REAL_CONTENT))
    kept = app.files.put(JPEG, mime_type="image/jpeg", original_name="a.jpg")
    orphan = app.files.blob_path("ef" * 32)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(HTML)
    hour_ago = time.time() - 3700
    os.utime(orphan, (hour_ago, hour_ago))
    await prune(app)
    assert not orphan.exists() and app.files.open(kept.id) == JPEG
