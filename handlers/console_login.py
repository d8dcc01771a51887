"""/dangnhap: an officer asks for a one-time link to the officers' console in the browser.

The link works once, for 10 minutes (storage/web_sessions.py); it is written in the turn's
transaction, so a replayed update gives no second link. Staff who are not officers are told
politely that the console is the Office's. Kept out of conversation.py's command table but
for one hook, so the console's sign-in does not tangle with the features' commands.
"""

from __future__ import annotations

from datetime import timedelta

from handlers.context import TurnContext
from handlers.events import Reply
from storage.models import utcnow
from storage.web_sessions import LOGIN_TTL, issue_login

PATH = "/van-phong/dang-nhap/"

LINK = ("Liên kết đăng nhập trang Văn phòng (dùng một lần, hết hạn lúc {expires}, sau {minutes} phút):\n{url}\n"
        "Đồng chí mở liên kết trên điện thoại hoặc máy tính và bấm \"Đăng nhập\". Không chuyển tiếp liên kết này "
        "cho người khác: ai có liên kết cũng đăng nhập được với quyền của đồng chí.")
NOT_OFFICER = ("Trang Văn phòng chỉ dành cho cán bộ Văn phòng phụ trách thi đua - khen thưởng, nên bot chưa gửi "
               "liên kết đăng nhập cho đồng chí. Đồng chí vẫn hỏi đáp, gửi gương người tốt, việc tốt và xem lịch "
               "nhắc hạn ngay tại đây. Nếu đồng chí được giao việc này, gõ /toi để lấy mã của mình và gửi người quản "
               "trị trợ lý.")


def login_reply(ctx: TurnContext, is_officer, base_url: str | None, tz) -> Reply:  # noqa: ANN001
    """The link for an officer, a polite refusal for anyone else."""
    ev = ctx.event
    if not is_officer(ev.channel, ev.user_id):
        return Reply(NOT_OFFICER)
    now = utcnow()
    token = issue_login(ctx.store.s, f"{ev.channel}:{ev.user_id}", now)
    url = f"{(base_url or 'http://localhost:8080').rstrip('/')}{PATH}{token}"
    expires = (now + LOGIN_TTL).astimezone(tz).strftime("%H:%M")
    return Reply(LINK.format(url=url, expires=expires, minutes=LOGIN_TTL // timedelta(minutes=1)))
