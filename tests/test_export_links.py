"""The one-time links officers on Zalo get, through the real Zalo channel and the real
webhook server on 127.0.0.1: an export (every report's personal data) works 5
minutes, a report's file 10 minutes, each once; the message says it must not be
forwarded and when it expires (local time), and the download page says so too."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlmodel import Session

from bot.delivery import Limits, RateLimiter
from bot.runner import make_web_app
from storage import reports
from storage.links import consume_link, peek_link
from storage.models import DownloadLink, aware
from storage.turns import TurnStore
from tests.fake_zalo import make_update
from tests.procs import free_port
from tests.test_office_channels import OFFICER_ZALO, both
from tests.test_reports_channels import number

JPEG = b"\xff\xd8\xff\xe0" + b"anh minh chung " * 300
STORY = "Chị Lan trực chốt kiểm dịch 30 ngày liền, hỗ trợ người dân qua chốt an toàn, không sai sót."


def seed_report(app) -> None:  # noqa: ANN001
    """A pending report with a photo, as a staff member's form leaves it."""
    with Session(app.repo.engine) as s:
        uid = TurnStore(s).user("zalo", "nv-lan", "Trần Thị Lan").id
        photo = app.files.put(JPEG, mime_type="image/jpeg", original_name="anh-chot.jpg", owner_user_id=uid,
                              channel="zalo", session=s)
        new = reports.NewReport(user_id=uid, channel="zalo", chat_id="nv-lan", submitter_name="Trần Thị Lan",
                                submitter_unit_id="van-phong", subject_kind="self", subject_name="Trần Thị Lan",
                                subject_unit_id="van-phong", criterion="2.1", story=STORY,
                                happened_on=date(2026, 3, 1), submit_key="seed-1")
        reports.submit(s, new, [photo.id], by="zalo:nv-lan", tz=UTC)
        s.commit()


def link_row(app, url: str) -> DownloadLink:  # noqa: ANN001
    token = url.rsplit("/", 1)[1]
    with Session(app.repo.engine, expire_on_commit=False) as s:
        return s.get(DownloadLink, token)


async def test_officer_links_are_short_lived_single_use_and_say_so(tmp_path: Path) -> None:
    async with both(tmp_path, links="https://bot.example.vn") as b:
        app, zalo = b.app, b.zalo
        b.delivery.limiters = {name: RateLimiter(Limits(1000.0, 1000.0, 100)) for name in b.delivery.limiters}
        seed_report(app)
        tz = app.settings.tz
        n = 0

        async def officer(text: str, expect: str) -> str:
            nonlocal n
            n += 1
            before = len(zalo.texts(OFFICER_ZALO))
            zalo.push(make_update(message_id=f"o{n}", text=text, user=OFFICER_ZALO, name="Phạm Bình"))
            await zalo.wait_for(lambda: any(expect in t for t in zalo.texts(OFFICER_ZALO)[before:]), 5.0, expect)
            return next(t for t in zalo.texts(OFFICER_ZALO)[before:] if expect in t)

        # The export: 5 minutes, once, and the message says so.
        said = await officer("/xuat", "Excel")
        said = await officer(number(said, "Tất cả báo cáo (Excel)"), "https://bot.example.vn/d/")
        url = re.search(r"https://bot\.example\.vn/d/\S+", said).group(0)  # type: ignore[union-attr]
        export = link_row(app, url)
        assert aware(export.expires_at) - aware(export.created_at) == timedelta(minutes=5)
        expires = aware(export.expires_at).astimezone(tz).strftime("%H:%M")
        assert f"chỉ dùng được một lần, hết hạn lúc {expires} (5 phút)" in said
        assert "không chuyển tiếp liên kết này cho người khác" in said

        # A report's file for review: 10 minutes, once, said the same way.
        card = await officer("/duyet", "Tệp đính kèm")
        file_url = re.search(r"https://bot\.example\.vn/d/\S+", card).group(0)  # type: ignore[union-attr]
        photo = link_row(app, file_url)
        assert aware(photo.expires_at) - aware(photo.created_at) == timedelta(minutes=10)
        expires = aware(photo.expires_at).astimezone(tz).strftime("%H:%M")
        assert f"Mỗi liên kết chỉ dùng được một lần, hết hạn lúc {expires} (10 phút)" in card
        assert "không chuyển tiếp liên kết cho người khác" in card

        # Through the real server: the page says it (and never spends the link), the button
        # gets the file once, the second press gets nothing.
        server = make_web_app({}, app.files)
        runner = web.AppRunner(server)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as http:
                local = f"http://127.0.0.1:{port}/d/{export.token}"
                async with http.get(local) as resp:
                    page = await resp.text()
                    assert resp.status == 200 and "sau 5 phút nữa" in page and "không chuyển liên kết" in page
                async with http.post(local) as resp:
                    assert resp.status == 200 and len(await resp.read()) > 0
                async with http.post(local) as resp:
                    assert resp.status == 404  # once only
                async with http.get(local) as resp:
                    assert resp.status == 404
        finally:
            await runner.cleanup()

        # Expiry: the file link works until its tenth minute ends, not a moment after.
        with Session(app.repo.engine) as s:
            start = aware(photo.created_at)
            assert peek_link(s, photo.token, start + timedelta(minutes=9, seconds=59)) is not None
            assert consume_link(s, photo.token, start + timedelta(minutes=10)) is None
            assert consume_link(s, photo.token, start + timedelta(minutes=9, seconds=59)) is not None
            s.commit()
        # and a new export link expires with its fifth minute.
        await officer("/huy", "Đã hủy")
        said = await officer("/xuat", "Excel")
        said = await officer(number(said, "Tất cả báo cáo (Excel)"), "https://bot.example.vn/d/")
        second = link_row(app, re.search(r"https://bot\.example\.vn/d/\S+", said).group(0))  # type: ignore[union-attr]
        with Session(app.repo.engine) as s:
            assert consume_link(s, second.token, aware(second.created_at) + timedelta(minutes=5)) is None
            s.commit()
