"""Good-example reports end to end through the real channels: the aiogram Bot against
the fake Telegram Bot API, our Zalo client against the fake Zalo Bot API, one
delivery worker, a real SQLite file. A staff member on Telegram reports with an
album of two photos and presses Confirm twice; a staff member on Zalo reports with
an image whose link expires once the bot has it; a Telegram officer approves one
with a proposed award and gets the files and the exports as documents; a Zalo
officer rejects the other, asks for more, gets the addition (an image), and
downloads an export by a one-time link."""

from __future__ import annotations

import io
import re
from pathlib import Path

import aiohttp
import openpyxl
from aiohttp import web
from sqlmodel import select

from bot.app import link_maker
from bot.delivery import Limits, RateLimiter
from bot.runner import make_web_app
from storage import reports
from storage.models import Report, ReportEvent
from tests.fake_telegram import keyboard, visible_text
from tests.fake_zalo import make_update
from tests.procs import free_port
from tests.test_office_channels import OFFICER_TG, OFFICER_ZALO, both

JPEG = b"\xff\xd8\xff\xe0" + b"anh truc chot " * 300
PNG = b"\x89PNG\r\n\x1a\n" + b"giay xac nhan " * 300
STORY = "Đồng chí An trực chốt kiểm dịch 30 ngày liền, hỗ trợ người dân qua chốt an toàn, không sai sót."
TG_STAFF = 5550101
ZALO_STAFF = "nv-hoa"


def number(text: str, label_part: str) -> str:
    """The number of the line holding `label_part` in the last numbered list of a Zalo message."""
    found = [m for m in re.finditer(r"^(\d+)\. (.+)$", text, re.M) if label_part.lower() in m.group(2).lower()]
    assert found, f"no line with {label_part!r} in:\n{text}"
    return found[-1].group(1)


def button(call, label_part: str) -> str:  # noqa: ANN001
    found = [data for label, data in keyboard(call) if label_part.lower() in label.lower()]
    assert found, f"no button with {label_part!r} in {keyboard(call)}"
    return found[0]


async def test_reports_on_both_messengers_reviewed_and_exported(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        tg, zalo = b.tg, b.zalo
        # Messengers' per-chat pacing (1 a second) is tested elsewhere; here it only slows the story.
        b.delivery.limiters = {name: RateLimiter(Limits(1000.0, 1000.0, 100)) for name in b.delivery.limiters}

        async def tg_next(user: int, count: int):  # noqa: ANN202
            await tg.wait_for(lambda: len(tg.messages_to(user)) >= count)
            return tg.messages_to(user)[count - 1]

        # --- a staff member on Telegram, reading only the prompts and pressing buttons ---
        seen = 0

        async def tg_say(text: str | None = None, press: str | None = None):  # noqa: ANN202
            nonlocal seen
            if press:
                tg.press(TG_STAFF, press)
            else:
                tg.send_message(TG_STAFF, text or "", first_name="Bình", last_name="Nguyễn Thị")
            await tg.wait_for(lambda: len(tg.messages_to(TG_STAFF)) > seen)
            seen = len(tg.messages_to(TG_STAFF))
            return tg.messages_to(TG_STAFF)[-1]

        m = await tg_say("/gui")
        assert "Nghị định 13/2023" in visible_text(m)
        m = await tg_say("Nguyễn Thị Bình")
        m = await tg_say(press=button(m, "Văn phòng"))
        m = await tg_say(press=button(m, "đồng nghiệp"))
        m = await tg_say("Nguyễn Văn An")
        m = await tg_say(press=button(m, "Văn phòng"))
        m = await tg_say(press=button(m, "2.1"))
        m = await tg_say(STORY)
        m = await tg_say("hôm qua")
        assert "minh chứng" in visible_text(m)
        tg.add_file("p1", JPEG)
        tg.add_file("p2", PNG)
        for file_id, data in (("p1", JPEG), ("p2", PNG)):
            photo = [{"file_id": file_id, "file_unique_id": f"u-{file_id}", "width": 800, "height": 600,
                      "file_size": len(data)}]
            tg.push(tg.message_update(TG_STAFF, photo=photo, media_group_id="album-1"))
        await tg.wait_for(lambda: len(tg.messages_to(TG_STAFF)) > seen)
        seen = len(tg.messages_to(TG_STAFF))
        m = tg.messages_to(TG_STAFF)[-1]
        assert "Đã nhận tệp ảnh 1" in visible_text(m) and "2/5" in visible_text(m)
        m = await tg_say(press=button(m, "Xong"))
        assert "kiểm tra phiếu" in visible_text(m) and "ảnh 1, ảnh 2" in visible_text(m)
        confirm = button(m, "Gửi báo cáo")
        tg.press(TG_STAFF, confirm)
        tg.press(TG_STAFF, confirm)  # pressed twice
        await tg.wait_for(lambda: len(tg.messages_to(TG_STAFF)) >= seen + 2)
        sent = [visible_text(c) for c in tg.messages_to(TG_STAFF)[seen:]]
        seen = len(tg.messages_to(TG_STAFF))
        codes = [t for t in sent if "Đã gửi báo cáo, mã GT-" in t]
        assert len(codes) == 1, sent
        tg_code = re.search(r"GT-\d{4}-\d{4}", codes[0]).group(0)

        # --- the Telegram officer approves it from the notice, with an award ---
        note = await tg_next(OFFICER_TG, 1)
        assert tg_code in visible_text(note) and "Nguyễn Văn An" in visible_text(note)
        tg.press(OFFICER_TG, button(note, "Duyệt"))
        m = await tg_next(OFFICER_TG, 2)
        tg.press(OFFICER_TG, button(m, "Thủ tướng"))
        m = await tg_next(OFFICER_TG, 3)
        assert "Đã duyệt báo cáo" in visible_text(m)
        await tg.wait_for(lambda: any("đã được duyệt" in visible_text(c) for c in tg.messages_to(TG_STAFF)))

        # --- a staff member on Zalo, with an image whose link expires once the bot has it ---
        n = 0

        async def zalo_say(text: str = "", **kw) -> str:  # noqa: ANN003
            nonlocal n
            n += 1
            before = len(zalo.texts(ZALO_STAFF))
            zalo.push(make_update(message_id=f"zs{n}", text=text, user=ZALO_STAFF, name="Lê Thị Hoa", **kw))
            return (await zalo.wait_texts(ZALO_STAFF, before + 1))[-1]

        t = await zalo_say("em muốn gửi gương người tốt")
        t = await zalo_say("Lê Thị Hoa")
        t = await zalo_say(number(t, "Văn phòng"))
        t = await zalo_say(number(t, "tập thể"))
        t = await zalo_say("Tổ kiểm sát trực tiếp")
        t = await zalo_say(number(t, "Văn phòng"))
        t = await zalo_say("trực tiếp tham gia")  # on the second page of the list: its words pick it
        t = await zalo_say("Tổ đã phối hợp với trạm y tế phường hỗ trợ 200 hộ dân trong đợt giãn cách.")
        t = await zalo_say("12/8/2021")
        url = zalo.serve_image(JPEG, name="chot.jpg")
        n += 1
        before = len(zalo.texts(ZALO_STAFF))
        zalo.push(make_update("image", message_id=f"zs{n}", user=ZALO_STAFF, photo=url))
        await zalo.wait_for(lambda: zalo.image_requests.count("chot.jpg") == 1, what="the image fetched")
        zalo.expire(url)
        t = (await zalo.wait_texts(ZALO_STAFF, before + 1))[-1]
        assert "Đã nhận tệp" in t
        t = await zalo_say(number(t, "Xong"))
        t = await zalo_say(number(t, "Gửi báo cáo"))
        zalo_code = re.search(r"GT-\d{4}-\d{4}", t).group(0)
        assert int(zalo_code[-4:]) == int(tg_code[-4:]) + 1

        # --- the Telegram officer looks at it with /duyet: the card, the image as a document; "để sau" ---
        before = len(tg.messages_to(OFFICER_TG))
        tg.send_message(OFFICER_TG, "/duyet")
        await tg.wait_for(lambda: any(keyboard(c) and "Để sau" in str(keyboard(c))
                                      for c in tg.messages_to(OFFICER_TG)[before:]))
        shown = [visible_text(c) for c in tg.messages_to(OFFICER_TG)[before:]]
        assert any(zalo_code in x and "Tổ kiểm sát trực tiếp" in x for x in shown)
        sent_docs = [c for c in tg.calls_to("sendDocument") if str(c.params.get("chat_id")) == str(OFFICER_TG)]
        assert [next(iter(c.files.values()))[1] for c in sent_docs] == [JPEG]
        decide = next(c for c in tg.messages_to(OFFICER_TG)[before:] if "Để sau" in str(keyboard(c)))
        before = len(tg.messages_to(OFFICER_TG))
        tg.press(OFFICER_TG, button(decide, "Để sau"))
        m = await tg_next(OFFICER_TG, before + 1)
        assert "Không còn báo cáo nào khác" in visible_text(m)

        # --- the Zalo officer: /duyet, the files as links (none: no PUBLIC_URL), reject needs a reason ---
        m_off = 0

        async def off_say(text: str, replies: int = 1) -> str:
            nonlocal m_off
            m_off += 1
            before = len(zalo.texts(OFFICER_ZALO))
            zalo.push(make_update(message_id=f"zo{m_off}", text=text, user=OFFICER_ZALO, name="Phạm Bình"))
            return (await zalo.wait_texts(OFFICER_ZALO, before + replies))[-1]

        await zalo.wait_texts(OFFICER_ZALO, 2)  # the notices of both reports
        t = await off_say("/duyet", replies=2)  # the card, then the choices
        texts_now = zalo.texts(OFFICER_ZALO)
        assert any(zalo_code in x and "Zalo không nhận tệp" in x for x in texts_now), texts_now
        t = await off_say(number(t, "Yêu cầu bổ sung"))
        t = await off_say("Gửi thêm ảnh danh sách hộ dân đã hỗ trợ")
        assert "Đã gửi yêu cầu bổ sung" in t
        await zalo.wait_for(lambda: any("cần bổ sung" in x for x in zalo.texts(ZALO_STAFF)), what="asked for more")
        ask = next(x for x in zalo.texts(ZALO_STAFF) if "cần bổ sung" in x)
        t = await zalo_say(number(ask, "Bổ sung"))
        assert "gửi ảnh" in t and "PDF" not in t  # Zalo hands a bot images only
        url2 = zalo.serve_image(PNG, name="ds.png", content_type="image/png")
        n += 1
        before = len(zalo.texts(ZALO_STAFF))
        zalo.push(make_update("image", message_id=f"zs{n}", user=ZALO_STAFF, photo=url2))
        t = (await zalo.wait_texts(ZALO_STAFF, before + 1))[-1]
        assert "1 tệp" in t
        t = await zalo_say(number(t, "Gửi bổ sung"))
        assert "trở lại chờ duyệt" in t

        # --- the officer reviews it again: reject, with a reason ---
        await zalo.wait_for(lambda: any("đã bổ sung" in x for x in zalo.texts(OFFICER_ZALO)), what="added")
        t = await off_say("/duyet", replies=2)
        t = await off_say(number(t, "Không duyệt"))
        t = await off_say("ok")  # too short for a reason: asked again
        assert "Lý do" in t
        t = await off_say("Thành tích tập thể chưa nổi bật so với tiêu chí")
        await zalo.wait_for(lambda: any("không được duyệt" in x for x in zalo.texts(ZALO_STAFF)), what="rejected")

        # --- exports: a document on Telegram, a one-time link on Zalo ---
        before = len(tg.messages_to(OFFICER_TG))
        tg.send_message(OFFICER_TG, "/xuat")
        m = await tg_next(OFFICER_TG, before + 1)
        docs_before = len(tg.calls_to("sendDocument"))
        tg.press(OFFICER_TG, button(m, "Danh sách đề nghị"))
        await tg.wait_for(lambda: len(tg.calls_to("sendDocument")) > docs_before)
        docs = [c for c in tg.calls_to("sendDocument") if str(c.params.get("chat_id")) == str(OFFICER_TG)]
        data = next(iter(docs[-1].files.values()))[1]
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        assert any("Bằng khen của Thủ tướng" in c for c in cells) and any("04 bộ" in c for c in cells), cells
        assert "Nguyễn Văn An" in cells

        # /duyet on Telegram after all is decided: nothing pending.
        before = len(tg.messages_to(OFFICER_TG))
        tg.send_message(OFFICER_TG, "/duyet")
        m = await tg_next(OFFICER_TG, before + 1)
        assert "Không có báo cáo nào chờ duyệt" in visible_text(m)

        # The approved report's files, as documents, when an officer reviews (a pending one).
        with b.app.repo.session() as s:
            tg_report = s.exec(select(Report).where(Report.code == tg_code)).one()
            assert [f.mime_type for f in reports.files_of(s, tg_report.id)] == ["image/jpeg", "image/png"]
            z = s.exec(select(Report).where(Report.code == zalo_code)).one()
            assert z.status == "rejected" and "chưa nổi bật" in z.review_note
            assert [f.mime_type for f in reports.files_of(s, z.id)] == ["image/jpeg", "image/png"]
            kinds = [e.kind for e in s.exec(select(ReportEvent).where(ReportEvent.report_id == z.id)
                                            .order_by(ReportEvent.id))]
            assert kinds == ["submitted", "asked_more", "added", "rejected"]
            assert len(s.exec(select(Report)).all()) == 2

        b.app.conversation.review.make_link = link_maker("https://bot.example.vn")
        t = await off_say("/xuat")
        t = await off_say(number(t, "Tất cả báo cáo (Excel)"))
        link = re.search(r"https://bot\.example\.vn(/d/\S+)", t)
        assert link and "một lần" in t
        server = make_web_app({}, b.app.files)
        runner = web.AppRunner(server)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}{link.group(1)}"
                # Zalo's link preview GETs the address first: it gets the page, the link stays unused.
                async with http.get(url) as resp:
                    assert resp.status == 200 and "Tải tệp về" in await resp.text()
                async with http.post(url) as resp:  # the officer presses the button
                    assert resp.status == 200
                    book = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
                    assert book.max_row == 3  # the header and two reports
                async with http.post(url) as resp:
                    assert resp.status == 404  # once only
        finally:
            await runner.cleanup()
