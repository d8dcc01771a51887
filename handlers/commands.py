"""The commands, each declared once: its /names, the words typed for it, its main-menu item,
its help line, its line in Telegram's command menu, who may use it, and what it does.

The router (handlers/conversation.py), the main menu, /trogiup and the Telegram command list
(bot/telegram/channel.py) all read `REGISTRY`. Adding a command is one `Command(...)` here.
The features are not imported: `run` reaches them through the conversation when called, so
answering a question alone (`python -m bot ask`) does not load them.

Officer commands are refused to staff by the router, before `run`; the feature's service
checks again (a console or a flow reaches it without the router).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from handlers import choices as ch
from handlers import texts

if TYPE_CHECKING:
    from handlers.context import TurnContext
    from handlers.conversation import Conversation
    from handlers.events import Reply

STAFF, OFFICER = "staff", "officer"
Run = Callable[["Conversation", "TurnContext", str], "list[Reply]"]


@dataclass(frozen=True)
class Command:
    name: str  # what it does; also its key in content/commands.yaml when typed words mean it
    slash: tuple[str, ...]  # its /names; the first is the one shown in help
    run: Run  # (conversation, turn, the text after the /name) -> replies
    audience: str = STAFF  # STAFF: everyone; OFFICER: refused to anyone not in ADMIN_IDS
    help: str | None = None  # its help line, after "/name - "; None: not listed (or listed with another)
    shown: str | None = None  # how its help line names it, when not "/" + slash[0] ("/hoso, /xoahoso")
    telegram: tuple[tuple[int, str, str], ...] = ()  # (place, /name, description) in Telegram's menu
    menu: tuple[str, str] | None = None  # (choice id, label) of its main-menu item
    words: bool = False  # the words of content/commands.yaml under `name` mean this command
    starts_flow: bool = False  # starts a form: during another form it is refused, not stacked
    refusal: str | None = None  # what staff are told instead of the usual "officers only" (OFFICER commands)

    @property
    def officer(self) -> bool:
        return self.audience == OFFICER

    def help_line(self) -> str | None:
        return None if self.help is None else f"{self.shown or '/' + self.slash[0]} - {self.help}"


def _f(feature: str, method: str, with_rest: bool = False) -> Run:
    """A command that calls a feature's method with the turn (and what follows the /name, or None)."""
    def run(conv: Conversation, ctx: TurnContext, rest: str) -> list[Reply]:
        call = getattr(getattr(conv, feature), method)
        return call(ctx, rest.strip() or None) if with_rest else call(ctx)
    return run


REGISTRY: tuple[Command, ...] = (
    # --- everyone (in the order of the help text) ---
    Command("menu", ("start", "menu", "batdau"), lambda c, ctx, _r: c.welcome(ctx), words=True,
            shown="/start hoặc /menu", help="menu chính",
            telegram=((1, "start", "Bắt đầu và mở menu chính"),
                      (2, "menu", "Menu chính: hỏi đáp, tiêu chí, hình thức, hồ sơ"))),
    Command("ask", ("hoi",), lambda c, ctx, rest: c.ask(ctx, rest), help="đặt câu hỏi",
            telegram=((3, "hoi", "Đặt câu hỏi về thi đua, khen thưởng"),)),
    Command("cancel", ("huy", "cancel"), lambda c, ctx, _r: c.nothing_to_cancel(), words=True,
            help="hủy thao tác đang làm (gõ \"quay lại\" để về bước trước)",
            telegram=((4, "huy", "Hủy thao tác đang làm"),)),
    Command("ask_office", ("hoivanphong", "hoivp"), _f("office", "start_ask", with_rest=True), words=True,
            starts_flow=True, help="gửi câu hỏi tới Văn phòng",
            telegram=((5, "hoivanphong", "Gửi câu hỏi tới Văn phòng"),)),
    Command("report", ("gui", "guiguong", "baocao"), _f("reports", "start", with_rest=True), starts_flow=True,
            help="gửi gương người tốt, việc tốt", menu=(ch.REPORT_START.encode(), texts.MENU_REPORT),
            telegram=((6, "gui", "Gửi gương người tốt, việc tốt"),)),
    Command("my_reports", ("baocaocuatoi",), _f("reports", "mine"), words=True,
            help="các báo cáo đồng chí đã gửi",
            telegram=((7, "baocaocuatoi", "Các báo cáo đã gửi và kết quả duyệt"),)),
    Command("profile", ("hoso",), _f("profiles", "show"), words=True,
            shown="/hoso, /xoahoso", help="xem, sửa hoặc xóa hồ sơ của đồng chí",
            telegram=((9, "hoso", "Hồ sơ của tôi (họ tên, đơn vị)"),)),
    Command("delete_profile", ("xoahoso",), _f("erasure", "start"), words=True, starts_flow=True),
    Command("deadlines", ("lich", "lichnhachan"), _f("deadlines", "show"), words=True,
            shown="/lich, /nhacnho", help="lịch nhắc hạn, bật hoặc tắt nhắc hạn",
            menu=(ch.DEADLINES.encode(), texts.MENU_DEADLINES),
            telegram=((8, "lich", "Lịch nhắc hạn nộp báo cáo, hồ sơ"),)),
    Command("reminders", ("nhacnho",), _f("deadlines", "toggle"), starts_flow=True),
    Command("whoami", ("toi",), lambda c, ctx, _r: c.whoami(ctx),
            help="mã của đồng chí trên trợ lý (gửi Văn phòng khi cần)"),
    Command("help", ("trogiup", "help"), lambda c, ctx, _r: [c.help(ctx)], words=True, help="hướng dẫn này",
            menu=(ch.HELP.encode(), texts.MENU_HELP), telegram=((10, "trogiup", "Hướng dẫn sử dụng"),)),
    # --- officers of the Office (ADMIN_IDS) ---
    Command("office_questions", ("cauhoi",), _f("office", "open_questions"), OFFICER,
            help="các câu hỏi gửi Văn phòng đang chờ trả lời (gõ «trả lời <số>» để trả lời câu số đó)"),
    Command("review", ("duyet",), _f("review", "start"), OFFICER, words=True, starts_flow=True,
            help="duyệt báo cáo gương người tốt đang chờ"),
    Command("export", ("xuat",), _f("review", "start_export"), OFFICER, starts_flow=True,
            help="xuất danh sách, báo cáo (CSV, Excel, Word)"),
    Command("new_deadline", ("hanmoi",), _f("deadlines", "start_new"), OFFICER, starts_flow=True,
            help="thêm hạn mới để nhắc"),
    Command("announce", ("thongbao",), _f("deadlines", "start_announce"), OFFICER, starts_flow=True,
            help="gửi thông báo tới mọi người hoặc một đơn vị"),
    Command("stats", ("thongke",), _f("deadlines", "stats"), OFFICER,
            help="tình hình gửi nhắc hạn, thông báo"),
    Command("reload", ("reload", "napnoidung"), lambda c, ctx, _r: c.reload(), OFFICER,
            help="nạp lại nội dung đã sửa"),
    Command("console_login", ("dangnhap",), lambda c, ctx, _r: c.console_login(ctx), OFFICER,
            help="liên kết đăng nhập trang Văn phòng trên trình duyệt (dùng một lần)", refusal=texts.CONSOLE_NOT_OFFICER),
)

BY_NAME = {c.name: c for c in REGISTRY}
BY_SLASH = {s: c for c in REGISTRY for s in c.slash}
BY_MENU = {c.menu[0]: c for c in REGISTRY if c.menu}
WORD_COMMANDS = frozenset(c.name for c in REGISTRY if c.words)
# Words of content/commands.yaml the routes read themselves (not commands of their own).
ROUTE_WORDS = frozenset({"back", "details"})
if len(BY_SLASH) != sum(len(c.slash) for c in REGISTRY) or len(BY_NAME) != len(REGISTRY):
    raise RuntimeError("two commands share a name")


def by_slash(text: str) -> tuple[Command | None, str]:
    """The command of "/name rest" ("/hoi@bot câu hỏi"), and the rest."""
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
    rest = text.split(maxsplit=1)[1] if " " in text else ""
    return BY_SLASH.get(name), rest


def help_text(officer: bool) -> str:
    """/trogiup: the guide and everyone's commands; an officer's has theirs too, staff never see them."""
    staff = "\n".join(line for c in REGISTRY if not c.officer and (line := c.help_line()))
    text = f"{texts.HELP_INTRO}\n\n{texts.HELP_COMMANDS}\n{staff}\n\n{texts.HELP_OUTRO}"
    if officer:
        officers = "\n".join(line for c in REGISTRY if c.officer and (line := c.help_line()))
        text += f"\n\n{texts.OFFICER_HELP_COMMANDS}\n{officers}"
    return text


def telegram_commands() -> list[tuple[str, str]]:
    """Telegram's command menu (setMyCommands): the commands everyone may use, as placed."""
    entries = sorted(e for c in REGISTRY if not c.officer for e in c.telegram)
    return [(name, description) for _place, name, description in entries]


def menu_items() -> list[tuple[str, str]]:
    """The commands' main-menu items (choice id, label), in the order declared."""
    return [c.menu for c in REGISTRY if c.menu]
