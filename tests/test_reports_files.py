"""The evidence step of a report through the real Telegram channel: what is refused and
why (a 30 MB file before it is downloaded, a type the Office cannot open, a sixth
file), what is kept (PDF, DOCX, photos), and that nothing refused is stored."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

from sqlmodel import Session, select

from bot.delivery import Limits, RateLimiter
from storage import profiles, reports
from storage.models import Report, StoredFile
from storage.turns import TurnStore
from tests.fake_telegram import keyboard, visible_text
from tests.people import person
from tests.test_office_channels import both

STAFF = 5550201
PDF = b"%PDF-1.4 minh chung " * 50
JPEG = b"\xff\xd8\xff\xe0" + b"anh " * 400


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def at_files_step(app, user: int | str, channel: str = "telegram") -> None:  # noqa: ANN001
    """A draft at its evidence step, as the form leaves it."""
    u = person(app.repo, channel, str(user), "Hà")
    with Session(app.repo.engine) as s:
        profiles.save_profile(s, u.id, full_name="Đỗ Thu Hà", unit_id="van-phong")
        values = {"draft": uuid.uuid4().hex, "subject": "self", "criterion": "2.5", "when": "2026-03-01",
                  "story": "Số hóa toàn bộ hồ sơ kiểm sát của phòng để làm việc từ xa trong giãn cách."}
        TurnStore(s).save_state(u.id, {"flow": {"name": "report", "step": "files", "values": values,
                                                "history": ["when"]}}, None)
        s.commit()


async def test_what_the_evidence_step_takes_and_refuses(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        tg = b.tg
        b.delivery.limiters = {name: RateLimiter(Limits(1000.0, 1000.0, 100)) for name in b.delivery.limiters}
        at_files_step(b.app, STAFF)
        seen = 0

        async def send(**content) -> str:  # noqa: ANN003
            nonlocal seen
            tg.push(tg.message_update(STAFF, **content))
            await tg.wait_for(lambda: len(tg.messages_to(STAFF)) > seen)
            seen = len(tg.messages_to(STAFF))
            return visible_text(tg.messages_to(STAFF)[-1])

        def doc(file_id: str, name: str, mime: str, size: int) -> dict:
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_name": name, "mime_type": mime,
                    "file_size": size}

        # 30 MB: refused from its declared size, never downloaded.
        tg.add_file("big", b"%PDF-1.4 " + b"x" * 100)
        said = await send(document=doc("big", "ho-so-day-du.pdf", "application/pdf", 30 * 1024 * 1024))
        assert "ho-so-day-du.pdf lớn quá" in said and "10 MB" in said
        # A type the Office cannot open: refused by its name, never downloaded.
        tg.add_file("zip", b"PK\x03\x04 nen")
        said = await send(document=doc("zip", "anh.zip", "application/zip", 20))
        assert "anh.zip (ZIP) không thuộc loại" in said
        # A file named .pdf that is not a PDF at all (an executable): refused once its bytes are seen.
        tg.add_file("exe", b"MZ\x90\x00 not a pdf")
        said = await send(document=doc("exe", "quyet-dinh.pdf", "application/octet-stream", 14))
        assert "Nội dung tệp quyet-dinh.pdf không phải" in said
        assert not any(c.params.get("file_id") in ("big", "zip") for c in tg.calls_to("getFile"))

        # Five good files, the sixth refused.
        tg.add_file("pdf", PDF)
        tg.add_file("docx", docx_bytes())
        assert "Đã nhận tệp to-trinh.pdf" in await send(document=doc("pdf", "to-trinh.pdf", "application/pdf",
                                                                         len(PDF)))
        assert "Đã nhận tệp bao-cao.docx" in await send(
            document=doc("docx", "bao-cao.docx", "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document", len(docx_bytes())))
        for i in range(4):
            tg.add_file(f"p{i}", JPEG + bytes([i]))
            photo = [{"file_id": f"p{i}", "file_unique_id": f"u-p{i}", "width": 10, "height": 10,
                      "file_size": len(JPEG) + 1}]
            said = await send(photo=photo)
        assert "Đã đủ 5 tệp" in said and "5/5" in said
        assert "Không có tệp" not in str(keyboard(tg.messages_to(STAFF)[-1]))

        tg.press(STAFF, "f:files:done")
        await tg.wait_for(lambda: len(tg.messages_to(STAFF)) > seen)
        seen = len(tg.messages_to(STAFF))
        tg.press(STAFF, "f:confirm:send")
        await tg.wait_for(lambda: any("mã GT-" in visible_text(c) for c in tg.messages_to(STAFF)))
        with Session(b.app.repo.engine) as s:
            row = s.exec(select(Report)).one()
            kept = reports.files_of(s, row.id)
            assert [f.original_name for f in kept[:2]] == ["to-trinh.pdf", "bao-cao.docx"]
            assert [f.mime_type for f in kept] == ["application/pdf", kept[1].mime_type] + ["image/jpeg"] * 3
            assert len(kept) == 5
            # The refused executable left no row behind, and no bytes: every file on disk is a row's.
            assert all(f.original_name != "quyet-dinh.pdf" for f in s.exec(select(StoredFile)))
            on_disk = {p.name for p in b.app.files.files_dir.rglob("*") if p.is_file()}
            assert on_disk == {f.sha256 for f in s.exec(select(StoredFile))}
