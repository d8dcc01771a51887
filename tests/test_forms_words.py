"""Forms as staff and officers use them on their phones, through the fake Zalo and
Telegram servers and the real channels, delivery worker and SQLite file: options picked
by their words (with or without diacritics, with the usual abbreviations), the name
a story already gives offered to confirm, lists that fit a screen, prompts that ask
only for what the channel can carry, and a confirm tapped again after sending."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.delivery import Limits, RateLimiter
from bot.pipeline import FloodGuard
from handlers.reports.flow import REPEAT_WINDOW
from storage.models import Report
from tests.fake_telegram import keyboard, visible_text
from tests.fake_zalo import make_update
from tests.test_office_channels import OFFICER_TG, OFFICER_ZALO, Bots
from tests.test_office_channels import both as both_messengers

STORY = "Đồng chí An trực chốt kiểm dịch 30 ngày liền, hỗ trợ người dân qua chốt an toàn, không sai sót."
JPEG = b"\xff\xd8\xff\xe0" + b"anh truc chot " * 300


@contextlib.asynccontextmanager
async def both(tmp_path: Path) -> AsyncIterator[Bots]:
    # A person here types faster than anyone could: the flood guard is tested elsewhere.
    async with both_messengers(tmp_path, flood=FloodGuard(limit=1_000_000)) as b:
        # Messengers' per-chat pacing (1 a second) is tested elsewhere; here it only slows the story.
        b.delivery.limiters = {name: RateLimiter(Limits(1000.0, 1000.0, 100)) for name in b.delivery.limiters}
        yield b


def number(text: str, label_part: str) -> str:
    """The number of the line holding `label_part` in the last numbered list of a Zalo message."""
    found = [m for m in re.finditer(r"^(\d+)\. (.+)$", text, re.M) if label_part.lower() in m.group(2).lower()]
    assert found, f"no line with {label_part!r} in:\n{text}"
    return found[-1].group(1)


def numbered_lines(text: str) -> list[str]:
    """The labels of the last numbered list of a message."""
    block = text[max(text.rfind("\n1. "), 0):]
    return [m.group(1) for m in re.finditer(r"^\d+\. (.+)$", block, re.M)]


class ZaloPerson:
    """Someone typing on Zalo; `say` waits for the reply that holds `until`."""

    def __init__(self, b: Bots, user: str, name: str):
        self.b, self.user, self.name, self.n = b, user, name, 0

    async def say(self, text: str = "", until: str = "", kind: str = "text", **kw) -> str:  # noqa: ANN003
        self.n += 1
        zalo = self.b.zalo
        before = len(zalo.texts(self.user))
        zalo.push(make_update(kind, message_id=f"{self.user}-{self.n}", text=text if kind == "text" else None,
                              user=self.user, name=self.name, **kw))
        await zalo.wait_for(lambda: len(zalo.texts(self.user)) > before
                            and until in "\n".join(zalo.texts(self.user)[before:]),
                            what=f"a reply to {text!r} with {until!r}, got {zalo.texts(self.user)[before - 1:]}")
        return "\n".join(zalo.texts(self.user)[before:])


class TelegramPerson:
    """Someone on Telegram; `say` and `press` wait for the reply that holds `until`, and
    return the new messages (the last one carries the buttons)."""

    def __init__(self, b: Bots, user: int):
        self.b, self.user = b, user

    async def _wait(self, before: int, until: str) -> list:  # noqa: ANN401
        tg = self.b.tg
        try:
            await tg.wait_for(lambda: len(tg.messages_to(self.user)) > before and any(
                until in visible_text(c) for c in tg.messages_to(self.user)[before:]))
        except AssertionError:
            raise AssertionError(f"no {until!r} in {[visible_text(c) for c in tg.messages_to(self.user)[before:]]}") from None
        return tg.messages_to(self.user)[before:]

    async def say(self, text: str, until: str = "") -> list:
        before = len(self.b.tg.messages_to(self.user))
        self.b.tg.send_message(self.user, text, first_name="Bình", last_name="Nguyễn Thị")
        return await self._wait(before, until)

    async def press(self, data: str, until: str = "") -> list:
        before = len(self.b.tg.messages_to(self.user))
        self.b.tg.press(self.user, data)
        return await self._wait(before, until)


def button(calls: list, label_part: str) -> str:
    found = [data for c in calls for label, data in keyboard(c) if label_part.lower() == label.lower()] or [
        data for c in calls for label, data in keyboard(c) if label_part.lower() in label.lower()]
    assert found, f"no button with {label_part!r} in {[keyboard(c) for c in calls]}"
    return found[-1]


async def zalo_report(p: ZaloPerson, first: bool) -> str:
    """A report typed on Zalo by its words only, no numbers; returns its code."""
    t = await p.say("em muốn gửi gương người tốt", until="Họ và tên" if first else "kể về ai")
    if first:
        t = await p.say("Lê Thị Hoa", until="đơn vị nào")
        t = await p.say("văn phòng", until="kể về ai")
    t = await p.say("đồng nghiệp", until="Họ tên")
    t = await p.say("Nguyễn Văn An", until="thuộc đơn vị nào")
    t = await p.say("gò dầu", until="tiêu chí")
    t = await p.say("tiêu chí 2.1", until="kể việc làm cụ thể")
    t = await p.say(STORY, until="khi nào")
    t = await p.say("hôm qua", until="minh chứng")
    t = await p.say("không có tệp", until="kiểm tra phiếu")
    assert "VKSND huyện Gò Dầu" in t and "2.1 Hoàn thành xuất sắc" in t
    t = await p.say("gửi", until="mã GT-")
    return re.search(r"GT-\d{4}-\d{4}", t).group(0)  # type: ignore[union-attr]


async def test_options_are_picked_by_their_words_on_zalo_and_telegram(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        staff = ZaloPerson(b, "nv-hoa", "Lê Thị Hoa")
        # At the criterion step "tiêu chí 2.1" is the criterion, not a question; at the unit
        # step "gò dầu" is the unit; each moves on to the next step.
        first = await zalo_report(staff, first=True)
        # Words that fit two units ask which, listing those two only; "1" picks the first.
        await staff.say("/gui", until="kể về ai")
        await staff.say("đồng nghiệp", until="Họ tên")
        await staff.say("Trần Văn Bảo", until="thuộc đơn vị nào")
        t = await staff.say("tây ninh", until="Trả lời")
        assert "khớp với nhiều mục" in t and "VKSND tỉnh Tây Ninh" in t and "VKSND thành phố Tây Ninh" in t
        assert "Gò Dầu" not in t and "Văn phòng" not in t.split("khớp với nhiều mục")[1]
        t = await staff.say(number(t, "thành phố Tây Ninh"), until="tiêu chí")
        t = await staff.say("trực tiếp tham gia", until="kể việc làm cụ thể")
        await staff.say("/huy", until="Đã hủy")

        # The Zalo officer approves with the award's words: "bằng khen" fits two, asked which.
        officer = ZaloPerson(b, OFFICER_ZALO, "Phạm Bình")
        t = await officer.say("/duyet", until="Trả lời")
        assert first in "\n".join(b.zalo.texts(OFFICER_ZALO))
        t = await officer.say("duyệt", until="hình thức khen thưởng")
        t = await officer.say("bằng khen", until="Trả lời")
        assert "khớp với nhiều mục" in t and "Thủ tướng" in t and "Viện trưởng VKSND tối cao" in t
        assert "Huân chương" not in t
        t = await officer.say("bằng khen thủ tướng", until="Đã duyệt")
        assert "Bằng khen của Thủ tướng Chính phủ" in t

        # The Telegram officer: "bk ttg" at the award step.
        second = await zalo_report(staff, first=False)
        tg_officer = TelegramPerson(b, OFFICER_TG)
        m = await tg_officer.say("/duyet", until="quyết định")
        m = await tg_officer.press(button(m, "Duyệt"), until="hình thức")
        m = await tg_officer.say("bk ttg", until="Đã duyệt")
        assert second in visible_text(m[-1]) and "Thủ tướng" in visible_text(m[-1])
        with b.app.repo.session() as s:
            awards = {r.code: r.proposed_award for r in s.exec(select(Report))}
        assert awards == {first: "bk-ttg", second: "bk-ttg"}


async def test_confirm_tapped_again_after_sending_says_it_went(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        # Zalo: "Gửi báo cáo" is "1" at the summary; "1" again is the same tap, not the next
        # list's "1" ("Báo cáo của tôi", whose first line withdraws the report).
        staff = ZaloPerson(b, "nv-hoa", "Lê Thị Hoa")
        await staff.say("/gui", until="Họ và tên")
        await staff.say("Lê Thị Hoa", until="đơn vị nào")
        await staff.say("văn phòng", until="kể về ai")
        await staff.say("bản thân tôi", until="tiêu chí")
        await staff.say("khác", until="kể việc làm cụ thể")
        await staff.say(STORY, until="khi nào")
        await staff.say("hôm qua", until="minh chứng")
        t = await staff.say("không có tệp", until="kiểm tra phiếu")
        t = await staff.say(number(t, "Gửi báo cáo"), until="mã GT-")
        code = re.search(r"GT-\d{4}-\d{4}", t).group(0)  # type: ignore[union-attr]
        t = await staff.say("1", until=code)
        assert "đã gửi" in t and "Rút báo cáo" not in t and "Các báo cáo đồng chí đã gửi" not in t
        t = await staff.say("1", until=code)
        assert "đã gửi" in t
        # Past the short while, "1" is what the last list says.
        reports = b.app.conversation.reports
        later = reports.now() + REPEAT_WINDOW + timedelta(seconds=1)
        reports.now = lambda: later
        await staff.say("/gui", until="kể về ai")
        await staff.say("bản thân tôi", until="tiêu chí")
        await staff.say("khác", until="kể việc làm cụ thể")
        await staff.say(STORY, until="khi nào")
        await staff.say("hôm qua", until="minh chứng")
        await staff.say("không có tệp", until="kiểm tra phiếu")
        await staff.say("gửi", until="mã GT-")
        reports.now = lambda: later + REPEAT_WINDOW + timedelta(seconds=1)
        t = await staff.say("1", until="Các báo cáo đồng chí đã gửi")

        # Telegram: the button pressed twice.
        tg = TelegramPerson(b, 5550101)
        reports.now = lambda: later
        await tg.say("/gui", until="Họ và tên")
        m = await tg.say("Nguyễn Thị Bình", until="đơn vị nào")
        m = await tg.press(button(m, "Văn phòng"), until="kể về ai")
        m = await tg.press(button(m, "Bản thân"), until="tiêu chí")
        m = await tg.press(button(m, "Khác"), until="kể việc làm")
        await tg.say(STORY, until="khi nào")
        m = await tg.say("hôm qua", until="minh chứng")
        m = await tg.press(button(m, "Không có tệp"), until="kiểm tra phiếu")
        confirm = button(m, "Gửi báo cáo")
        m = await tg.press(confirm, until="mã GT-")
        tg_code = re.search(r"GT-\d{4}-\d{4}", visible_text(m[-1])).group(0)  # type: ignore[union-attr]
        m = await tg.press(confirm, until=tg_code)
        assert "đã gửi" in visible_text(m[-1])
        with b.app.repo.session() as s:
            assert len(s.exec(select(Report)).all()) == 3


TOLD = "em muốn kể về anh Nguyễn Văn An, trực chốt kiểm dịch 30 ngày liền không về nhà, giúp dân rất nhiệt tình"


async def test_a_story_that_names_its_person_offers_the_name(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        # Zalo: the name in the story is offered; "1" confirms it, no "kể về ai".
        staff = ZaloPerson(b, "nv-hoa", "Lê Thị Hoa")
        await staff.say(TOLD, until="Họ và tên")
        await staff.say("Lê Thị Hoa", until="đơn vị nào")
        t = await staff.say("văn phòng", until="Trả lời")
        assert "kể về ai" not in t and "Nguyễn Văn An, đúng không" in t
        t = await staff.say(number(t, "Đúng"), until="thuộc đơn vị nào")
        await staff.say("/huy", until="hủy")
        await staff.say("1", until="Đã hủy")  # the draft had a story: "Hủy phiếu" confirmed
        # Another name typed instead: that one is the person.
        t = await staff.say(TOLD, until="Trả lời")
        assert "Nguyễn Văn An, đúng không" in t
        await staff.say("Trần Văn Bảo", until="thuộc đơn vị nào")
        await staff.say("gò dầu", until="tiêu chí")
        await staff.say("khác", until="khi nào")
        await staff.say("hôm qua", until="minh chứng")
        t = await staff.say("không có tệp", until="kiểm tra phiếu")
        assert "Gương: Trần Văn Bảo (VKSND huyện Gò Dầu)" in t
        # "Không": whose story it is, then the name.
        await staff.say("/huy", until="hủy")
        await staff.say("1", until="Đã hủy")
        t = await staff.say(TOLD, until="Trả lời")
        t = await staff.say(number(t, "Không"), until="kể về ai")
        t = await staff.say("đồng nghiệp", until="Họ tên")

        # Telegram: the same offer as a button.
        tg = TelegramPerson(b, 5550101)
        await tg.say(TOLD, until="Họ và tên")
        m = await tg.say("Nguyễn Thị Bình", until="đơn vị nào")
        m = await tg.press(button(m, "Văn phòng"), until="đúng không")
        assert "kể về ai" not in visible_text(m[-1])
        await tg.press(button(m, "Đúng"), until="thuộc đơn vị nào")


PNG = b"\x89PNG\r\n\x1a\n" + b"giay xac nhan " * 300


def longest(texts: list[str]) -> tuple[int, int]:
    """The longest message and the most numbered lines in one."""
    return max(len(t) for t in texts), max(len(re.findall(r"^\d+\. ", t, re.M)) for t in texts)


async def test_lists_fit_a_phone_on_zalo(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        staff = ZaloPerson(b, "nv-hoa", "Lê Thị Hoa")
        await staff.say("/gui", until="Họ và tên")
        # The 18 units a page at a time: at most 10 numbered lines, "Xem thêm" for the rest.
        t = await staff.say("Lê Thị Hoa", until="đơn vị nào")
        assert "Gò Dầu" not in t and len(numbered_lines(t)) <= 10
        t = await staff.say(number(t, "Xem thêm"), until="Trả lời")
        assert "Gò Dầu" in t and "Các mục 8-" in t and len(numbered_lines(t)) <= 10
        t = await staff.say(number(t, "Gò Dầu"), until="kể về ai")  # a number on the second page
        t = await staff.say("đồng nghiệp", until="Họ tên")
        # A colleague's unit: one's own comes first, the list paged again.
        t = await staff.say("Nguyễn Văn An", until="thuộc đơn vị nào")
        assert numbered_lines(t)[0] == "VKSND huyện Gò Dầu (đơn vị của đồng chí)" and len(numbered_lines(t)) <= 10
        t = await staff.say("1", until="tiêu chí")
        assert len(numbered_lines(t)) <= 10
        t = await staff.say("xem thêm", until="Trả lời")  # typed: the next page
        assert "Khác" in t
        t = await staff.say(number(t, "Khác"), until="kể việc làm cụ thể")
        await staff.say(STORY, until="khi nào")
        t = await staff.say("hôm qua", until="minh chứng")
        prompt = t
        # Each photo gets a short acknowledgement, not the whole evidence prompt again.
        for i, (data, kind) in enumerate(((JPEG, "image/jpeg"), (PNG, "image/png")), 1):
            url = b.zalo.serve_image(data, name=f"p{i}", content_type=kind)
            t = await staff.say(kind="image", until=f"{i}/5", photo=url)
            assert "Đã nhận tệp" in t and "tối đa 5 tệp" not in t and len(t) < len(prompt) - 100
        await staff.say(number(t, "Xong"), until="kiểm tra phiếu")
        await staff.say("gửi", until="mã GT-")
        form = longest(b.zalo.texts(staff.user))

        # Topics: each list a page at a time.
        reader = ZaloPerson(b, "nv-lan", "Trần Thị Lan")
        await reader.say("/menu", until="Trả lời")
        for topic in b.app.knowledge.kb.topics:
            t = await reader.say("/menu", until="Trả lời")
            t = await reader.say(number(t, "Hỏi đáp"), until="Trả lời")
            await reader.say(number(t, topic.title), until="Trả lời")
        topics = longest(b.zalo.texts(reader.user))
        # Several questions in one message: each message under 700 characters with its list.
        asker = ZaloPerson(b, "nv-tu", "Đỗ Văn Tú")
        await asker.say("bằng khen thủ tướng cần mấy bộ hồ sơ và tiêu chuẩn giấy khen là gì", until="Trả lời")
        answers = longest(b.zalo.texts(asker.user))
        assert form[1] <= 10 and topics[1] <= 10 and answers[0] < 700, (form, topics, answers)
        assert form[0] < 750 and topics[0] < 750, (form, topics)


async def test_prompts_ask_only_for_what_the_channel_carries(tmp_path: Path) -> None:
    async with both(tmp_path) as b:
        staff = ZaloPerson(b, "nv-hoa", "Lê Thị Hoa")
        await staff.say("/gui", until="Họ và tên")
        await staff.say("Lê Thị Hoa", until="đơn vị nào")
        await staff.say("văn phòng", until="kể về ai")
        t = await staff.say("bản thân tôi", until="tiêu chí")
        # A question in the middle of the form: no lines that cannot be picked; "chi tiết"
        # typed opens the whole answer, and the step comes back.
        t = await staff.say("hồ sơ đề nghị bằng khen thủ tướng gồm những gì?", until="Trả lời")
        answer = t.split("Đồng chí đang")[0]
        assert "Hồ sơ đề nghị Bằng khen" in answer and "Gõ «chi tiết»" in answer, t
        assert "- Xem chi tiết" not in t and "- Menu chính" not in t and "- Hỏi Văn phòng" not in t
        t = await staff.say("chi tiết", until="tiêu chí")
        assert len(t) > len(answer) and "Trả lời bằng số" in t
        t = await staff.say("khác", until="kể việc làm cụ thể")
        await staff.say(STORY, until="khi nào")
        # Zalo hands a bot images only: the evidence prompt asks for photos, not PDF or Word.
        t = await staff.say("hôm qua", until="minh chứng")
        assert "PDF" not in t and "Word" not in t and "Excel" not in t and "ảnh" in t
        # A file Zalo withholds: what the channel carries, not "gõ câu hỏi bằng chữ".
        t = await staff.say(kind="unsupported", until="Trả lời")
        assert "chỉ nhận được ảnh" in t and "gõ câu hỏi bằng chữ" not in t and "PDF" not in t
        await staff.say(number(t, "Không có tệp"), until="kiểm tra phiếu")
        t = await staff.say("gửi", until="mã GT-")
        code = re.search(r"GT-\d{4}-\d{4}", t).group(0)  # type: ignore[union-attr]

        # The Telegram officer asks for more; the "Bổ sung" prompt on Zalo asks for photos.
        officer = TelegramPerson(b, OFFICER_TG)
        m = await officer.say("/duyet", until="quyết định")
        m = await officer.press(button(m, "Yêu cầu bổ sung"), until="bổ sung gì")
        await officer.say("Gửi thêm ảnh giấy xác nhận của địa phương", until="Đã gửi yêu cầu bổ sung")
        await b.zalo.wait_for(lambda: any("cần bổ sung" in x for x in b.zalo.texts(staff.user)), what="asked")
        ask = next(x for x in b.zalo.texts(staff.user) if "cần bổ sung" in x)
        t = await staff.say(number(ask, "Bổ sung"), until="Gửi bổ sung")
        assert code in t and "PDF" not in t and "DOCX" not in t and "ảnh" in t

        # On Telegram, where documents arrive, the evidence prompt invites them.
        tg = TelegramPerson(b, 5550101)
        await tg.say("/gui", until="Họ và tên")
        m = await tg.say("Nguyễn Thị Bình", until="đơn vị nào")
        m = await tg.press(button(m, "Văn phòng"), until="kể về ai")
        m = await tg.press(button(m, "Bản thân"), until="tiêu chí")
        m = await tg.press(button(m, "Khác"), until="kể việc làm")
        await tg.say(STORY, until="khi nào")
        m = await tg.say("hôm qua", until="minh chứng")
        assert "PDF" in visible_text(m[-1]) and "Word" in visible_text(m[-1])
