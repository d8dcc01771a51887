"""The deadlines' commands and the choices they read (handlers/command.py)."""

from __future__ import annotations

from handlers import texts
from handlers.command import OFFICER, ChoiceRoute, Command, feature, on_choice
from handlers.deadlines import choices as dc

COMMANDS = (
    Command("deadlines", ("lich", "lichnhachan"), feature("deadlines", "show"), words=True,
            shown="/lich, /nhacnho", help="lịch nhắc hạn, bật hoặc tắt nhắc hạn",
            menu=(dc.DEADLINES.encode(), texts.MENU_DEADLINES),
            telegram=((8, "lich", "Lịch nhắc hạn nộp báo cáo, hồ sơ"),)),
    Command("reminders", ("nhacnho",), feature("deadlines", "toggle"), starts_flow=True),
    Command("new_deadline", ("hanmoi",), feature("deadlines", "start_new"), OFFICER, starts_flow=True,
            help="thêm hạn mới để nhắc"),
    Command("stats", ("thongke",), feature("deadlines", "stats"), OFFICER,
            help="tình hình gửi nhắc hạn, thông báo"),
)
CHOICES = (
    ChoiceRoute(dc.ACK, on_choice("deadlines", "ack")),
    ChoiceRoute(dc.REMINDERS_ON, on_choice("deadlines", "on_choice"), starts_flow=True),  # asks what the profile lacks
    ChoiceRoute(dc.REMINDERS_OFF, on_choice("deadlines", "on_choice")),
    ChoiceRoute(dc.DEADLINE_ICS, on_choice("deadlines", "on_choice")),
    ChoiceRoute(dc.NEW_DEADLINE, on_choice("deadlines", "on_choice"), OFFICER, starts_flow=True),
    ChoiceRoute(dc.DEADLINE_EDIT, on_choice("deadlines", "on_choice"), OFFICER, starts_flow=True),
    ChoiceRoute(dc.DEADLINE_CANCEL, on_choice("deadlines", "on_choice"), OFFICER, starts_flow=True),
    # Any other "dl:" id (forged, or of an older version): the feature says it is stale.
    ChoiceRoute(dc.DEADLINE_ANY, on_choice("deadlines", "on_choice")),
)
