"""The reports' commands and the choices they read (handlers/command.py)."""

from __future__ import annotations

from handlers import texts
from handlers.command import OFFICER, ChoiceRoute, Command, feature, on_choice
from handlers.reports import choices as rc

COMMANDS = (
    Command("report", ("gui", "guiguong", "baocao"), feature("reports", "start", with_rest=True), starts_flow=True,
            help="gửi gương người tốt, việc tốt", menu=(rc.REPORT_START.encode(), texts.MENU_REPORT),
            telegram=((6, "gui", "Gửi gương người tốt, việc tốt"),)),
    Command("my_reports", ("baocaocuatoi",), feature("reports", "mine"), words=True,
            help="các báo cáo đồng chí đã gửi",
            telegram=((7, "baocaocuatoi", "Các báo cáo đã gửi và kết quả duyệt"),)),
    Command("review", ("duyet",), feature("review", "start"), OFFICER, words=True, starts_flow=True,
            help="duyệt báo cáo gương người tốt đang chờ"),
    Command("export", ("xuat",), feature("review", "start_export"), OFFICER, starts_flow=True,
            help="xuất danh sách, báo cáo (CSV, Excel, Word)"),
)
CHOICES = (
    ChoiceRoute(rc.MINE, on_choice("reports", "mine", with_choice=False)),
    ChoiceRoute(rc.WITHDRAW, on_choice("reports", "withdraw")),
    ChoiceRoute(rc.WITHDRAW_SURE, on_choice("reports", "withdraw")),
    ChoiceRoute(rc.ADD_MORE, on_choice("review", "start_more"), starts_flow=True),
    ChoiceRoute(rc.REVIEW, on_choice("review", "start", with_choice=False), OFFICER, starts_flow=True),
    ChoiceRoute(rc.EXPORT, on_choice("review", "start_export", with_choice=False), OFFICER, starts_flow=True),
    *(ChoiceRoute(codec, on_choice("review", "start_decision"), OFFICER, starts_flow=True) for codec in rc.DECISIONS),
)
