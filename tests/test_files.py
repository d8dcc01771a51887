"""The file store on a real SQLite file, and the channel fetchers against the fake
Bot API servers: the real aiogram Bot with FakeTelegram, the Zalo fetcher with FakeZalo."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from bot.files import Fetcher, FetchFailed, FileTooLarge, check_size
from bot.link_fetch import FileHosts, LinkFetcher
from bot.telegram.files import TelegramFetcher
from bot.telegram.retry import api_retry
from bot.zalo.files import ZaloFetcher
from handlers.events import Attachment
from storage import db
from storage.files import DOCX, XLSX, FileStore, clean_name, exceeds_limit, resolve_mime, sniff_mime
from storage.models import StoredFile, User
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo

TG_TOKEN = "1234567890:AAHsecretPART-of_the-token-XYZ987"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def office_file(kind: str) -> bytes:
    """A real DOCX or XLSX, written by the libraries the bot uses for its own documents."""
    buffer = io.BytesIO()
    if kind == "docx":
        import docx

        document = docx.Document()
        document.add_paragraph("Báo cáo gương người tốt")
        document.save(buffer)
    else:
        import openpyxl

        workbook = openpyxl.Workbook()
        workbook.active["A1"] = "Danh sách"
        workbook.save(buffer)
    return buffer.getvalue()


# --- the store --------------------------------------------------------------------------
@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = db.make_engine(f"sqlite:///{tmp_path / 'db' / 'bot.sqlite3'}")
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def store(tmp_path: Path, engine: Engine) -> FileStore:
    return FileStore(tmp_path / "data", engine)


def make_user(engine: Engine, external_id: str) -> int:
    with Session(engine) as s:
        user = User(channel="telegram", external_id=external_id)
        s.add(user)
        s.commit()
        s.refresh(user)
        assert user.id is not None
        return user.id


def blobs(store: FileStore) -> list[Path]:
    return sorted(p for p in store.files_dir.rglob("*") if p.is_file())


def test_put_writes_a_content_addressed_blob_and_a_row(store: FileStore, engine: Engine, tmp_path: Path) -> None:
    owner = make_user(engine, "1001")
    row = store.put(PDF, mime_type="application/pdf", original_name="to-trinh.pdf", owner_user_id=owner,
                    channel="telegram", source_ref="BQACAgIAAx")
    sha = hashlib.sha256(PDF).hexdigest()
    assert row.id is not None and row.sha256 == sha and row.size == len(PDF)
    assert store.path_of(row) == tmp_path / "data" / "files" / sha[:2] / sha[2:4] / sha
    assert store.path_of(row).read_bytes() == PDF
    assert store.open(row.id) == PDF

    got = store.get(row.id)
    assert got is not None
    assert (got.mime_type, got.original_name, got.owner_user_id, got.channel, got.source_ref) == (
        "application/pdf", "to-trinh.pdf", owner, "telegram", "BQACAgIAAx")
    assert store.get(row.id + 100) is None
    with pytest.raises(KeyError):
        store.open(row.id + 100)


def test_the_same_bytes_are_kept_once_and_owned_by_several(store: FileStore, engine: Engine) -> None:
    a, b = make_user(engine, "2001"), make_user(engine, "2002")
    first = store.put(JPEG, mime_type=None, original_name="anh.jpg", owner_user_id=a, channel="zalo",
                      source_ref="https://example.invalid/a.jpg")
    path = store.path_of(first)
    written = path.stat()
    second = store.put(JPEG, mime_type="image/jpeg", original_name="anh-2.jpg", owner_user_id=b, channel="telegram",
                       source_ref="AgACAgIAAx")
    again = store.put(JPEG, mime_type="image/jpeg", original_name=None, owner_user_id=a, channel="zalo",
                      source_ref=None)

    assert len({first.id, second.id, again.id}) == 3
    assert first.sha256 == second.sha256 == again.sha256
    assert blobs(store) == [path]
    assert path.stat().st_ino == written.st_ino  # not rewritten (only touched, see remove_orphans)
    with Session(engine) as s:
        rows = s.exec(select(StoredFile).where(StoredFile.sha256 == first.sha256)).all()
        assert sorted(r.owner_user_id for r in rows) == sorted([a, b, a])
    assert store.open(second.id) == store.open(first.id) == JPEG


def test_put_in_a_callers_session_commits_with_the_callers_work(store: FileStore, engine: Engine) -> None:
    owner = make_user(engine, "3001")
    with Session(engine) as s:
        row = store.put(PNG, mime_type="image/png", original_name="a.png", owner_user_id=owner, channel="telegram",
                        source_ref=None, session=s)
        assert row.id is not None  # flushed, so the caller can refer to it
        s.rollback()
    assert store.get(row.id) is None  # nothing was committed behind the caller's back

    with Session(engine, expire_on_commit=False) as s:
        row = store.put(PNG, mime_type="image/png", original_name="a.png", owner_user_id=owner, channel="telegram",
                        source_ref=None, session=s)
        s.commit()
    assert store.get(row.id) is not None and store.open(row.id) == PNG


def test_a_failed_write_leaves_neither_a_partial_blob_nor_a_temp_file(store: FileStore,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put(PDF, mime_type="application/pdf", original_name="x.pdf", owner_user_id=None, channel=None,
                  source_ref=None)
    assert blobs(store) == []
    monkeypatch.undo()

    row = store.put(PDF, mime_type="application/pdf", original_name="x.pdf", owner_user_id=None, channel=None,
                    source_ref=None)
    assert blobs(store) == [store.path_of(row)]  # only the blob: no temporary file left beside it


def test_a_truncated_blob_is_rewritten_and_a_damaged_one_is_reported(store: FileStore) -> None:
    row = store.put(PDF, mime_type=None, original_name=None, owner_user_id=None, channel=None, source_ref=None)
    path = store.path_of(row)
    path.write_bytes(PDF[:10])  # a copy cut short (by something other than the store)
    with pytest.raises(OSError, match="sha256"):
        store.open(row.id)
    store.put(PDF, mime_type=None, original_name=None, owner_user_id=None, channel=None, source_ref=None)
    assert store.open(row.id) == PDF


def test_sniffing_tells_the_formats_users_send() -> None:
    docx_bytes, xlsx_bytes = office_file("docx"), office_file("xlsx")
    assert sniff_mime(JPEG) == "image/jpeg"
    assert sniff_mime(PNG) == "image/png"
    assert sniff_mime(PDF) == "application/pdf"
    assert sniff_mime(docx_bytes) == DOCX
    assert sniff_mime(xlsx_bytes) == XLSX
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "x")
    assert sniff_mime(plain_zip.getvalue()) == "application/zip"
    assert sniff_mime(b"PK\x03\x04 not really a zip") == "application/zip"
    assert sniff_mime(b"hello") is None
    assert sniff_mime(b"") is None

    # The platform's type wins when it is specific; a generic one is replaced by what the bytes show.
    assert resolve_mime(JPEG, "image/jpeg; charset=binary") == "image/jpeg"
    assert resolve_mime(PDF, "application/x-custom") == "application/x-custom"
    assert resolve_mime(JPEG, None) == "image/jpeg"
    assert resolve_mime(PNG, "application/octet-stream") == "image/png"
    assert resolve_mime(docx_bytes, "application/zip") == DOCX
    assert resolve_mime(xlsx_bytes, "") == XLSX
    assert resolve_mime(b"Xin chao", None, "ghi-chu.txt") == "text/plain"
    assert resolve_mime(b"\x00\x01", None, None) == "application/octet-stream"


def test_put_sniffs_a_generic_type_and_cleans_the_name(store: FileStore) -> None:
    row = store.put(office_file("docx"), mime_type="application/octet-stream", original_name="../../bao-cao.docx",
                    owner_user_id=None, channel="zalo", source_ref=None)
    assert row.mime_type == DOCX and row.original_name == "bao-cao.docx"
    assert clean_name("C:\\Users\\lan\\Hồ sơ.pdf") == "Hồ sơ.pdf"
    assert clean_name("a\x00b\n.pdf") == "ab.pdf"
    assert clean_name("..") is None and clean_name("") is None
    long_name = clean_name("x" * 400 + ".xlsx")
    assert long_name is not None and len(long_name) == 256 and long_name.endswith(".xlsx")


def test_size_limit_helpers() -> None:
    assert not exceeds_limit(None, 10) and not exceeds_limit(10, 10) and exceeds_limit(11, 10)
    assert not exceeds_limit(10**9, None)
    check_size(10, 10)
    with pytest.raises(FileTooLarge) as info:
        check_size(11, 10)
    assert (info.value.size, info.value.limit) == (11, 10)


# --- Telegram -----------------------------------------------------------------------------
@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TG_TOKEN) as server:
        yield server


@pytest.fixture
async def tg_bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot(TG_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake_tg.url)))
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
def tg_fetcher(tg_bot: Bot) -> TelegramFetcher:
    return TelegramFetcher(tg_bot, retry=api_retry(attempts=2, initial=0.01, maximum=0.02))


async def test_telegram_file_is_fetched_by_file_id(tg_fetcher: TelegramFetcher, fake_tg: FakeTelegram,
                                                   store: FileStore) -> None:
    data = office_file("docx") + bytes(200_000)  # several chunks
    info = fake_tg.add_file("BQACAgIAAxkBAAIB", data, file_path="documents/file_7.docx")
    attachment = Attachment(kind="document", file_id="BQACAgIAAxkBAAIB", file_name="Tờ trình.docx",
                            mime_type="application/octet-stream", size=len(data))
    assert isinstance(tg_fetcher, Fetcher)

    got, mime, name = await tg_fetcher.fetch(attachment, max_bytes=len(data))
    assert got == data and (mime, name) == ("application/octet-stream", "Tờ trình.docx")
    assert [c.params["file_id"] for c in fake_tg.calls_to("getFile")] == ["BQACAgIAAxkBAAIB"]
    assert fake_tg.downloads == [info["file_path"]]

    row = store.put(got, mime_type=mime, original_name=name, owner_user_id=None, channel="telegram",
                    source_ref=attachment.file_id)
    assert store.open(row.id) == data and row.mime_type == DOCX


async def test_telegram_photo_without_a_name_takes_the_servers_file_name(tg_fetcher: TelegramFetcher,
                                                                         fake_tg: FakeTelegram) -> None:
    fake_tg.add_file("AgACAgIAAx", JPEG, file_path="photos/file_3.jpg")
    got, mime, name = await tg_fetcher.fetch(Attachment(kind="photo", file_id="AgACAgIAAx", size=len(JPEG)), 10_000)
    assert (got, mime, name) == (JPEG, None, "file_3.jpg")


async def test_telegram_size_from_the_update_is_refused_before_any_call(tg_fetcher: TelegramFetcher,
                                                                        fake_tg: FakeTelegram) -> None:
    fake_tg.add_file("big", b"x" * 2000)
    with pytest.raises(FileTooLarge) as info:
        await tg_fetcher.fetch(Attachment(kind="document", file_id="big", size=2000), max_bytes=1000)
    assert (info.value.size, info.value.limit) == (2000, 1000)
    assert fake_tg.calls_to("getFile", ok_only=False) == [] and fake_tg.downloads == []


async def test_telegram_size_from_get_file_is_refused_before_download(tg_fetcher: TelegramFetcher,
                                                                      fake_tg: FakeTelegram) -> None:
    fake_tg.add_file("big", b"x" * 2000)
    with pytest.raises(FileTooLarge):
        await tg_fetcher.fetch(Attachment(kind="document", file_id="big", size=None), max_bytes=1000)
    assert len(fake_tg.calls_to("getFile")) == 1 and fake_tg.downloads == []


async def test_telegram_file_over_the_bot_api_limit_is_too_large(tg_fetcher: TelegramFetcher,
                                                                 fake_tg: FakeTelegram) -> None:
    fake_tg.add_file("huge", b"x", file_size=25 * 1024 * 1024)  # getFile answers "file is too big"
    with pytest.raises(FileTooLarge):
        await tg_fetcher.fetch(Attachment(kind="document", file_id="huge"), max_bytes=50 * 1024 * 1024)
    assert fake_tg.downloads == []


async def test_telegram_download_larger_than_announced_is_cut_off(tg_fetcher: TelegramFetcher,
                                                                  fake_tg: FakeTelegram) -> None:
    fake_tg.add_file("liar", b"y" * 300_000, report_size=False)
    with pytest.raises(FileTooLarge):
        await tg_fetcher.fetch(Attachment(kind="document", file_id="liar"), max_bytes=100_000)
    assert len(fake_tg.downloads) == 1


async def test_telegram_failures_are_fetch_failed_without_the_token(tg_fetcher: TelegramFetcher,
                                                                    fake_tg: FakeTelegram) -> None:
    with pytest.raises(FetchFailed) as unknown:
        await tg_fetcher.fetch(Attachment(kind="document", file_id="nope"), max_bytes=1000)
    info = fake_tg.add_file("gone", b"z" * 10)
    del fake_tg.file_data[info["file_path"]]  # the server lost it: the download answers 404
    with pytest.raises(FetchFailed) as missing:
        await tg_fetcher.fetch(Attachment(kind="document", file_id="gone"), max_bytes=1000)
    with pytest.raises(FetchFailed):
        await tg_fetcher.fetch(Attachment(kind="document", url="https://example.invalid/x"), max_bytes=1000)
    for exc in (unknown.value, missing.value):
        assert TG_TOKEN not in str(exc) and "secretPART" not in str(exc)
    assert "404" in str(missing.value)


# --- Zalo ---------------------------------------------------------------------------------
@pytest.fixture
async def fake_zalo() -> AsyncIterator[FakeZalo]:
    server = await FakeZalo().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def zalo_fetcher(fake_zalo: FakeZalo) -> AsyncIterator[ZaloFetcher]:
    fetcher = ZaloFetcher(LinkFetcher(FileHosts(["127.0.0.1"]), time_limit=5))
    try:
        yield fetcher
    finally:
        await fetcher.close()


async def test_zalo_image_fetched_on_arrival_outlives_its_link(zalo_fetcher: ZaloFetcher, fake_zalo: FakeZalo,
                                                               store: FileStore) -> None:
    url = fake_zalo.serve_image(JPEG)
    attachment = Attachment(kind="photo", url=url)
    assert isinstance(zalo_fetcher, Fetcher)

    data, mime, name = await zalo_fetcher.fetch(attachment, max_bytes=1_000_000)
    assert (data, mime, name) == (JPEG, None, None)
    row = store.put(data, mime_type=mime, original_name=name, owner_user_id=None, channel="zalo", source_ref=url)
    assert row.mime_type == "image/jpeg" and row.source_ref == url

    fake_zalo.expire(url)
    with pytest.raises(FetchFailed) as info:
        await zalo_fetcher.fetch(attachment, max_bytes=1_000_000)
    assert "410" in str(info.value) and ZALO_TOKEN not in str(info.value)
    assert store.open(row.id) == JPEG  # the copy taken on arrival is still there


async def test_zalo_oversize_image_is_refused(zalo_fetcher: ZaloFetcher, fake_zalo: FakeZalo) -> None:
    url = fake_zalo.serve_image(b"\xff\xd8\xff" + bytes(5000))
    with pytest.raises(FileTooLarge):
        await zalo_fetcher.fetch(Attachment(kind="photo", url=url), max_bytes=1000)
    assert fake_zalo.image_requests == ["img-1.jpg"]

    # When the platform states the size, nothing is downloaded.
    with pytest.raises(FileTooLarge):
        await zalo_fetcher.fetch(Attachment(kind="photo", url=url, size=5003), max_bytes=1000)
    assert fake_zalo.image_requests == ["img-1.jpg"]


async def test_zalo_unknown_or_missing_links_fail(zalo_fetcher: ZaloFetcher, fake_zalo: FakeZalo) -> None:
    with pytest.raises(FetchFailed):
        await zalo_fetcher.fetch(Attachment(kind="photo", url=f"{fake_zalo.url}/images/never.jpg"), 1000)
    with pytest.raises(FetchFailed):
        await zalo_fetcher.fetch(Attachment(kind="photo", url="ftp://example.invalid/a.jpg"), 1000)
    with pytest.raises(FetchFailed):
        await zalo_fetcher.fetch(Attachment(kind="photo", file_id="abc"), 1000)
