"""The command registry (handlers/commands.py): the router, the menu, /trogiup and Telegram's
command list all read one declaration per command."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.telegram.channel import telegram_commands as channel_commands
from content.commands import NAMES
from handlers import commands, texts
from handlers.commands import OFFICER, REGISTRY, help_text, telegram_commands
from handlers.conversation import MENU
from tests.conftest import Talk
from tests.test_office import make_app

# The help as it was written by hand before the registry: the registry says the same.
STAFF_HELP = 'Hướng dẫn sử dụng:\n- Gõ câu hỏi bằng lời của đồng chí, có dấu hoặc không dấu; viết tắt quen dùng như BK TTg, HCLĐ, VKSTC, TĐKT đều hiểu được.\n- Chọn chủ đề để xem các nội dung theo nhóm.\n- Mỗi câu trả lời đều ghi nguồn (số văn bản, mục) để đồng chí đối chiếu.\n- Khi được hỏi lại "Ý đồng chí là...", hãy chọn một mục (trên Zalo: trả lời bằng số thứ tự).\n\nCác lệnh:\n/start hoặc /menu - menu chính\n/hoi - đặt câu hỏi\n/huy - hủy thao tác đang làm (gõ "quay lại" để về bước trước)\n/hoivanphong - gửi câu hỏi tới Văn phòng\n/gui - gửi gương người tốt, việc tốt\n/baocaocuatoi - các báo cáo đồng chí đã gửi\n/hoso, /xoahoso - xem, sửa hoặc xóa hồ sơ của đồng chí\n/lich, /nhacnho - lịch nhắc hạn, bật hoặc tắt nhắc hạn\n/toi - mã của đồng chí trên trợ lý (gửi Văn phòng khi cần)\n/trogiup - hướng dẫn này\n\nNội dung do Văn phòng VKSND tỉnh (thường trực Hội đồng Thi đua, khen thưởng) biên soạn. Câu hỏi chưa có trong dữ liệu được ghi lại để bổ sung.'
OFFICER_HELP = 'Lệnh của cán bộ Văn phòng:\n/cauhoi - các câu hỏi gửi Văn phòng đang chờ trả lời (gõ «trả lời <số>» để trả lời câu số đó)\n/duyet - duyệt báo cáo gương người tốt đang chờ\n/xuat - xuất danh sách, báo cáo (CSV, Excel, Word)\n/hanmoi - thêm hạn mới để nhắc\n/thongbao - gửi thông báo tới mọi người hoặc một đơn vị\n/thongke - tình hình gửi nhắc hạn, thông báo\n/reload - nạp lại nội dung đã sửa'
# Added with the officers' console: one declaration in the registry (handlers/commands.py).
OFFICER_HELP += '\n/dangnhap - liên kết đăng nhập trang Văn phòng trên trình duyệt (dùng một lần)'


def test_the_help_by_audience_is_the_help_as_it_was():
    assert help_text(officer=False) == STAFF_HELP
    assert help_text(officer=True) == STAFF_HELP + "\n\n" + OFFICER_HELP


def test_staff_help_lists_no_officer_command_and_the_officers_lists_all():
    staff, officer = help_text(officer=False), help_text(officer=True)
    for c in REGISTRY:
        if c.officer:
            assert f"/{c.slash[0]} " not in staff and f"/{c.slash[0]} " in officer, c.name


def test_the_telegram_command_list_comes_from_the_registry():
    listed = telegram_commands()
    assert [name for name, _ in listed] == ["start", "menu", "hoi", "huy", "hoivanphong", "gui", "baocaocuatoi",
                                            "lich", "hoso", "trogiup"]
    assert channel_commands is telegram_commands
    assert all(commands.BY_SLASH[name].audience != OFFICER for name, _ in listed)


def test_the_main_menu_carries_the_commands_items():
    assert [label for _id, label in MENU][-3:] == [texts.MENU_REPORT, texts.MENU_DEADLINES, texts.MENU_HELP]
    assert all(commands.BY_MENU[cid].menu == (cid, label) for cid, label in MENU[-3:])


def test_typed_words_name_only_commands_or_route_words():
    """content/commands.yaml may only name what the registry (or a route) reads."""
    assert set(NAMES) == set(commands.WORD_COMMANDS) | commands.ROUTE_WORDS


@pytest.fixture
def office(tmp_path: Path) -> App:
    return make_app(tmp_path)


def test_every_officer_command_is_refused_to_staff_by_the_router(office: App):
    say = Talk(office)
    for c in REGISTRY:
        if c.officer:
            [refused] = say(f"/{c.slash[0]}", user="s-staff")
            assert refused.text == (c.refusal or texts.NOT_ADMIN), c.name
            assert [ch.id for ch in refused.choices] == ["menu"], c.name


def test_an_officer_command_is_refused_before_its_feature_runs(office: App, monkeypatch):
    """The router refuses: the feature behind it is never called for staff."""
    called = []
    say = Talk(office)
    conv = office.conversation
    monkeypatch.setattr(type(conv.review), "start", lambda self, ctx: called.append(ctx) or [])
    [refused] = say("/duyet", user="s-staff")
    assert refused.text == texts.NOT_ADMIN and called == []


def test_officers_choices_are_refused_to_staff_by_the_router(office: App, monkeypatch):
    """A forged or forwarded officer's button: refused before any feature runs."""
    conv = office.conversation
    called = []
    for feature, method in (("office", "start_answer"), ("review", "start_decision"), ("deadlines", "on_choice"),
                            ("review", "start"), ("review", "start_export"), ("office", "open_questions")):
        monkeypatch.setattr(type(getattr(conv, feature)), method, lambda self, *a: called.append(a) or [])
    say = Talk(office)
    for choice in ("oq:reply:1", "r:ok:1", "r:more:1", "r:no:1", "r:review", "r:export", "oq:open", "dl:new",
                   "dl:edit:1", "dl:cancel:1"):
        [refused] = say(choice=choice, user="s-staff")
        assert refused.text == texts.NOT_ADMIN, choice
    assert called == []
