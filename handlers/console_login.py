"""/dangnhap: an officer asks for a one-time link to the officers' console in the browser.

The link works once, for 10 minutes (storage/web_sessions.py); it is written in the turn's
transaction, so a replayed update gives no second link. Staff who are not officers are told
politely that the console is the Office's (the command's refusal in handlers/commands.py).
"""

from __future__ import annotations

from datetime import timedelta

from handlers import texts
from handlers.context import TurnContext
from handlers.events import Reply
from storage.models import utcnow
from storage.web_sessions import LOGIN_TTL

PATH = "/van-phong/dang-nhap/"

LINK = ("Liên kết đăng nhập trang Văn phòng (dùng một lần, hết hạn lúc {expires}, sau {minutes} phút):\n{url}\n"
        "Đồng chí mở liên kết trên điện thoại hoặc máy tính và bấm \"Đăng nhập\". Không chuyển tiếp liên kết này "
        "cho người khác: ai có liên kết cũng đăng nhập được với quyền của đồng chí.")
NOT_OFFICER = texts.CONSOLE_NOT_OFFICER


def login_reply(ctx: TurnContext, base_url: str | None, tz) -> Reply:  # noqa: ANN001
    """The link for an officer (the router refused anyone else with NOT_OFFICER)."""
    ev = ctx.event
    now = utcnow()
    token = ctx.store.issue_console_login(f"{ev.channel}:{ev.user_id}", now)
    url = f"{(base_url or 'http://localhost:8080').rstrip('/')}{PATH}{token}"
    expires = (now + LOGIN_TTL).astimezone(tz).strftime("%H:%M")
    return Reply(LINK.format(url=url, expires=expires, minutes=LOGIN_TTL // timedelta(minutes=1)))
