"""The announcements' command (handlers/command.py); their form's options are the flow's own
(handlers/flows.py), so they declare no choices."""

from __future__ import annotations

from handlers.command import OFFICER, Command, feature

COMMANDS = (
    # Its help line goes with the deadlines' (/hanmoi, /thongbao, /thongke), as it always did.
    Command("announce", ("thongbao",), feature("announcements", "start"), OFFICER, starts_flow=True,
            help="gửi thông báo tới mọi người hoặc một đơn vị", after="new_deadline"),
)
CHOICES = ()
